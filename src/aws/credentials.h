// Access keys for the AWS endpoint, kept in the state dir in the aws CLI's shared-credentials format so that
//   AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials aws --profile stratus --endpoint-url ... works unchanged.
#pragma once

#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "common/status.h"

namespace stratus::aws {

struct AccessKey {
  std::string profile;  // the [section] it came from or goes to
  std::string id;       // "AKIA" + 16 characters of [A-Z2-7], like AWS's
  std::string secret;   // 40 characters of [A-Za-z0-9+/]
};

// Returns a new random access key for `profile` (kernel CSPRNG).
AccessKey NewAccessKey(const std::string& profile);

// Parses a shared-credentials file: [profile] sections with aws_access_key_id / aws_secret_access_key
// (other keys and comments ignored). Sections missing either key are skipped.
std::vector<AccessKey> ParseCredentialsFile(const std::string& text);

// Renders keys in the shared-credentials format.
std::string FormatCredentialsFile(const std::vector<AccessKey>& keys);

// Reads `path` (mode 0600) and returns its keys; when the file does not exist, creates it with one new key for
// `profile` and returns that. Fails when the file exists but holds no key, or on I/O errors.
Result<std::vector<AccessKey>> LoadOrCreateCredentials(const std::string& path, const std::string& profile = "stratus");

// A CredentialLookup over `keys` (copied).
CredentialLookup LookupFromKeys(const std::vector<AccessKey>& keys);

}  // namespace stratus::aws
