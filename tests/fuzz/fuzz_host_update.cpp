// What a host writes after filing, as any bytes: the update reader and the reference finder must
// neither crash nor read out of bounds, and a reference they find must be well formed.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bot/cases/case.hpp"
#include "bot/cases/updates.hpp"
#include "tests/fuzz/fuzz_world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& world = gvo::fuzz::world();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const gvo::flows::ValidationContext context{"fr", {2026, 3, 16}};
  const auto update =
      gvo::cases::read_update(text, world.desk, *world.validators, world.folder, context);
  if (update.date && !gvo::flows::is_valid(*update.date)) std::abort();
  const std::string reference = gvo::cases::find_reference(text);
  if (!reference.empty() && (reference.size() != 9 || reference[4] != '-')) std::abort();
  return 0;
}
