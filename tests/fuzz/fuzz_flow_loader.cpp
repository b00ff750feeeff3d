// Any bytes as a flow or data file: a clean load or a report of problems, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& world = gvo::fuzz::world();
  const auto flow = gvo::flows::load_flow(text, "fuzz.json");
  if (flow.ok() && flow->nodes.count(flow->start) == 0) __builtin_trap();  // checked flows start
  (void)gvo::flows::check_definition(text, "fuzz.json", world.folder);
  return 0;
}
