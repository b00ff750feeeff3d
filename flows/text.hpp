// Text as people type it: the folding that lets "Hier", "hier ", "HIER!" and "hièr" compare equal,
// Arabic letter and digit variants made one, edit distances for typos. Pure (ICU only); the
// objects here are built once and are safe to use from one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unicode/uversion.h>

// ICU's namespace is versioned (icu_72) behind an alias; declare inside the real one.
U_NAMESPACE_BEGIN
class Transliterator;
U_NAMESPACE_END

namespace gvo::flows {

class TextFolder {
 public:
  TextFolder();
  TextFolder(const TextFolder&) = delete;
  TextFolder& operator=(const TextFolder&) = delete;
  ~TextFolder();

  // Lowercase, accents removed, Arabic alef/yeh/teh marbuta variants and diacritics unified,
  // Arabic-Indic and Persian digits made ASCII, punctuation turned into spaces (apart from the
  // date separators / - . and :), runs of spaces made one, trimmed.
  std::string fold(std::string_view text) const;

  // A Latin key for comparing names across scripts and spellings: transliterated to Latin,
  // ASCII, lowercase, letters and single spaces only ("محمد" -> "mhmd", "Müller" -> "muller").
  std::string latin_key(std::string_view text) const;

 private:
  std::unique_ptr<icu::Transliterator> accents_;
  std::unique_ptr<icu::Transliterator> to_latin_;
};

// Whether text is valid UTF-8 (anything else is refused before it reaches ICU).
bool is_valid_utf8(std::string_view text);
// The number of code points in valid UTF-8.
std::size_t code_points(std::string_view text);
// Code points of valid UTF-8 (U+FFFD for any bad byte).
std::u32string decode(std::string_view text);
// Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps) over code points,
// computed only as far as limit: any distance above it is reported as limit + 1.
std::size_t edit_distance(const std::u32string& a, const std::u32string& b, std::size_t limit);
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);
// The words of folded text, split on spaces.
std::vector<std::string> words(std::string_view folded);
// Whether the folded text holds phrase as whole words.
bool contains_phrase(std::string_view folded, std::string_view phrase);
// Whether every letter of text is in the Latin script ("Müller" yes, "محمد" or "Иван" no);
// text without letters counts as Latin.
bool is_latin_script(std::string_view text);
// Trims spaces (ASCII and Unicode no-break) and collapses inner runs of white space to one space.
std::string tidy(std::string_view text);

}  // namespace gvo::flows
