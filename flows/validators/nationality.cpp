// Nationalities: ISO 3166 codes from country names in any of the four languages (ICU's display
// names, so every country is known), from demonyms masculine and feminine (flows/defs/
// nationalities.json), with typos forgiven where one country is clearly meant.
#include <algorithm>
#include <set>

#include <unicode/locid.h>
#include <unicode/ures.h>

#include "bot/core/json_reader.hpp"
#include "flows/validators.hpp"
#include "flows/validators/tables.hpp"

namespace gvo::flows {
namespace {

using core::Json;
using core::JsonReader;

std::string utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

bool is_country_code(const std::string& code) {
  return code.size() == 2 && std::isupper(static_cast<unsigned char>(code[0])) &&
         std::isupper(static_cast<unsigned char>(code[1]));
}

std::set<std::string> iso_countries() {
  std::set<std::string> codes;
  for (const char* const* code = icu::Locale::getISOCountries(); *code != nullptr; ++code) {
    codes.insert(*code);
  }
  return codes;
}

// Typos forgiven: one edit from five letters, two from eight.
std::size_t allowed_edits(std::size_t length) {
  if (length >= 8) return 2;
  if (length >= 5) return 1;
  return 0;
}

}  // namespace

Result<NationalityWords> load_nationalities(std::string_view json_text, std::string_view source,
                                            const TextFolder& folder) {
  std::string why;
  const Json root = core::parse_json(json_text, why);
  if (root.is_discarded()) return core::fail(FlowErrc::syntax, std::string(source) + ": " + why);
  JsonReader reader(source);
  NationalityWords words;
  if (!reader.expect_object(root, "")) return core::fail(FlowErrc::invalid, reader.report());
  reader.reject_unknown_keys(root, "", {"format", "comment", "countries", "special"});
  int format = 0;
  reader.read_int(root, "", "format", format, 1, 1, true);
  const std::set<std::string> known = iso_countries();

  auto read_names = [&](const Json& object, const std::string& path, const std::string& code) {
    if (!reader.expect_object(object, path)) return;
    for (const auto& item : object.items()) {
      std::vector<std::string> list;
      reader.read_string_list(object, path, item.key().c_str(), list);
      for (const auto& word : list) words.words[code].push_back(fold_words(folder, word));
    }
  };
  if (const auto countries = root.find("countries"); countries == root.end()) {
    reader.problem("/countries", "missing (expected an object of ISO 3166 codes)");
  } else if (reader.expect_object(*countries, "/countries")) {
    for (const auto& item : countries->items()) {
      const std::string path = "/countries/" + item.key();
      if (!is_country_code(item.key()) || known.count(item.key()) == 0) {
        reader.problem(path, "expected an ISO 3166 country code such as MA");
        continue;
      }
      read_names(item.value(), path, item.key());
    }
  }
  if (const auto special = root.find("special");
      special != root.end() && reader.expect_object(*special, "/special")) {
    for (const auto& item : special->items()) {
      const std::string path = "/special/" + item.key();
      if (!reader.expect_object(item.value(), path)) continue;
      reader.reject_unknown_keys(item.value(), path, {"names", "display"});
      if (item.value().contains("names"))
        read_names(item.value()["names"], path + "/names", item.key());
      LocalText display;
      if (const auto shown = item.value().find("display");
          shown != item.value().end() && reader.expect_object(*shown, path + "/display")) {
        for (const auto& text : shown->items()) {
          if (text.value().is_string()) display[text.key()] = text.value().get<std::string>();
        }
      }
      if (display.empty())
        reader.problem(path + "/display", "missing (expected its name in each language)");
      words.special[item.key()] = std::move(display);
    }
  }
  if (reader.failed()) return core::fail(FlowErrc::invalid, reader.report());
  return words;
}

std::unique_ptr<Validators::NationalityIndex> make_nationality_index(
    const TextFolder& folder, const NationalityWords& words,
    const std::vector<Language>& languages) {
  auto index = std::make_unique<Validators::NationalityIndex>();
  auto add = [&](const std::string& name, const std::string& code) {
    if (name.empty()) return;
    auto [at, added] = index->by_folded.emplace(name, index->names.size());
    if (added) index->names.push_back({name, decode(name), {}});
    auto& codes = index->names[at->second].codes;
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  };
  // A name as ICU writes it, and as people type it: "Congo - Kinshasa" is also "Congo-Kinshasa"
  // and "Congo Kinshasa".
  auto add_name = [&](const std::string& shown, const std::string& code) {
    const std::string folded = fold_words(folder, shown);
    add(folded, code);
    std::string joined;
    std::string spaced;
    for (const std::string& word : flows::words(folded)) {
      if (word == "-") {
        joined += '-';
        continue;
      }
      if (!joined.empty() && joined.back() != '-') joined += ' ';
      joined += word;
      if (!spaced.empty()) spaced += ' ';
      for (char c : word) spaced += c == '-' ? ' ' : c;
    }
    add(joined, code);
    add(spaced, code);
  };
  for (const std::string& code : iso_countries()) {
    const icu::Locale country("", code.c_str());
    for (const Language& language : languages) {
      icu::UnicodeString name;
      country.getDisplayCountry(icu::Locale(language.c_str()), name);
      const std::string shown = utf8(name);
      if (shown != code) add_name(shown, code);
    }
  }
  // ICU's other names of countries: "Congo (RDC)", "République du Congo", "Ivory Coast", "UK".
  const std::set<std::string> known = iso_countries();
  for (const Language& language : languages) {
    for (const char* table : {"Countries%variant", "Countries%short"}) {
      UErrorCode status = U_ZERO_ERROR;
      UResourceBundle* bundle = ures_open(U_ICUDATA_NAME "-region", language.c_str(), &status);
      UResourceBundle* names = ures_getByKey(bundle, table, nullptr, &status);
      const int32_t size = U_SUCCESS(status) ? ures_getSize(names) : 0;
      for (int32_t i = 0; i < size; ++i) {
        UErrorCode item_status = U_ZERO_ERROR;
        UResourceBundle* item = ures_getByIndex(names, i, nullptr, &item_status);
        int32_t length = 0;
        const UChar* text = ures_getString(item, &length, &item_status);
        const std::string code = ures_getKey(item) != nullptr ? ures_getKey(item) : "";
        if (U_SUCCESS(item_status) && known.count(code) != 0) {
          add_name(utf8(icu::UnicodeString(text, length)), code);
        }
        ures_close(item);
      }
      ures_close(names);
      ures_close(bundle);
    }
  }
  for (const auto& [code, list] : words.words) {
    for (const auto& word : list) add(word, code);
  }
  return index;
}

std::string Validators::country_name(const std::string& code, const Language& language) const {
  if (const auto special = nationality_words_.special.find(code);
      special != nationality_words_.special.end()) {
    const auto it = special->second.find(language);
    return it != special->second.end() ? it->second : code;
  }
  icu::UnicodeString name;
  icu::Locale("", code.c_str()).getDisplayCountry(icu::Locale(language.c_str()), name);
  return utf8(name);
}

Validation Validators::nationality(std::string_view input, const ValidationContext& context) const {
  const std::string folded = fold_words(folder_, input);
  if (folded.empty()) return Rejection{"nationality", {}};
  auto answer = [&](const std::string& code) -> Validation {
    return Answer{code, country_name(code, context.language), std::string(input), {}, false};
  };
  auto ambiguous = [&](std::vector<std::string> codes) -> Validation {
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    if (codes.size() == 1) return answer(codes.front());
    std::string options;
    for (std::size_t i = 0; i < codes.size() && i < 4; ++i) {
      if (!options.empty()) options += " / ";
      options += country_name(codes[i], context.language);
    }
    return Rejection{"nationality_ambiguous", {{"options", options}}};
  };

  // 1. The whole answer is a name.
  if (const auto it = countries_->by_folded.find(folded); it != countries_->by_folded.end()) {
    return ambiguous(countries_->names[it->second].codes);
  }
  // 2. A name inside a sentence ("il est marocain"); the longest one wins ("guinée équatoriale"
  // over "guinée").
  std::size_t longest = 0;
  std::vector<std::string> found;
  for (const auto& name : countries_->names) {
    const std::size_t size = name.folded.size();
    if (size < 3 || size < longest || !contains_phrase(folded, name.folded)) continue;
    if (size > longest) found.clear();
    longest = size;
    found.insert(found.end(), name.codes.begin(), name.codes.end());
  }
  if (!found.empty()) return ambiguous(found);
  // 3. A typo of a name: the whole answer or one of its words; the closest names win.
  std::vector<std::string> candidates = words(folded);
  if (candidates.size() > 1) candidates.push_back(folded);
  std::size_t best = 3;
  for (const std::string& candidate : candidates) {
    const std::u32string points = decode(candidate);
    const std::size_t allowed = std::min(allowed_edits(points.size()), best);
    if (allowed == 0) continue;
    for (const auto& name : countries_->names) {
      const std::size_t distance = edit_distance(points, name.points, allowed);
      if (distance > allowed || distance > best) continue;
      if (distance < best) found.clear();
      best = distance;
      found.insert(found.end(), name.codes.begin(), name.codes.end());
    }
  }
  if (!found.empty()) {
    Validation read = ambiguous(found);
    if (auto* corrected = std::get_if<Answer>(&read)) corrected->certain = false;  // a typo
    return read;
  }
  return Rejection{"nationality", {}};
}

}  // namespace gvo::flows
