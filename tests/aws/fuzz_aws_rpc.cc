// libFuzzer target: the CloudWatch RPC decoders (our CBOR reader and the awsJson1_0 document reader) over every
// CloudWatch operation, then re-encoding of what decoded.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

#include "aws/model.h"
#include "aws/protocol_cbor.h"
#include "aws/protocol_json.h"
#include "aws/shape_values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::aws;
  static ModelSet* models = std::move(ModelSet::LoadEmbedded()).value().release();
  const ServiceModel& cw = *models->Find("monitoring");
  if (size < 2) return 0;
  auto it = cw.operations().begin();
  std::advance(it, data[0] % cw.operations().size());
  const Operation& op = it->second;
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  auto decoded = (data[1] & 1) ? DecodeJsonInput(cw, op, body) : DecodeCborInput(cw, op, body);
  if (auto* input = std::get_if<nlohmann::json>(&decoded)) {
    if (op.input != nullptr) {
      (void)ValidateInput(cw, *op.input, *input);
      std::string out;
      ShapeRef ref;
      ref.shape = op.input;
      EncodeCborValue(ref, *input, &out);
      auto again = CborToJson(out);
      if (!again.ok()) __builtin_trap();  // what we write we must be able to read
    }
    (void)EncodeJsonResponse(op, *input);
  }
  return 0;
}
