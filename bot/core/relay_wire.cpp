#include "bot/core/relay_wire.hpp"

#include <algorithm>
#include <cmath>

#include "bot/core/base64.hpp"

namespace gvo::core::relay {
namespace {

constexpr std::size_t kMaxGuid = 128;
constexpr std::size_t kMaxAccountName = 64;
constexpr std::size_t kMaxVerb = 16;
constexpr std::size_t kMaxPath = 1024;
constexpr std::size_t kMaxMessage = 1024;
constexpr std::size_t kKeySize = 33;
constexpr std::size_t kSignatureSize = 64;
constexpr std::int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;

// Where a field is, for a detail: "envelope.type".
std::string at(std::string_view path, const char* key) {
  std::string where(path);
  where += '.';
  where += key;
  return where;
}

const Json* find(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// object[key] as a whole number from min to max (max >= 0). nlohmann holds non-negative numbers
// as unsigned, so both representations are read without wrapping.
WireResult<std::int64_t> integer(const Json& object, std::string_view path, const char* key,
                                 std::int64_t min, std::int64_t max) {
  const Json* value = find(object, key);
  if (value == nullptr) return fail(WireErrc::missing, at(path, key) + ": missing");
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  if (!value->is_number_integer()) {
    return fail(WireErrc::wrong_type, at(path, key) + ": expected an integer from " + range);
  }
  std::int64_t number = 0;
  if (value->is_number_unsigned()) {
    const auto unsigned_number = value->get<std::uint64_t>();
    if (unsigned_number > static_cast<std::uint64_t>(max)) {
      return fail(WireErrc::out_of_range, at(path, key) + ": expected an integer from " + range);
    }
    number = static_cast<std::int64_t>(unsigned_number);
  } else {
    number = value->get<std::int64_t>();
  }
  if (number < min || number > max) {
    return fail(WireErrc::out_of_range, at(path, key) + ": expected an integer from " + range);
  }
  return number;
}

// object[key] as a string of min to max bytes.
WireResult<std::string> text(const Json& object, std::string_view path, const char* key,
                             std::size_t min, std::size_t max) {
  const Json* value = find(object, key);
  if (value == nullptr) return fail(WireErrc::missing, at(path, key) + ": missing");
  if (!value->is_string()) return fail(WireErrc::wrong_type, at(path, key) + ": expected a string");
  const auto& string = value->get_ref<const std::string&>();
  if (string.size() < min || string.size() > max) {
    return fail(WireErrc::out_of_range, at(path, key) + ": expected " + std::to_string(min) +
                                            " to " + std::to_string(max) + " characters");
  }
  return string;
}

// object[key] as base64 of min to max bytes.
WireResult<Bytes> bytes(const Json& object, std::string_view path, const char* key, std::size_t min,
                        std::size_t max) {
  const Json* value = find(object, key);
  if (value == nullptr) return fail(WireErrc::missing, at(path, key) + ": missing");
  if (!value->is_string()) {
    return fail(WireErrc::wrong_type, at(path, key) + ": expected a base64 string");
  }
  const auto& encoded = value->get_ref<const std::string&>();
  // Checked before decoding: base64 of max bytes is at most this long.
  if (encoded.size() > (max + 2) / 3 * 4) {
    return fail(WireErrc::wrong_size,
                at(path, key) + ": expected at most " + std::to_string(max) + " bytes");
  }
  auto decoded = base64_decode(encoded);
  if (!decoded) return fail(WireErrc::bad_base64, at(path, key) + ": not base64");
  if (decoded->size() < min || decoded->size() > max) {
    const std::string size =
        min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
    return fail(WireErrc::wrong_size, at(path, key) + ": expected " + size + " bytes");
  }
  return std::move(*decoded);
}

// An optional object field: {} when absent; an error when present and not an object.
WireResult<Json> optional_object(const Json& object, std::string_view path, const char* key) {
  const Json* value = find(object, key);
  if (value == nullptr) return Json::object();
  if (!value->is_object())
    return fail(WireErrc::not_object, at(path, key) + ": expected an object");
  return *value;
}

bool printable(const std::string& string) {
  return std::all_of(string.begin(), string.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool account_name(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

WireResult<Json> parse_object(std::string_view text) {
  if (text.size() > kMaxFrameBytes) {
    return fail(WireErrc::out_of_range, "frame: over " + std::to_string(kMaxFrameBytes) + " bytes");
  }
  Json frame = Json::parse(text.begin(), text.end(), nullptr, false);
  if (frame.is_discarded()) return fail(WireErrc::not_json, "frame: not JSON");
  if (!frame.is_object()) return fail(WireErrc::not_object, "frame: expected an object");
  return frame;
}

WireResult<std::uint64_t> frame_id(const Json& frame) {
  const Json* id = find(frame, "id");
  if (id == nullptr) return fail(WireErrc::missing, "frame.id: missing");
  if (!id->is_number_unsigned()) {
    return fail(WireErrc::wrong_type, "frame.id: expected an unsigned integer");
  }
  return id->get<std::uint64_t>();
}

WireResult<Frame> request_from(const Json& frame, std::uint64_t id) {
  Request request;
  request.id = id;
  auto verb = text(frame, "request", "verb", 1, kMaxVerb);
  if (!verb) return std::move(verb).error();
  if (!std::all_of(verb->begin(), verb->end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return fail(WireErrc::out_of_range, "request.verb: expected capital letters");
  }
  auto path = text(frame, "request", "path", 1, kMaxPath);
  if (!path) return std::move(path).error();
  if (path->front() != '/' || !printable(*path)) {
    return fail(WireErrc::out_of_range, "request.path: expected printable ASCII from '/'");
  }
  auto body = optional_object(frame, "request", "body");
  if (!body) return std::move(body).error();
  request.verb = std::move(verb).value();
  request.path = std::move(path).value();
  request.body = std::move(body).value();
  return Frame{std::move(request)};
}

WireResult<Frame> response_from(const Json& frame, std::uint64_t id) {
  Response response;
  response.id = id;
  auto status = integer(frame, "response", "status", 100, 599);
  if (!status) return std::move(status).error();
  response.status = static_cast<int>(*status);
  if (find(frame, "message") != nullptr) {
    auto message = text(frame, "response", "message", 0, kMaxMessage);
    if (!message) return std::move(message).error();
    response.message = std::move(message).value();
  }
  auto body = optional_object(frame, "response", "body");
  if (!body) return std::move(body).error();
  response.body = std::move(body).value();
  return Frame{std::move(response)};
}

WireResult<Envelope> envelope_from(const Json& body) {
  Envelope envelope;
  auto guid = text(body, "envelope", "guid", 1, kMaxGuid);
  if (!guid) return std::move(guid).error();
  if (!printable(*guid))
    return fail(WireErrc::out_of_range, "envelope.guid: expected printable ASCII");
  auto type = integer(body, "envelope", "type", 1, 3);
  if (!type) return std::move(type).error();
  if (*type == 2) return fail(WireErrc::out_of_range, "envelope.type: expected 1 or 3");
  auto source = text(body, "envelope", "source", 1, kMaxAccountName);
  if (!source) return std::move(source).error();
  if (!account_name(*source)) {
    return fail(WireErrc::out_of_range, "envelope.source: expected an account name");
  }
  if (find(body, "source_device") != nullptr) {
    if (auto device = integer(body, "envelope", "source_device", 1, 255); !device) {
      return std::move(device).error();
    }
  }
  auto sent = integer(body, "envelope", "client_timestamp", 0, kMaxTimestampMs);
  if (!sent) return std::move(sent).error();
  auto stored = integer(body, "envelope", "server_timestamp", 0, kMaxTimestampMs);
  if (!stored) return std::move(stored).error();
  auto content = bytes(body, "envelope", "content", 1, kMaxContentBytes);
  if (!content) return std::move(content).error();
  envelope.guid = std::move(guid).value();
  envelope.type = static_cast<int>(*type);
  envelope.source = std::move(source).value();
  envelope.client_timestamp = *sent;
  envelope.server_timestamp = *stored;
  envelope.content = std::move(content).value();
  return envelope;
}

WireResult<PreKey> pre_key_from(const Json& object, std::string_view path, std::uint32_t min_id) {
  if (!object.is_object())
    return fail(WireErrc::not_object, std::string(path) + ": expected an object");
  auto id = integer(object, path, "id", min_id, 0xFFFFFF);
  if (!id) return std::move(id).error();
  auto key = bytes(object, path, "public_key", kKeySize, kKeySize);
  if (!key) return std::move(key).error();
  return PreKey{static_cast<std::uint32_t>(*id), std::move(key).value()};
}

}  // namespace

const char* errc_name(WireErrc code) {
  switch (code) {
    case WireErrc::not_json:
      return "not_json";
    case WireErrc::not_object:
      return "not_object";
    case WireErrc::unknown_kind:
      return "unknown_kind";
    case WireErrc::missing:
      return "missing";
    case WireErrc::wrong_type:
      return "wrong_type";
    case WireErrc::out_of_range:
      return "out_of_range";
    case WireErrc::bad_base64:
      return "bad_base64";
    case WireErrc::wrong_size:
      return "wrong_size";
  }
  return "unknown";
}

WireResult<Frame> parse_frame(std::string_view text_in) {
  auto frame = parse_object(text_in);
  if (!frame) return std::move(frame).error();
  auto type = text(*frame, "frame", "type", 1, kMaxVerb);
  if (!type) return std::move(type).error();
  if (*type != "request" && *type != "response") {
    return fail(WireErrc::unknown_kind, "frame.type: expected request or response");
  }
  auto id = frame_id(*frame);
  if (!id) return std::move(id).error();
  if (*type == "request") return request_from(*frame, *id);
  return response_from(*frame, *id);
}

std::optional<FrameHead> parse_frame_head(std::string_view text_in) {
  auto frame = parse_object(text_in);
  if (!frame) return std::nullopt;
  auto id = frame_id(*frame);
  const Json* type = find(*frame, "type");
  if (!id || type == nullptr || !type->is_string()) return std::nullopt;
  if (*type == "request") return FrameHead{FrameHead::Kind::request, *id};
  if (*type == "response") return FrameHead{FrameHead::Kind::response, *id};
  return std::nullopt;
}

WireResult<Envelope> parse_envelope(const Json& body) {
  if (!body.is_object()) return fail(WireErrc::not_object, "envelope: expected an object");
  return envelope_from(body);
}

WireResult<KeyBundle> parse_key_bundle(const Json& body) {
  if (!body.is_object()) return fail(WireErrc::not_object, "bundle: expected an object");
  KeyBundle bundle;
  auto registration = integer(body, "bundle", "registration_id", 1, 0x7FFFFFFF);
  if (!registration) return std::move(registration).error();
  auto device = integer(body, "bundle", "device_id", 1, 255);
  if (!device) return std::move(device).error();
  auto identity = bytes(body, "bundle", "identity_key", kKeySize, kKeySize);
  if (!identity) return std::move(identity).error();
  const Json* signed_key = find(body, "signed_pre_key");
  if (signed_key == nullptr) return fail(WireErrc::missing, "bundle.signed_pre_key: missing");
  auto signed_part = pre_key_from(*signed_key, "bundle.signed_pre_key", 0);
  if (!signed_part) return std::move(signed_part).error();
  auto signature =
      bytes(*signed_key, "bundle.signed_pre_key", "signature", kSignatureSize, kSignatureSize);
  if (!signature) return std::move(signature).error();
  if (const Json* one_time = find(body, "pre_key"); one_time != nullptr && !one_time->is_null()) {
    auto pre_key = pre_key_from(*one_time, "bundle.pre_key", 1);
    if (!pre_key) return std::move(pre_key).error();
    bundle.pre_key = std::move(pre_key).value();
  }
  bundle.registration_id = static_cast<std::uint32_t>(*registration);
  bundle.device_id = static_cast<std::int32_t>(*device);
  bundle.identity_key = std::move(identity).value();
  bundle.signed_pre_key = {signed_part->id, std::move(signed_part->public_key),
                           std::move(signature).value()};
  return bundle;
}

WireResult<std::uint32_t> parse_key_count(const Json& body) {
  if (!body.is_object()) return fail(WireErrc::not_object, "key count: expected an object");
  auto count = integer(body, "key_count", "count", 0, 0x7FFFFFFF);
  if (!count) return std::move(count).error();
  return static_cast<std::uint32_t>(*count);
}

WireResult<SendAnswer> parse_send_answer(int status, const Json& body) {
  if (status < 100 || status > 599) {
    return fail(WireErrc::out_of_range, "send answer.status: expected 100 to 599");
  }
  if (!body.is_object()) return fail(WireErrc::not_object, "send answer: expected an object");
  SendAnswer answer;
  answer.status = status;
  if (status == 200 && find(body, "guid") != nullptr) {
    auto guid = text(body, "send answer", "guid", 1, kMaxGuid);
    if (!guid) return std::move(guid).error();
    if (!printable(*guid)) {
      return fail(WireErrc::out_of_range, "send answer.guid: expected printable ASCII");
    }
    answer.guid = std::move(guid).value();
  }
  if (status == 429) {
    if (const Json* wait = find(body, "retry_after"); wait != nullptr) {
      if (!wait->is_number()) {
        return fail(WireErrc::wrong_type, "send answer.retry_after: expected seconds");
      }
      const double seconds = wait->get<double>();
      if (!(seconds >= 0.0) || seconds * 1000.0 > static_cast<double>(kMaxRetryAfterMs)) {
        return fail(WireErrc::out_of_range, "send answer.retry_after: expected 0 to 86400 s");
      }
      answer.retry_after_ms = static_cast<std::int64_t>(std::ceil(seconds * 1000.0));
    }
  }
  return answer;
}

}  // namespace gvo::core::relay
