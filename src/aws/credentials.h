// Access keys for the AWS endpoint, kept in the state dir in the aws CLI's shared-credentials format so that
//   AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials aws --profile stratus --endpoint-url ... works unchanged.
// One parser and one writer serve stratusd (LoadOrCreateAwsCredentials) and the wire tests' server
// (LoadOrCreateCredentials).
#pragma once

#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "common/status.h"

namespace stratus::aws {

// The profile stratusd creates and signs in with.
inline constexpr char kCredentialsProfile[] = "stratus";

struct AccessKey {
  std::string profile;  // the [section] it came from or goes to
  std::string id;       // "AKIA" + 16 characters of [A-Z2-7], like AWS's
  std::string secret;   // 40 characters of [A-Za-z0-9+/]
};

// Returns a new random access key for `profile` (kernel CSPRNG).
AccessKey NewAccessKey(const std::string& profile);

// Parses a shared-credentials file: [profile] sections with aws_access_key_id / aws_secret_access_key
// (other keys, comments and keys before the first section ignored). Sections missing either key are skipped.
std::vector<AccessKey> ParseCredentialsFile(const std::string& text);

// Renders keys in the shared-credentials format, under a comment saying how to use the file.
std::string FormatCredentialsFile(const std::vector<AccessKey>& keys);

// Reads `path` and returns its keys; when the file does not exist, creates it (mode 0600) with one new key for
// `profile` and returns that. Fails when the file exists but holds no key, or on I/O errors. An existing file is
// never overwritten.
Result<std::vector<AccessKey>> LoadOrCreateCredentials(const std::string& path,
                                                       const std::string& profile = kCredentialsProfile);

// A CredentialLookup over `keys` (copied); the first key with a given id wins.
CredentialLookup LookupFromKeys(const std::vector<AccessKey>& keys);

// The keys of a credentials file as stratusd uses them: the key of one profile, and every key of the file
// ([stratus] and any profile added by hand), all of which the endpoint accepts.
struct AwsCredentials {
  std::string access_key_id;      // of the profile
  std::string secret_access_key;  // of the profile
  std::vector<AccessKey> all_keys;
};

// Picks `profile` out of `keys`: InvalidArgument when it has no key there.
Result<AwsCredentials> AwsCredentialsOf(std::vector<AccessKey> keys, const std::string& profile = kCredentialsProfile);

// LoadOrCreateCredentials(path, "stratus") then AwsCredentialsOf: fails (naming `path`) when the file exists but
// has no usable [stratus] profile.
Result<AwsCredentials> LoadOrCreateAwsCredentials(const std::string& path);

// A CredentialLookup that knows every key of `creds` (the profile's key when all_keys is empty).
CredentialLookup LookupFor(const AwsCredentials& creds);

}  // namespace stratus::aws
