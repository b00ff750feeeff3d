// gvo-relay's wire shapes as a client reads them (bot/relay/PROTOCOL.md): frames, delivered
// envelopes, key bundles, key counts and send answers. Pure: text or JSON in, plain structs or an
// error out, never an exception, whatever the bytes. Used by the relay client and the messenger,
// on the loop's thread (any thread would do).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/core/result.hpp"

namespace gvo::core::relay {

using Json = nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

// What is wrong with what the relay sent. The detail names the field ("envelope.type") and what
// was expected; it never quotes the input, which may be personal.
enum class WireErrc {
  not_json,      // not JSON text
  not_object,    // JSON, but not an object where one is expected
  unknown_kind,  // a frame whose type is neither "request" nor "response"
  missing,       // a required field is absent
  wrong_type,    // a field of another JSON type
  out_of_range,  // a number outside its range, a string empty or too long, a frame too large
  bad_base64,    // bytes that are not canonical base64
  wrong_size,    // decoded bytes of the wrong length
};

template <typename T>
using WireResult = Result<T, WireErrc>;

// "wrong_type", "out_of_range"...: for log lines and counters.
const char* errc_name(WireErrc code);

inline constexpr std::size_t kMaxFrameBytes = 512 * 1024;   // what the client reads at most
inline constexpr std::size_t kMaxContentBytes = 64 * 1024;  // PROTOCOL.md "Limits"
inline constexpr std::int64_t kMaxTimestampMs = 253'402'300'799'999;  // 9999-12-31, in ms

// --- Frames ------------------------------------------------------------------------------------

struct Request {
  std::uint64_t id = 0;
  std::string verb;            // "PUT", "GET"
  std::string path;            // starts with '/'
  Json body = Json::object();  // always an object ({} when the frame has none)
};

struct Response {
  std::uint64_t id = 0;
  int status = 0;  // 100 to 599
  std::string message;
  Json body = Json::object();  // always an object
};

using Frame = std::variant<Request, Response>;

WireResult<Frame> parse_frame(std::string_view text);

// The kind and id of a frame, when it has usable ones: for a frame parse_frame refused, so that a
// request can still be answered (400) and a response can still end the request it answers.
struct FrameHead {
  enum class Kind { request, response } kind = Kind::request;
  std::uint64_t id = 0;
};
std::optional<FrameHead> parse_frame_head(std::string_view text);

// --- Bodies -----------------------------------------------------------------------------------

// The body of the relay's PUT /api/v1/message.
struct Envelope {
  std::string guid;                   // 1 to 128 printable ASCII characters
  int type = 1;                       // 1 ordinary, 3 pre-key message
  std::string source;                 // an account name: 1 to 64 of [A-Za-z0-9._-]
  std::int64_t client_timestamp = 0;  // 0 to kMaxTimestampMs
  std::int64_t server_timestamp = 0;  // 0 to kMaxTimestampMs
  Bytes content;                      // 1 to kMaxContentBytes
};
WireResult<Envelope> parse_envelope(const Json& body);

// The 200 answer of GET /v2/keys/{account}.
struct SignedPreKey {
  std::uint32_t id = 0;  // 0 to 0xFFFFFF
  Bytes public_key;      // 33 bytes
  Bytes signature;       // 64 bytes
};
struct PreKey {
  std::uint32_t id = 0;  // 1 to 0xFFFFFF
  Bytes public_key;      // 33 bytes
};
struct KeyBundle {
  std::uint32_t registration_id = 0;  // 1 to 0x7FFFFFFF
  std::int32_t device_id = 1;         // 1 to 255
  Bytes identity_key;                 // 33 bytes
  SignedPreKey signed_pre_key;
  std::optional<PreKey> pre_key;  // absent (or null): the relay had none to hand out
};
WireResult<KeyBundle> parse_key_bundle(const Json& body);

// The 200 answer of GET /v2/keys: one-time pre-keys left at the relay.
WireResult<std::uint32_t> parse_key_count(const Json& body);

// The answer of PUT /v1/messages/{account}, any status.
struct SendAnswer {
  int status = 0;    // 100 to 599
  std::string guid;  // 200: what the relay stored it as (may be empty: older relays)
  // 429: how long to wait, in ms (0 to a day); absent when the relay did not say.
  std::optional<std::int64_t> retry_after_ms;
};
WireResult<SendAnswer> parse_send_answer(int status, const Json& body);

}  // namespace gvo::core::relay
