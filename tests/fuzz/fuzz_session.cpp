// Any bytes as a saved session: restored or refused, never a crash; what is restored saves back
// to the same JSON it reads as.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flows/session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto restored =
      gvo::flows::session_from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (restored) {
    const std::string saved = gvo::flows::to_json(restored.value());
    const auto again = gvo::flows::session_from_json(saved);
    if (!again || gvo::flows::to_json(again.value()) != saved) __builtin_trap();
  }
  return 0;
}
