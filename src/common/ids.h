// AWS-shaped identifiers: "i-" + 17 lowercase hex digits, "ami-…", "vpc-…", and so on.
#pragma once

#include <string>
#include <string_view>

namespace stratus {

// Returns prefix + "-" + 17 random hex digits, e.g. NewId("i") == "i-0f3a9c2b7d1e4a5b6".
std::string NewId(std::string_view prefix);

// Returns n random lowercase hex digits from the kernel's CSPRNG.
std::string RandomHex(size_t n);

// True when `id` is prefix + "-" + 8 or 17 hex digits (the two lengths AWS has used).
bool IsValidId(std::string_view id, std::string_view prefix);

}  // namespace stratus
