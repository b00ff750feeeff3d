#include "bot/relay/account_names.hpp"

#include <algorithm>

namespace gvo::relay {
namespace {

constexpr std::size_t kMaxNameSize = 64;

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_separator(char c) { return c == '.' || c == '_' || c == '-'; }

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The digits and letters that read as another letter.
char read_as(char c) {
  switch (c) {
    case '0':
      return 'o';
    case '1':
    case 'i':
      return 'l';
    case '5':
      return 's';
    case '3':
      return 'e';
    default:
      return c;
  }
}

}  // namespace

bool is_account_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameSize &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || is_separator(c);
         });
}

bool is_new_account_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameSize && is_lower_or_digit(name.front()) &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return is_lower_or_digit(c) || is_separator(c); });
}

std::string skeleton(std::string_view name) {
  std::string letters;
  for (const char c : name) {
    if (!is_separator(c)) letters += read_as(to_lower(c));
  }
  // Pairs that read as one letter, taken left to right.
  std::string out;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    const bool pair = i + 1 < letters.size();
    if (pair && letters[i] == 'r' && letters[i + 1] == 'n') {
      out += 'm';
      ++i;
    } else if (pair && letters[i] == 'v' && letters[i + 1] == 'v') {
      out += 'w';
      ++i;
    } else {
      out += letters[i];
    }
  }
  return out;
}

}  // namespace gvo::relay
