#include "aws/handler_credentials.h"

#include <sys/stat.h>

#include "common/files.h"
#include "common/ids.h"

namespace stratus::aws {

namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// `n` characters of `alphabet` from the kernel's CSPRNG (via RandomHex, two hex digits per byte).
std::string RandomFrom(const std::string& alphabet, size_t n) {
  std::string hex = RandomHex(2 * n);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    unsigned byte = static_cast<unsigned>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    out.push_back(alphabet[byte % alphabet.size()]);
  }
  return out;
}

}  // namespace

Result<AwsCredentials> ParseCredentialsFile(const std::string& text, const std::string& profile) {
  AwsCredentials creds;
  std::map<std::string, std::pair<std::string, std::string>> profiles;  // name -> (key id, secret)
  std::string current;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = Trim(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    start = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find('=');
    if (current.empty() || eq == std::string::npos) continue;
    std::string key = Trim(line.substr(0, eq)), value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") profiles[current].first = value;
    if (key == "aws_secret_access_key") profiles[current].second = value;
  }
  for (const auto& [name, kv] : profiles) {
    if (!kv.first.empty() && !kv.second.empty()) creds.all_keys[kv.first] = kv.second;
    if (name == profile) {
      creds.access_key_id = kv.first;
      creds.secret_access_key = kv.second;
    }
  }
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return InvalidArgument("the credentials file has no [" + profile +
                           "] profile with aws_access_key_id and aws_secret_access_key");
  }
  return creds;
}

Result<AwsCredentials> LoadOrCreateAwsCredentials(const std::string& path) {
  auto existing = ReadFile(path);
  if (existing.ok()) {
    auto creds = ParseCredentialsFile(*existing, kCredentialsProfile);
    if (!creds.ok()) return creds.status().WithContext(path);
    return creds;
  }
  AwsCredentials creds;
  creds.access_key_id = "AKIA" + RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
  creds.secret_access_key =
      RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
  std::string text = std::string("# stratusd's AWS API key (aws CLI / boto3 credentials file). Use with\n") +
                     "#   AWS_SHARED_CREDENTIALS_FILE=" + path + " aws --profile stratus --endpoint-url ...\n" +
                     "[" + kCredentialsProfile + "]\n" + "aws_access_key_id = " + creds.access_key_id + "\n" +
                     "aws_secret_access_key = " + creds.secret_access_key + "\n";
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(path, text, 0600));
  creds.all_keys[creds.access_key_id] = creds.secret_access_key;
  return creds;
}

CredentialLookup LookupFor(const AwsCredentials& creds) {
  std::map<std::string, std::string> keys = creds.all_keys;
  if (keys.empty()) keys[creds.access_key_id] = creds.secret_access_key;
  return [keys](const std::string& key) -> std::optional<std::string> {
    auto it = keys.find(key);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace stratus::aws
