// Timestamps as the records and the APIs show them (ISO 8601, UTC).
#pragma once

#include <string>

namespace stratus {

// Current UTC time as "2026-11-27T05:30:00.123Z".
std::string NowIso8601();

}  // namespace stratus
