#include "bot/cases/enrolment.hpp"

#include <vector>

namespace gvo::cases {
namespace {

constexpr std::string_view kSymbols = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
static_assert(kSymbols.size() == 32);

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A word's letters and digits in upper case; dashes dropped. Empty if it holds anything else.
std::string code_part(std::string_view word) {
  std::string part;
  for (char c : word) {
    if (c == '-') continue;
    const char upper = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (kSymbols.find(upper) == std::string_view::npos) return {};
    part += upper;
  }
  return part;
}

}  // namespace

std::string make_enrolment_code(const std::array<std::uint8_t, kEnrolmentRandomBytes>& random) {
  std::uint64_t bits = 0;
  for (std::uint8_t byte : random) bits = (bits << 8) | byte;
  std::string code;
  for (std::size_t i = 0; i < kEnrolmentSymbols; ++i) {
    if (i > 0 && i % 4 == 0) code += '-';
    code += kSymbols[(bits >> (5 * i)) & 31U];
  }
  return code;
}

std::optional<std::string> find_enrolment_code(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < text.size()) {
    while (start < text.size() && is_space(text[start])) ++start;
    std::size_t end = start;
    while (end < text.size() && !is_space(text[end])) ++end;
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end;
  }
  if (words.empty()) return std::nullopt;
  // A full stop or similar after the code is not part of it.
  std::string_view last = words.back();
  while (!last.empty() && (last.back() == '.' || last.back() == '!' || last.back() == ',')) {
    last.remove_suffix(1);
  }
  words.back() = last;
  if (const std::string whole = code_part(words.back()); whole.size() == kEnrolmentSymbols)
    return whole;
  // Read out in three groups: "abcd efgh jkmn".
  if (words.size() < 3) return std::nullopt;
  std::string joined;
  for (std::size_t i = words.size() - 3; i < words.size(); ++i) {
    const std::string part = code_part(words[i]);
    if (part.size() != 4) return std::nullopt;
    joined += part;
  }
  return joined;
}

}  // namespace gvo::cases
