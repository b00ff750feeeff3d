// What a host (or a staff member) writes, as any bytes: the update reader, the staff command
// reader and the reference finder must neither crash nor read out of bounds, and the references
// they find must be well formed.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bot/cases/case.hpp"
#include "bot/cases/commands.hpp"
#include "bot/cases/updates.hpp"
#include "tests/fuzz/fuzz_world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& world = gvo::fuzz::world();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const gvo::flows::ValidationContext context{"fr", {2026, 3, 16}};
  const auto update =
      gvo::cases::read_update(text, world.desk, *world.validators, world.folder, context);
  if (update.date && !gvo::flows::is_valid(*update.date)) std::abort();
  // The same bytes as a staff member's command.
  const auto command = gvo::cases::read_staff_command(text, world.desk, world.folder);
  for (const auto& named : command.references) {
    if (named.size() != 9 || named[4] != '-') std::abort();
  }
  const std::string reference = gvo::cases::find_reference(text);
  if (!reference.empty() && (reference.size() != 9 || reference[4] != '-')) std::abort();
  return 0;
}
