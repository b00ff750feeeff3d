#include "flows/text.hpp"

#include <algorithm>
#include <cassert>

#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

namespace gvo::flows {
namespace {

std::unique_ptr<icu::Transliterator> make_transliterator(const char* id) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> made(icu::Transliterator::createInstance(
      icu::UnicodeString::fromUTF8(id), UTRANS_FORWARD, status));
  assert(U_SUCCESS(status) && made != nullptr && "ICU transliterator missing from ICU's data");
  return made;
}

// One Arabic letter for its variants, ASCII for every decimal digit, nothing for marks.
UChar32 unify(UChar32 c) {
  switch (c) {
    case 0x0623:  // alef with hamza above
    case 0x0625:  // alef with hamza below
    case 0x0622:  // alef with madda
    case 0x0671:  // alef wasla
      return 0x0627;
    case 0x0649:  // alef maksura
    case 0x06CC:  // farsi yeh
      return 0x064A;
    case 0x0629:  // teh marbuta
      return 0x0647;
    case 0x06A9:  // keheh
      return 0x0643;
    default:
      break;
  }
  const int32_t digit = u_charDigitValue(c);
  if (digit >= 0 && u_isdigit(c)) return '0' + digit;
  return c;
}

bool is_dropped_mark(UChar32 c) {
  // Arabic harakat, tatweel and the like carry no meaning for matching.
  return (c >= 0x064B && c <= 0x065F) || c == 0x0640 || c == 0x0670;
}

bool keeps_as_punctuation(UChar32 c) { return c == '/' || c == '-' || c == '.' || c == ':'; }

}  // namespace

TextFolder::TextFolder()
    : accents_(make_transliterator("NFD; [:Nonspacing Mark:] Remove; NFC")),
      to_latin_(make_transliterator("Any-Latin; Latin-ASCII; Lower")) {}

TextFolder::~TextFolder() = default;

std::string TextFolder::fold(std::string_view text) const {
  if (!is_valid_utf8(text)) return {};
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  unicode.foldCase();
  accents_->transliterate(unicode);
  icu::UnicodeString out;
  bool space = true;  // suppress leading and repeated spaces
  for (int32_t i = 0; i < unicode.length();) {
    const UChar32 c = unicode.char32At(i);
    i += U16_LENGTH(c);
    if (is_dropped_mark(c)) continue;
    const UChar32 u = unify(c);
    const bool separator = u_isUWhiteSpace(u) || (u_ispunct(u) && !keeps_as_punctuation(u)) ||
                           u_charType(u) == U_MATH_SYMBOL || u_charType(u) == U_OTHER_SYMBOL;
    if (separator) {
      if (!space) out.append(static_cast<UChar>(' '));
      space = true;
      continue;
    }
    out.append(u);
    space = false;
  }
  if (out.length() > 0 && out.charAt(out.length() - 1) == ' ') out.truncate(out.length() - 1);
  std::string folded;
  out.toUTF8String(folded);
  return folded;
}

std::string TextFolder::latin_key(std::string_view text) const {
  if (!is_valid_utf8(text)) return {};
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  to_latin_->transliterate(unicode);
  std::string latin;
  unicode.toUTF8String(latin);
  std::string key;
  bool space = true;
  for (char c : latin) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (letter) {
      key += c;
      space = false;
    } else if (!space && (c == ' ' || c == '-' || c == ',' || c == '\t')) {
      key += ' ';
      space = true;
    }
  }
  if (!key.empty() && key.back() == ' ') key.pop_back();
  return key;
}

bool is_valid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto size = static_cast<int32_t>(std::min<std::size_t>(text.size(), INT32_MAX));
  if (static_cast<std::size_t>(size) != text.size()) return false;
  int32_t i = 0;
  while (i < size) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, size, c);
    if (c < 0) return false;
  }
  return true;
}

std::u32string decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto size = static_cast<int32_t>(std::min<std::size_t>(text.size(), INT32_MAX));
  int32_t i = 0;
  while (i < size) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, size, c);
    out.push_back(static_cast<char32_t>(c < 0 ? 0xFFFD : c));
  }
  return out;
}

std::size_t code_points(std::string_view text) { return decode(text).size(); }

std::size_t edit_distance(const std::u32string& x, const std::u32string& y, std::size_t limit) {
  const std::size_t n = x.size();
  const std::size_t m = y.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  // Three rows suffice for adjacent transpositions.
  std::vector<std::size_t> before(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = i;
    std::size_t row_best = current[0];
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
      row_best = std::min(row_best, current[j]);
    }
    // Costs only grow row by row (a swap reaches back one row, hence both rows).
    if (row_best > limit && *std::min_element(previous.begin(), previous.end()) > limit) {
      return limit + 1;
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[m], limit + 1);
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  return edit_distance(decode(a), decode(b), limit);
}

std::vector<std::string> words(std::string_view folded) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < folded.size()) {
    const std::size_t end = std::min(folded.find(' ', start), folded.size());
    if (end > start) out.emplace_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool contains_phrase(std::string_view folded, std::string_view phrase) {
  if (phrase.empty()) return false;
  std::size_t at = folded.find(phrase);
  while (at != std::string_view::npos) {
    const bool starts = at == 0 || folded[at - 1] == ' ';
    const std::size_t end = at + phrase.size();
    const bool ends = end == folded.size() || folded[end] == ' ';
    if (starts && ends) return true;
    at = folded.find(phrase, at + 1);
  }
  return false;
}

bool is_latin_script(std::string_view text) {
  for (const char32_t c : decode(text)) {
    if (c < 0x80 || !u_isalpha(static_cast<UChar32>(c))) continue;
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &status);
    if (U_SUCCESS(status) && script != USCRIPT_LATIN && script != USCRIPT_COMMON &&
        script != USCRIPT_INHERITED) {
      return false;
    }
  }
  return true;
}

std::string tidy(std::string_view text) {
  if (!is_valid_utf8(text)) return {};
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString out;
  bool space = true;
  for (int32_t i = 0; i < unicode.length();) {
    const UChar32 c = unicode.char32At(i);
    i += U16_LENGTH(c);
    if (u_isUWhiteSpace(c) || c == 0x200B || u_iscntrl(c)) {
      if (!space) out.append(static_cast<UChar>(' '));
      space = true;
      continue;
    }
    out.append(c);
    space = false;
  }
  if (out.length() > 0 && out.charAt(out.length() - 1) == ' ') out.truncate(out.length() - 1);
  std::string tidied;
  out.toUTF8String(tidied);
  return tidied;
}

}  // namespace gvo::flows
