#include "aws/credentials.h"

#include <sstream>

#include "common/files.h"
#include "common/ids.h"

namespace stratus::aws {

namespace {

// Maps random hex to `n` characters of `alphabet` (rejection-free: 2 hex digits -> 1 byte -> index mod size is
// uniform enough for 32- and 64-letter alphabets, whose sizes divide 256).
std::string RandomChars(size_t n, const std::string& alphabet) {
  std::string hex = RandomHex(2 * n), out;
  for (size_t i = 0; i < n; ++i) {
    unsigned byte = static_cast<unsigned>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    out.push_back(alphabet[byte % alphabet.size()]);
  }
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

AccessKey NewAccessKey(const std::string& profile) {
  return {profile, "AKIA" + RandomChars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
          RandomChars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")};
}

std::vector<AccessKey> ParseCredentialsFile(const std::string& text) {
  std::vector<AccessKey> keys;
  AccessKey current;
  auto flush = [&] {
    if (!current.id.empty() && !current.secret.empty()) keys.push_back(current);
  };
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      flush();
      current = AccessKey{Trim(line.substr(1, line.size() - 2)), "", ""};
      continue;
    }
    size_t eq = line.find('=');
    if (current.profile.empty() || eq == std::string::npos) continue;
    std::string key = Trim(line.substr(0, eq)), value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") current.id = value;
    if (key == "aws_secret_access_key") current.secret = value;
  }
  flush();
  return keys;
}

std::string FormatCredentialsFile(const std::vector<AccessKey>& keys) {
  std::string out =
      "# Access keys for the Stratus AWS endpoint (aws CLI / boto3 shared-credentials format). Use with\n"
      "#   AWS_SHARED_CREDENTIALS_FILE=<this file> aws --profile stratus --endpoint-url ...\n";
  for (const AccessKey& k : keys) {
    out += "\n[" + k.profile + "]\naws_access_key_id = " + k.id + "\naws_secret_access_key = " + k.secret + "\n";
  }
  return out;
}

Result<std::vector<AccessKey>> LoadOrCreateCredentials(const std::string& path, const std::string& profile) {
  if (!PathExists(path)) {
    std::vector<AccessKey> keys = {NewAccessKey(profile)};
    STRATUS_RETURN_IF_ERROR(WriteFileAtomic(path, FormatCredentialsFile(keys), 0600));
    return keys;
  }
  STRATUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<AccessKey> keys = ParseCredentialsFile(text);
  if (keys.empty()) return InvalidArgument(path + " holds no aws_access_key_id/aws_secret_access_key pair");
  return keys;
}

CredentialLookup LookupFromKeys(const std::vector<AccessKey>& keys) {
  return [keys](const std::string& id) -> std::optional<std::string> {
    for (const AccessKey& k : keys) {
      if (k.id == id) return k.secret;
    }
    return std::nullopt;
  };
}

Result<AwsCredentials> AwsCredentialsOf(std::vector<AccessKey> keys, const std::string& profile) {
  AwsCredentials creds;
  for (const AccessKey& k : keys) {
    if (k.profile == profile && creds.access_key_id.empty()) {
      creds.access_key_id = k.id;
      creds.secret_access_key = k.secret;
    }
  }
  if (creds.access_key_id.empty()) {
    return InvalidArgument("the credentials file has no [" + profile +
                           "] profile with aws_access_key_id and aws_secret_access_key");
  }
  creds.all_keys = std::move(keys);
  return creds;
}

Result<AwsCredentials> LoadOrCreateAwsCredentials(const std::string& path) {
  auto keys = LoadOrCreateCredentials(path, kCredentialsProfile);
  if (!keys.ok()) return keys.status();
  auto creds = AwsCredentialsOf(std::move(*keys), kCredentialsProfile);
  if (!creds.ok()) return creds.status().WithContext(path);
  return creds;
}

CredentialLookup LookupFor(const AwsCredentials& creds) {
  if (creds.all_keys.empty()) {
    return LookupFromKeys({{kCredentialsProfile, creds.access_key_id, creds.secret_access_key}});
  }
  return LookupFromKeys(creds.all_keys);
}

}  // namespace stratus::aws
