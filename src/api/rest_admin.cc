#include "api/rest_admin.h"

#include <unistd.h>

#include "api/rest_api.h"
#include "common/base64.h"
#include "common/files.h"
#include "common/ids.h"
#include "store/sqlite_store.h"

namespace stratus {

void MountAdminRoutes(httplib::Server& server, AdminServices services) {
  server.Get("/v1/admin/backup", [s = services](const httplib::Request&, httplib::Response& res) {
    // Staged in the state dir (same filesystem, owner-only) and sent as base64 in JSON, as the API's other blobs.
    std::string path = s.state_dir + "/backup-" + RandomHex(8) + ".db";
    Status st = BackupSqliteStore(s.store, path);
    auto data = st.ok() ? ReadFile(path) : Result<std::string>(st);
    unlink(path.c_str());
    if (!data.ok()) return ReplyJson(res, data.status());
    ReplyJson(res, nlohmann::json{{"Installation", s.installation},
                                  {"SchemaVersion", s.schema_version},
                                  {"Bytes", data->size()},
                                  {"Data", Base64Encode(*data)}});
  });
  server.Get("/v1/admin/df", [s = services](const httplib::Request&, httplib::Response& res) {
    auto report = s.disk_usage();
    if (!report.ok()) return ReplyJson(res, report.status());
    ReplyJson(res, *report);
  });
}

}  // namespace stratus
