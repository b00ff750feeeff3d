// Any bytes as gvo-bot's configuration: a Config or every problem, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bot/core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto config = gvo::core::parse_config(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!config && config.error().detail.empty()) __builtin_trap();  // a failure always says why
  return 0;
}
