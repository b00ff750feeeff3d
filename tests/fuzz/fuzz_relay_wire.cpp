// Any bytes as something gvo-relay sent the client (bot/core/relay_wire.hpp): read or refused,
// never a crash, an exception or a leak. The first byte picks the shape (0 a frame, 1 an
// envelope, 2 a key bundle, 3 a key count, 4 a send answer whose status is the next two bytes);
// the rest is the text. A request frame's body is read as an envelope too, as the client does.
#include <cstdint>
#include <string_view>

#include "bot/core/relay_wire.hpp"

namespace relay = gvo::core::relay;

namespace {

relay::Json json_of(std::string_view text) {
  return relay::Json::parse(text.begin(), text.end(), nullptr, false);
}

void read_frame(std::string_view text) {
  const auto frame = relay::parse_frame(text);
  (void)relay::parse_frame_head(text);
  if (!frame) return;
  if (const auto* request = std::get_if<relay::Request>(&frame.value())) {
    (void)relay::parse_envelope(request->body);
    return;
  }
  const auto& response = std::get<relay::Response>(frame.value());
  (void)relay::parse_send_answer(response.status, response.body);
  (void)relay::parse_key_bundle(response.body);
  (void)relay::parse_key_count(response.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      read_frame(text);
      break;
    case 1:
      (void)relay::parse_envelope(json_of(text));
      break;
    case 2:
      (void)relay::parse_key_bundle(json_of(text));
      break;
    case 3:
      (void)relay::parse_key_count(json_of(text));
      break;
    default: {
      if (text.size() < 2) return 0;
      const int status =
          static_cast<unsigned char>(text[0]) << 8 | static_cast<unsigned char>(text[1]);
      (void)relay::parse_send_answer(status % 700, json_of(text.substr(2)));
      break;
    }
  }
  return 0;
}
