// Base64 (RFC 4648), the one coder of the tree: user data in the store, the REST API and the CLI, blobs on the AWS
// wire. Encoding is always the standard alphabet with "=" padding and no line breaks.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace stratus {

// How forgiving Base64Decode is. Both ignore white space (line breaks, spaces).
enum class Base64Decoding {
  // Standard alphabet, whole 4-character groups with "=" padding: what the native API and the store accept.
  kStrict,
  // Also accepts the URL-safe alphabet ("-", "_") and missing padding, as AWS services do for blob members and
  // EC2 UserData.
  kLenient,
};

// The standard base64 of `bytes`, padded ("hello" -> "aGVsbG8=").
std::string Base64Encode(std::string_view bytes);

// The bytes `text` encodes. InvalidArgument when it holds a character outside the alphabet, data after padding,
// or (kStrict) is not a whole number of 4-character groups.
Result<std::string> Base64Decode(std::string_view text, Base64Decoding decoding = Base64Decoding::kStrict);

}  // namespace stratus
