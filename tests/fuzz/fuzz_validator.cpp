// Any text as an answer to one kind of question (GVO_FUZZ_ANSWER picks the validator): an answer
// or a reason to ask again, never a crash. An answer always shows something back. The same text
// is read for no / don't know / skip and searched for values (find): every span found lies inside
// the text, on character boundaries, and holds an answer that shows something.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_world.hpp"

namespace {

bool starts_a_character(std::string_view text, std::size_t at) {
  return at == text.size() || (static_cast<unsigned char>(text[at]) & 0xC0) != 0x80;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& world = gvo::fuzz::world();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gvo::flows::AnswerSpec spec;
  spec.kind = gvo::flows::AnswerKind::GVO_FUZZ_ANSWER;
  if (spec.kind == gvo::flows::AnswerKind::choice) {
    spec = world.demo.node("ask_consent")->answer;
  }
  if (spec.kind == gvo::flows::AnswerKind::date) {
    spec.max_days_ago = 36500;
    spec.min_age_years = size % 3 == 0 ? 14 : 0;  // a birth date question one time in three
    spec.allow_future = size % 5 == 0;
  }
  static const char* const kLanguages[] = {"fr", "nl", "en", "ar"};
  // Any time of day, midnight and the last minute included.
  const int minute = static_cast<int>((size * 37) % 1440);
  const gvo::flows::ValidationContext context{kLanguages[size % 4], {2026, 11, 26}, minute};
  const auto result = world.validators->validate(spec, text, context);
  if (const auto* answer = std::get_if<gvo::flows::Answer>(&result)) {
    if (answer->value.empty() || answer->display.empty()) __builtin_trap();
    if (!gvo::flows::is_valid_utf8(answer->display)) __builtin_trap();
    if (spec.kind == gvo::flows::AnswerKind::since &&
        (answer->value.find_first_not_of("0123456789") != std::string::npos ||
         std::stol(answer->value) > gvo::flows::Validators::kMaxSinceHours)) {
      __builtin_trap();
    }
  }
  (void)world.validators->absence(text, context.language);
  for (const auto& found : world.validators->find(spec, text, context)) {
    if (found.begin > found.end || found.end > text.size()) __builtin_trap();
    if (!starts_a_character(text, found.begin) || !starts_a_character(text, found.end)) {
      __builtin_trap();
    }
    if (found.answer.value.empty() || !gvo::flows::is_valid_utf8(found.answer.display)) {
      __builtin_trap();
    }
  }
  return 0;
}
