// The access key stratusd's AWS endpoint accepts, kept in STATE_DIR/credentials in the aws CLI's
// credentials-file format, so clients use the file as it is:
//   AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials aws --profile stratus --endpoint-url http://127.0.0.1:7600 ...
#pragma once

#include <map>
#include <string>

#include "aws/sigv4.h"
#include "common/status.h"

namespace stratus::aws {

inline constexpr char kCredentialsProfile[] = "stratus";

struct AwsCredentials {
  std::string access_key_id;      // "AKIA" + 16 upper-case letters and digits
  std::string secret_access_key;  // 40 characters
  // Every key of the file, by access key id: [stratus] and any profile added by hand.
  std::map<std::string, std::string> all_keys;
};

// Reads profile [stratus] of `path`; on first start (no file) creates it (mode 0600) with a random key.
// InvalidArgument when the file exists but has no usable [stratus] profile (it is never overwritten).
Result<AwsCredentials> LoadOrCreateAwsCredentials(const std::string& path);

// Parses the credentials-file text: the keys of `profile` (InvalidArgument when absent) and all_keys.
Result<AwsCredentials> ParseCredentialsFile(const std::string& text, const std::string& profile);

// A CredentialLookup that knows the keys of `creds` (all_keys, or the one key when all_keys is empty).
CredentialLookup LookupFor(const AwsCredentials& creds);

}  // namespace stratus::aws
