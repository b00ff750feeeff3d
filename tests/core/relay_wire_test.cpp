// The relay's wire shapes as the client reads them: every well-formed shape of PROTOCOL.md reads
// into our types, and every malformed one is refused with its error code, never an exception,
// and with a detail that does not quote the input.
#include "bot/core/relay_wire.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"

using namespace gvo::core::relay;

namespace {

std::string b64(std::size_t size, std::uint8_t fill = 5) {
  return gvo::core::base64_encode(Bytes(size, fill));
}

Json envelope() {
  return {{"guid", "0123456789abcdef0123456789abcdef"},
          {"type", 3},
          {"source", "host-12"},
          {"source_device", 1},
          {"client_timestamp", 1700000000000},
          {"server_timestamp", 1700000000123},
          {"content", b64(40)}};
}

Json bundle() {
  return {{"registration_id", 1234},
          {"device_id", 1},
          {"identity_key", b64(33)},
          {"signed_pre_key", {{"id", 7}, {"public_key", b64(33, 6)}, {"signature", b64(64, 7)}}},
          {"pre_key", {{"id", 9}, {"public_key", b64(33, 8)}}}};
}

// A secret-looking value put into the input: no detail may repeat it.
const std::string kPersonal = "Ahmed-0470123456";

}  // namespace

TEST_CASE("relay frames: requests and responses read into their types") {
  auto request = parse_frame(
      R"({"type":"request","id":7,"verb":"PUT","path":"/api/v1/message","body":{"a":1}})");
  REQUIRE(request.ok());
  const auto& r = std::get<Request>(request.value());
  CHECK(r.id == 7);
  CHECK(r.verb == "PUT");
  CHECK(r.path == "/api/v1/message");
  CHECK(r.body == Json{{"a", 1}});

  auto bare = parse_frame(R"({"type":"request","id":0,"verb":"PUT","path":"/api/v1/queue/empty"})");
  REQUIRE(bare.ok());
  CHECK(std::get<Request>(bare.value()).body == Json::object());

  auto response = parse_frame(
      R"({"type":"response","id":18446744073709551615,"status":429,"message":"slow","body":{"retry_after":2}})");
  REQUIRE(response.ok());
  const auto& a = std::get<Response>(response.value());
  CHECK(a.id == UINT64_MAX);
  CHECK(a.status == 429);
  CHECK(a.message == "slow");
  CHECK(a.body.at("retry_after") == 2);
}

TEST_CASE("relay frames: each malformed kind is refused with its code") {
  struct Case {
    std::string text;
    WireErrc code;
    bool has_head;  // a request or response whose id can still be used
  };
  const std::string big(kMaxFrameBytes + 1, ' ');
  const std::vector<Case> cases = {
      {"", WireErrc::not_json, false},
      {"{\"type\": \"request\", \"id\": 1,", WireErrc::not_json, false},
      {"\xff\xfe", WireErrc::not_json, false},
      {R"({"type":"request","id":1,"verb":"PUT","path":"/x\xff"})", WireErrc::not_json, false},
      {"[1,2,3]", WireErrc::not_object, false},
      {"null", WireErrc::not_object, false},
      {"\"request\"", WireErrc::not_object, false},
      {big, WireErrc::out_of_range, false},
      {R"({"id":1})", WireErrc::missing, false},
      {R"({"type":3,"id":1})", WireErrc::wrong_type, false},
      {R"({"type":"shout","id":1})", WireErrc::unknown_kind, false},
      {R"({"type":"request"})", WireErrc::missing, false},
      {R"({"type":"request","id":-1,"verb":"GET","path":"/"})", WireErrc::wrong_type, false},
      {R"({"type":"request","id":1.5,"verb":"GET","path":"/"})", WireErrc::wrong_type, false},
      {R"({"type":"request","id":"7","verb":"GET","path":"/"})", WireErrc::wrong_type, false},
      {R"({"type":"request","id":1e30,"verb":"GET","path":"/"})", WireErrc::wrong_type, false},
      {R"({"type":"request","id":1})", WireErrc::missing, true},
      {R"({"type":"request","id":1,"verb":7,"path":"/"})", WireErrc::wrong_type, true},
      {R"({"type":"request","id":1,"verb":"put","path":"/"})", WireErrc::out_of_range, true},
      {R"({"type":"request","id":1,"verb":"","path":"/"})", WireErrc::out_of_range, true},
      {R"({"type":"request","id":1,"verb":"GET","path":"x"})", WireErrc::out_of_range, true},
      {R"({"type":"request","id":1,"verb":"GET","path":"/a b"})", WireErrc::out_of_range, true},
      {R"({"type":"request","id":1,"verb":"GET","path":"/","body":[]})", WireErrc::not_object,
       true},
      {R"({"type":"request","id":1,"verb":"GET","path":"/","body":null})", WireErrc::not_object,
       true},
      {R"({"type":"response","id":1})", WireErrc::missing, true},
      {R"({"type":"response","id":1,"status":"200"})", WireErrc::wrong_type, true},
      {R"({"type":"response","id":1,"status":200.0})", WireErrc::wrong_type, true},
      {R"({"type":"response","id":1,"status":99})", WireErrc::out_of_range, true},
      {R"({"type":"response","id":1,"status":18446744073709551615})", WireErrc::out_of_range, true},
      {R"({"type":"response","id":1,"status":200,"message":5})", WireErrc::wrong_type, true},
      {R"({"type":"response","id":1,"status":200,"body":"x"})", WireErrc::not_object, true},
  };
  for (const Case& c : cases) {
    INFO(c.text.substr(0, 80));
    const auto frame = parse_frame(c.text);
    REQUIRE_FALSE(frame.ok());
    CHECK(frame.code() == c.code);
    CHECK_FALSE(frame.error().detail.empty());
    CHECK(parse_frame_head(c.text).has_value() == c.has_head);
  }
  const auto head = parse_frame_head(R"({"type":"response","id":9,"status":"x"})");
  REQUIRE(head);
  CHECK(head->kind == FrameHead::Kind::response);
  CHECK(head->id == 9);
}

TEST_CASE("relay envelopes: a delivered message reads, and each wrong field is refused") {
  auto read = parse_envelope(envelope());
  REQUIRE(read.ok());
  CHECK(read->guid == "0123456789abcdef0123456789abcdef");
  CHECK(read->type == 3);
  CHECK(read->source == "host-12");
  CHECK(read->client_timestamp == 1700000000000);
  CHECK(read->server_timestamp == 1700000000123);
  CHECK(read->content == Bytes(40, 5));
  Json without_device = envelope();
  without_device.erase("source_device");
  CHECK(parse_envelope(without_device).ok());

  struct Case {
    const char* field;
    Json value;  // null: the field removed
    WireErrc code;
  };
  const std::vector<Case> cases = {
      {"type", "3", WireErrc::wrong_type},
      {"type", 2, WireErrc::out_of_range},
      {"type", 0, WireErrc::out_of_range},
      {"type", 3.0, WireErrc::wrong_type},
      {"type", nullptr, WireErrc::missing},
      {"guid", 5, WireErrc::wrong_type},
      {"guid", "", WireErrc::out_of_range},
      {"guid", std::string(129, 'a'), WireErrc::out_of_range},
      {"guid", "a b", WireErrc::out_of_range},
      {"source", "", WireErrc::out_of_range},
      {"source", kPersonal + " x", WireErrc::out_of_range},
      {"source", std::string(65, 'a'), WireErrc::out_of_range},
      {"source", Json::array(), WireErrc::wrong_type},
      {"source", nullptr, WireErrc::missing},
      {"source_device", 0, WireErrc::out_of_range},
      {"source_device", "1", WireErrc::wrong_type},
      {"client_timestamp", -1, WireErrc::out_of_range},
      {"client_timestamp", kMaxTimestampMs + 1, WireErrc::out_of_range},
      {"client_timestamp", UINT64_MAX, WireErrc::out_of_range},
      {"client_timestamp", 1e30, WireErrc::wrong_type},
      {"client_timestamp", "1700000000000", WireErrc::wrong_type},
      {"client_timestamp", nullptr, WireErrc::missing},
      {"server_timestamp", INT64_MIN, WireErrc::out_of_range},
      {"server_timestamp", true, WireErrc::wrong_type},
      {"content", "not base64!", WireErrc::bad_base64},
      {"content", "AAA", WireErrc::bad_base64},
      {"content", "", WireErrc::wrong_size},
      {"content", b64(kMaxContentBytes + 1), WireErrc::wrong_size},
      {"content", 12, WireErrc::wrong_type},
      {"content", nullptr, WireErrc::missing},
  };
  for (const Case& c : cases) {
    Json body = envelope();
    if (c.value.is_null()) {
      body.erase(c.field);
    } else {
      body[c.field] = c.value;
    }
    INFO(c.field << " = " << c.value.dump().substr(0, 60));
    const auto refused = parse_envelope(body);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == c.code);
    CHECK(refused.error().detail.find(c.field) != std::string::npos);
    CHECK(refused.error().detail.find(kPersonal) == std::string::npos);
  }
  CHECK(parse_envelope(Json::array()).code() == WireErrc::not_object);
  CHECK(parse_envelope(Json(5)).code() == WireErrc::not_object);
  Json largest = envelope();
  largest["content"] = b64(kMaxContentBytes);
  largest["client_timestamp"] = kMaxTimestampMs;
  largest["server_timestamp"] = 0;
  CHECK(parse_envelope(largest).ok());
}

TEST_CASE("relay key bundles: the relay's answer reads, and each wrong field is refused") {
  auto read = parse_key_bundle(bundle());
  REQUIRE(read.ok());
  CHECK(read->registration_id == 1234);
  CHECK(read->device_id == 1);
  CHECK(read->identity_key == Bytes(33, 5));
  CHECK(read->signed_pre_key.id == 7);
  CHECK(read->signed_pre_key.public_key == Bytes(33, 6));
  CHECK(read->signed_pre_key.signature == Bytes(64, 7));
  REQUIRE(read->pre_key);
  CHECK(read->pre_key->id == 9);
  CHECK(read->pre_key->public_key == Bytes(33, 8));
  Json without = bundle();
  without.erase("pre_key");
  auto no_pre_key = parse_key_bundle(without);
  REQUIRE(no_pre_key.ok());
  CHECK_FALSE(no_pre_key->pre_key);

  struct Case {
    const char* pointer;
    Json value;  // discarded: the field removed
    WireErrc code;
  };
  const Json removed = Json(Json::value_t::discarded);
  const std::vector<Case> cases = {
      {"/registration_id", 0, WireErrc::out_of_range},
      {"/registration_id", 0x80000000LL, WireErrc::out_of_range},
      {"/registration_id", "1", WireErrc::wrong_type},
      {"/registration_id", removed, WireErrc::missing},
      {"/device_id", 0, WireErrc::out_of_range},
      {"/device_id", 256, WireErrc::out_of_range},
      {"/identity_key", b64(32), WireErrc::wrong_size},
      {"/identity_key", "%%%%", WireErrc::bad_base64},
      {"/identity_key", removed, WireErrc::missing},
      {"/signed_pre_key", "x", WireErrc::not_object},
      {"/signed_pre_key", removed, WireErrc::missing},
      {"/signed_pre_key/id", -1, WireErrc::out_of_range},
      {"/signed_pre_key/id", 0x1000000, WireErrc::out_of_range},
      {"/signed_pre_key/public_key", b64(34), WireErrc::wrong_size},
      {"/signed_pre_key/signature", b64(63), WireErrc::wrong_size},
      {"/signed_pre_key/signature", removed, WireErrc::missing},
      {"/pre_key", Json::array(), WireErrc::not_object},
      {"/pre_key/id", 0, WireErrc::out_of_range},
      {"/pre_key/public_key", nullptr, WireErrc::wrong_type},
  };
  for (const Case& c : cases) {
    Json body = bundle();
    const Json::json_pointer pointer(c.pointer);
    if (c.value.is_discarded()) {
      body[pointer.parent_pointer()].erase(pointer.back());
    } else {
      body[pointer] = c.value;
    }
    INFO(c.pointer);
    const auto refused = parse_key_bundle(body);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == c.code);
  }
  Json null_pre_key = bundle();
  null_pre_key["pre_key"] = nullptr;
  CHECK(parse_key_bundle(null_pre_key).ok());
  CHECK(parse_key_bundle(Json("bundle")).code() == WireErrc::not_object);
}

TEST_CASE("relay key counts and send answers") {
  CHECK(parse_key_count({{"count", 0}}).value() == 0);
  CHECK(parse_key_count({{"count", 100}}).value() == 100);
  CHECK(parse_key_count({{"count", -1}}).code() == WireErrc::out_of_range);
  CHECK(parse_key_count({{"count", "5"}}).code() == WireErrc::wrong_type);
  CHECK(parse_key_count(Json::object()).code() == WireErrc::missing);
  CHECK(parse_key_count(Json::array()).code() == WireErrc::not_object);

  auto stored = parse_send_answer(200, {{"guid", "abc"}});
  REQUIRE(stored.ok());
  CHECK(stored->status == 200);
  CHECK(stored->guid == "abc");
  CHECK_FALSE(stored->retry_after_ms);
  CHECK(parse_send_answer(200, Json::object()).ok());
  CHECK(parse_send_answer(200, {{"guid", 5}}).code() == WireErrc::wrong_type);

  auto limited = parse_send_answer(429, {{"retry_after", 2.0}});
  REQUIRE(limited.ok());
  CHECK(limited->retry_after_ms == 2000);
  CHECK(parse_send_answer(429, {{"retry_after", 0.0021}})->retry_after_ms == 3);
  CHECK(parse_send_answer(429, {{"retry_after", 3}})->retry_after_ms == 3000);
  CHECK_FALSE(parse_send_answer(429, Json::object())->retry_after_ms);
  CHECK(parse_send_answer(429, {{"retry_after", -1}}).code() == WireErrc::out_of_range);
  CHECK(parse_send_answer(429, {{"retry_after", 1e300}}).code() == WireErrc::out_of_range);
  CHECK(parse_send_answer(429, {{"retry_after", "2"}}).code() == WireErrc::wrong_type);
  CHECK(parse_send_answer(410, {{"stale_devices", {1}}})->status == 410);
  CHECK(parse_send_answer(0, Json::object()).code() == WireErrc::out_of_range);
  CHECK(parse_send_answer(600, Json::object()).code() == WireErrc::out_of_range);
  CHECK(parse_send_answer(500, Json::array()).code() == WireErrc::not_object);
}
