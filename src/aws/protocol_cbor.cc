#include "aws/protocol_cbor.h"

#include <cmath>
#include <cstring>

#include "aws/protocol_json.h"
#include "aws/shape_values.h"

namespace stratus::aws {

using nlohmann::json;

namespace {

constexpr int kMaxCborDepth = 64;

class CborReader {
 public:
  explicit CborReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  Status ReadItem(json* out, int depth) {
    if (depth > kMaxCborDepth) return InvalidArgument("CBOR nested too deeply");
    uint8_t initial;
    STRATUS_RETURN_IF_ERROR(Byte(&initial));
    int major = initial >> 5, info = initial & 31;
    if (major == 7) return ReadSimple(info, out);
    if (info == 31) return ReadIndefinite(major, out, depth);
    uint64_t arg;
    STRATUS_RETURN_IF_ERROR(Argument(info, &arg));
    switch (major) {
      case 0: *out = arg; return Status::Ok();
      case 1:
        if (arg > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument("CBOR negative integer out of range");
        *out = -1 - static_cast<int64_t>(arg);
        return Status::Ok();
      case 2:
      case 3: {
        std::string bytes;
        STRATUS_RETURN_IF_ERROR(Bytes(arg, &bytes));
        return MakeString(major, std::move(bytes), out);
      }
      case 4: {
        if (arg > Remaining()) return InvalidArgument("CBOR array longer than the body");
        *out = json::array();
        for (uint64_t i = 0; i < arg; ++i) {
          json item;
          STRATUS_RETURN_IF_ERROR(ReadItem(&item, depth + 1));
          out->push_back(std::move(item));
        }
        return Status::Ok();
      }
      case 5: {
        if (arg > Remaining()) return InvalidArgument("CBOR map longer than the body");
        *out = json::object();
        for (uint64_t i = 0; i < arg; ++i) STRATUS_RETURN_IF_ERROR(ReadPair(out, depth));
        return Status::Ok();
      }
      default:  // 6: a tag; keep the tagged item (tag 1 timestamps are epoch numbers already)
        return ReadItem(out, depth + 1);
    }
  }

  bool AtEnd() const { return p_ == end_; }

 private:
  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }

  Status Byte(uint8_t* b) {
    if (p_ == end_) return InvalidArgument("CBOR body ends early");
    *b = *p_++;
    return Status::Ok();
  }

  Status Bytes(uint64_t n, std::string* out) {
    if (n > Remaining()) return InvalidArgument("CBOR string longer than the body");
    out->append(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return Status::Ok();
  }

  Status Argument(int info, uint64_t* arg) {
    if (info < 24) {
      *arg = static_cast<uint64_t>(info);
      return Status::Ok();
    }
    if (info > 27) return InvalidArgument("CBOR reserved additional information");
    size_t n = size_t{1} << (info - 24);
    if (n > Remaining()) return InvalidArgument("CBOR body ends early");
    *arg = 0;
    for (size_t i = 0; i < n; ++i) *arg = (*arg << 8) | *p_++;
    return Status::Ok();
  }

  static Status MakeString(int major, std::string bytes, json* out) {
    if (major == 2) {
      *out = json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
      return Status::Ok();
    }
    if (!IsValidUtf8(bytes)) return InvalidArgument("CBOR text string is not valid UTF-8");
    *out = std::move(bytes);
    return Status::Ok();
  }

  Status ReadPair(json* map, int depth) {
    json key, value;
    STRATUS_RETURN_IF_ERROR(ReadItem(&key, depth + 1));
    if (!key.is_string()) return InvalidArgument("CBOR map key is not a text string");
    STRATUS_RETURN_IF_ERROR(ReadItem(&value, depth + 1));
    (*map)[key.get<std::string>()] = std::move(value);
    return Status::Ok();
  }

  bool Break() {
    if (p_ != end_ && *p_ == 0xff) {
      ++p_;
      return true;
    }
    return false;
  }

  Status ReadIndefinite(int major, json* out, int depth) {
    if (major == 2 || major == 3) {
      std::string bytes;
      while (!Break()) {
        uint8_t initial;
        STRATUS_RETURN_IF_ERROR(Byte(&initial));
        uint64_t len;
        if ((initial >> 5) != major || (initial & 31) == 31) return InvalidArgument("bad CBOR string chunk");
        STRATUS_RETURN_IF_ERROR(Argument(initial & 31, &len));
        STRATUS_RETURN_IF_ERROR(Bytes(len, &bytes));
      }
      return MakeString(major, std::move(bytes), out);
    }
    if (major == 4) {
      *out = json::array();
      while (!Break()) {
        json item;
        STRATUS_RETURN_IF_ERROR(ReadItem(&item, depth + 1));
        out->push_back(std::move(item));
      }
      return Status::Ok();
    }
    if (major == 5) {
      *out = json::object();
      while (!Break()) STRATUS_RETURN_IF_ERROR(ReadPair(out, depth));
      return Status::Ok();
    }
    return InvalidArgument("bad CBOR indefinite-length item");
  }

  Status ReadSimple(int info, json* out) {
    uint64_t bits = 0;
    switch (info) {
      case 20: *out = false; return Status::Ok();
      case 21: *out = true; return Status::Ok();
      case 22:
      case 23: *out = nullptr; return Status::Ok();
      case 25: {
        STRATUS_RETURN_IF_ERROR(Argument(info, &bits));
        int exp = (bits >> 10) & 0x1f, mant = bits & 0x3ff;
        double v = exp == 0 ? std::ldexp(mant, -24) : exp != 31 ? std::ldexp(mant + 1024, exp - 25)
                                                                  : (mant == 0 ? INFINITY : NAN);
        *out = (bits & 0x8000) ? -v : v;
        return Status::Ok();
      }
      case 26: {
        STRATUS_RETURN_IF_ERROR(Argument(info, &bits));
        uint32_t b32 = static_cast<uint32_t>(bits);
        float f;
        std::memcpy(&f, &b32, sizeof(f));
        *out = static_cast<double>(f);
        return Status::Ok();
      }
      case 27: {
        STRATUS_RETURN_IF_ERROR(Argument(info, &bits));
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        *out = d;
        return Status::Ok();
      }
      default: return InvalidArgument("unsupported CBOR simple value");
    }
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

// ---- writer ----

void Head(int major, uint64_t arg, std::string* out) {
  uint8_t m = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    out->push_back(static_cast<char>(m | arg));
    return;
  }
  int n = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffULL ? 4 : 8;
  out->push_back(static_cast<char>(m | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27)));
  for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((arg >> (8 * i)) & 0xff));
}

void Text(std::string_view s, std::string* out) {
  Head(3, s.size(), out);
  out->append(s);
}

void Integer(long long v, std::string* out) {
  if (v >= 0) Head(0, static_cast<uint64_t>(v), out);
  else Head(1, static_cast<uint64_t>(-1 - v), out);
}

void Double(double d, std::string* out) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  out->push_back(static_cast<char>(0xfb));
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// True when EncodeCborValue would write something for `v` (null and mistyped values are skipped).
bool Writable(const ShapeRef& ref, const json& v) {
  if (v.is_null()) return false;
  switch (ref.shape->type) {
    case ShapeType::kStructure: return v.is_object();
    case ShapeType::kList: return v.is_array();
    case ShapeType::kMap: return v.is_object();
    case ShapeType::kString: return v.is_string();
    case ShapeType::kInteger:
    case ShapeType::kLong:
    case ShapeType::kFloat:
    case ShapeType::kDouble: return v.is_number();
    case ShapeType::kBoolean: return v.is_boolean();
    case ShapeType::kTimestamp: return TimestampSeconds(v).has_value();
    case ShapeType::kBlob: return BlobBytes(v).has_value();
  }
  return false;
}

void EncodeValue(const ShapeRef& ref, const json& v, std::string* out, int depth);

void EncodeStructure(const Shape& shape, const json& v, std::string* out, int depth) {
  size_t count = 0;
  for (const Member& m : shape.members) {
    auto it = v.find(m.name);
    count += it != v.end() && Writable(m.ref, *it);
  }
  Head(5, count, out);
  for (const Member& m : shape.members) {
    auto it = v.find(m.name);
    if (it == v.end() || !Writable(m.ref, *it)) continue;
    Text(m.name, out);
    EncodeValue(m.ref, *it, out, depth + 1);
  }
}

void EncodeValue(const ShapeRef& ref, const json& v, std::string* out, int depth) {
  const Shape& shape = *ref.shape;
  if (depth > kMaxNestingDepth) {
    out->push_back(static_cast<char>(0xf6));  // null: keeps the output well-formed
    return;
  }
  switch (shape.type) {
    case ShapeType::kStructure: return EncodeStructure(shape, v, out, depth);
    case ShapeType::kList: {
      size_t count = 0;
      for (const json& item : v) count += Writable(shape.member, item);
      Head(4, count, out);
      for (const json& item : v) {
        if (Writable(shape.member, item)) EncodeValue(shape.member, item, out, depth + 1);
      }
      return;
    }
    case ShapeType::kMap: {
      size_t count = 0;
      for (auto it = v.begin(); it != v.end(); ++it) count += Writable(shape.value, it.value());
      Head(5, count, out);
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!Writable(shape.value, it.value())) continue;
        Text(ToValidUtf8(it.key()), out);
        EncodeValue(shape.value, it.value(), out, depth + 1);
      }
      return;
    }
    case ShapeType::kString: return Text(ToValidUtf8(v.get_ref<const std::string&>()), out);
    case ShapeType::kInteger:
    case ShapeType::kLong:
      return Integer(v.is_number_float() ? static_cast<long long>(v.get<double>()) : v.get<long long>(), out);
    case ShapeType::kFloat:
    case ShapeType::kDouble: return Double(v.get<double>(), out);
    case ShapeType::kBoolean: out->push_back(static_cast<char>(v.get<bool>() ? 0xf5 : 0xf4)); return;
    case ShapeType::kTimestamp: {
      double t = *TimestampSeconds(v);
      Head(6, 1, out);  // tag 1: epoch-based date/time
      if (t == std::floor(t) && std::fabs(t) < 9e15) Integer(static_cast<long long>(t), out);
      else Double(t, out);
      return;
    }
    case ShapeType::kBlob: {
      std::string bytes = *BlobBytes(v);
      Head(2, bytes.size(), out);
      out->append(bytes);
      return;
    }
  }
}

AwsResponse CborResponse() {
  AwsResponse resp;
  resp.content_type = "application/cbor";
  resp.headers.emplace("smithy-protocol", "rpc-v2-cbor");
  return resp;
}

}  // namespace

Result<json> CborToJson(std::string_view bytes) {
  CborReader reader(bytes);
  json out;
  STRATUS_RETURN_IF_ERROR(reader.ReadItem(&out, 0));
  if (!reader.AtEnd()) return InvalidArgument("trailing bytes after the CBOR item");
  return out;
}

std::variant<json, AwsError> DecodeCborInput(const ServiceModel& service, const Operation& op, std::string_view body) {
  if (op.input == nullptr) return json::object();
  json doc = json::object();
  if (!body.empty()) {
    auto parsed = CborToJson(body);
    if (!parsed.ok()) return AwsError{"SerializationException", "request body: " + parsed.status().message(), 400};
    doc = std::move(*parsed);
  }
  ShapeRef ref;
  ref.shape = op.input;
  return WireDocumentToNeutral(service, ref, doc, "", /*cbor=*/true);
}

void EncodeCborValue(const ShapeRef& ref, const json& value, std::string* out) {
  if (!Writable(ref, value)) {
    out->push_back(static_cast<char>(0xf6));
    return;
  }
  EncodeValue(ref, value, out, 0);
}

AwsResponse EncodeCborResponse(const Operation& op, const json& output) {
  AwsResponse resp = CborResponse();
  if (op.output == nullptr) {
    Head(5, 0, &resp.body);
    return resp;
  }
  ShapeRef ref;
  ref.shape = op.output;
  EncodeCborValue(ref, output.is_object() ? output : json::object(), &resp.body);
  return resp;
}

AwsResponse EncodeCborError(const AwsError& error, bool query_compatible) {
  AwsResponse resp = CborResponse();
  resp.status = error.http_status;
  Head(5, 2, &resp.body);
  Text("__type", &resp.body);
  Text(ToValidUtf8(error.code), &resp.body);
  Text("message", &resp.body);
  Text(ToValidUtf8(error.message), &resp.body);
  if (query_compatible) {
    resp.headers.emplace("x-amzn-query-error", error.code + (error.http_status >= 500 ? ";Receiver" : ";Sender"));
  }
  return resp;
}

}  // namespace stratus::aws
