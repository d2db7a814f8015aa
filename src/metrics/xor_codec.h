// Gorilla's XOR compression of a run of doubles (Pelkonen et al., "Gorilla: A Fast, Scalable,
// In-Memory Time Series Database", VLDB 2015, section 4.1.2), as Prometheus and VictoriaMetrics
// store samples. Each value is XORed with the one before it: an unchanged value costs one bit, a
// value whose changed bits fit the previous window costs 2 bits plus those bits, others 13 bits
// plus the changed bits. The first value is stored whole. Exact: the doubles come back bit for bit.
//
// Timestamps are not part of the stream: the metric store's chunks cover one minute at 1-second
// resolution, so a 64-bit presence bitmap (0.13 bytes per sample for a full minute, about what
// delta-of-delta coding of a regular series costs) says which seconds the values belong to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stratus {

// Appends the compressed form of values[0..n) to *out (whole bytes; the last one zero-padded).
void XorEncode(const double* values, size_t n, std::string* out);

// Decodes n values from the front of `in` into values[0..n). False when `in` is too short (a torn
// or corrupt record); *used receives the bytes consumed.
bool XorDecode(std::string_view in, size_t n, double* values, size_t* used);

}  // namespace stratus
