// Any bytes as a line from signal-cli (a network peer, in effect): read or refused, never a crash;
// a send result inside an answer reads the same way.
#include <cstdint>
#include <string_view>

#include "bot/core/signal_cli_rpc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto frame = gvo::core::signal_cli::read_line(line);
  if (frame) {
    if (const auto* response = std::get_if<gvo::core::signal_cli::Response>(&frame.value())) {
      (void)gvo::core::signal_cli::read_send_result(response->result);
      if (response->error) (void)gvo::core::signal_cli::read_send_result(response->error->response);
    }
  }
  (void)gvo::core::signal_cli::read_send_result(line);
  return 0;
}
