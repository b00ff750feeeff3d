// Any text as an answer to one kind of question (GVO_FUZZ_ANSWER picks the validator): an answer
// or a reason to ask again, never a crash. An answer always shows something back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& world = gvo::fuzz::world();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gvo::flows::AnswerSpec spec;
  spec.kind = gvo::flows::AnswerKind::GVO_FUZZ_ANSWER;
  if (spec.kind == gvo::flows::AnswerKind::choice) {
    spec = world.demo.node("ask_consent")->answer;
  }
  if (spec.kind == gvo::flows::AnswerKind::date) spec.max_days_ago = 36500;
  static const char* const kLanguages[] = {"fr", "nl", "en", "ar"};
  const gvo::flows::ValidationContext context{kLanguages[size % 4], {2026, 11, 26}};
  const auto result = world.validators->validate(spec, text, context);
  if (const auto* answer = std::get_if<gvo::flows::Answer>(&result)) {
    if (answer->value.empty() || answer->display.empty()) __builtin_trap();
    if (!gvo::flows::is_valid_utf8(answer->display)) __builtin_trap();
  }
  return 0;
}
