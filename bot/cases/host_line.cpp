#include "bot/cases/host_line.hpp"

#include <cstdio>

#include "flows/validators.hpp"

namespace gvo::cases {

std::string host_notice_key(Status status) {
  switch (status) {
    case Status::located:
    case Status::released:
    case Status::deported:
    case Status::closed:
      return "host.line." + std::string(to_string(status));
    default:
      return {};
  }
}

std::optional<std::int64_t> request_number(std::string_view word) {
  for (std::string_view prefix : {"#", "n°", "no.", "nr.", "no", "nr", "رقم"}) {
    if (word.size() > prefix.size() && word.substr(0, prefix.size()) == prefix) {
      word.remove_prefix(prefix.size());
      break;
    }
  }
  if (word.empty() || word.size() > 12) return std::nullopt;
  std::int64_t number = 0;
  std::size_t at = 0;
  while (at < word.size()) {
    int digit = -1;
    const auto byte = static_cast<unsigned char>(word[at]);
    if (byte >= '0' && byte <= '9') {
      digit = byte - '0';
      at += 1;
    } else if (byte == 0xD9 && at + 1 < word.size()) {
      // U+0660..U+0669, Arabic-Indic digits: D9 A0..D9 A9.
      const auto next = static_cast<unsigned char>(word[at + 1]);
      if (next >= 0xA0 && next <= 0xA9) digit = next - 0xA0;
      at += 2;
    }
    if (digit < 0) return std::nullopt;
    number = number * 10 + digit;
  }
  if (number <= 0) return std::nullopt;
  return number;
}

std::string brussels_clock(std::int64_t unix_seconds) {
  const double millis = static_cast<double>(unix_seconds) * 1000.0;
  const double midnight = flows::brussels_time(flows::brussels_date(millis), 0, 0);
  const auto minutes = static_cast<long>((millis - midnight) / 60000.0);
  char text[8];
  std::snprintf(text, sizeof text, "%02ld:%02ld", (minutes / 60) % 24, minutes % 60);
  return text;
}

std::string after_first_word(std::string_view text) {
  const auto space = text.find_first_of(" \t\n");
  if (space == std::string_view::npos) return {};
  const auto start = text.find_first_not_of(" \t\n:,", space);
  if (start == std::string_view::npos) return {};
  return std::string(text.substr(start));
}

}  // namespace gvo::cases
