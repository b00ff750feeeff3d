// Detention centres by the loose names people use ("127", "Steenokkerzeel", "centre fermé de
// Vottem", "Brugge", "CIM"), with "unknown" and "still at a police station" as answers too. A
// name that fits several centres is asked about, never guessed.
#include <algorithm>
#include <set>

#include "bot/core/json_reader.hpp"
#include "flows/validators.hpp"

namespace gvo::flows {
namespace {

using core::Json;
using core::JsonReader;

bool is_identifier(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<std::string> read_phrases(JsonReader& reader, const Json& root, const char* key,
                                      const TextFolder& folder) {
  std::vector<std::string> phrases;
  const auto it = root.find(key);
  const std::string path = std::string("/") + key;
  if (it == root.end()) {
    reader.problem(path, "missing (expected words in each language)");
    return phrases;
  }
  if (!reader.expect_object(*it, path)) return phrases;
  for (const auto& item : it->items()) {
    std::vector<std::string> list;
    reader.read_string_list(*it, path, item.key().c_str(), list);
    for (const auto& phrase : list) phrases.push_back(fold_words(folder, phrase));
  }
  return phrases;
}

bool matches_any(const std::string& folded, const std::vector<std::string>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(), [&](const std::string& phrase) {
    return folded == phrase || contains_phrase(folded, phrase);
  });
}

}  // namespace

const Centre* CentreDirectory::find(std::string_view id) const {
  for (const Centre& centre : centres) {
    if (centre.id == id) return &centre;
  }
  return nullptr;
}

Result<CentreDirectory> load_centres(std::string_view json_text, std::string_view source,
                                     const TextFolder& folder) {
  std::string why;
  const Json root = core::parse_json(json_text, why);
  if (root.is_discarded()) return core::fail(FlowErrc::syntax, std::string(source) + ": " + why);
  JsonReader reader(source);
  CentreDirectory directory;
  if (!reader.expect_object(root, "")) return core::fail(FlowErrc::invalid, reader.report());
  reader.reject_unknown_keys(
      root, "",
      {"format", "comment", "centres", "unknown", "police_station", "police_station_in_message"});
  int format = 0;
  reader.read_int(root, "", "format", format, 1, 1, true);
  const auto centres = root.find("centres");
  if (centres == root.end() || !centres->is_array() || centres->empty()) {
    reader.problem("/centres", "expected a non-empty array of centres");
  } else {
    std::set<std::string> ids;
    for (std::size_t i = 0; i < centres->size(); ++i) {
      const std::string path = "/centres/" + std::to_string(i);
      const Json& item = (*centres)[i];
      if (!reader.expect_object(item, path)) continue;
      reader.reject_unknown_keys(item, path,
                                 {"id", "name", "names", "phones", "emails", "aliases"});
      Centre centre;
      reader.read_string(item, path, "id", centre.id, true);
      reader.read_string(item, path, "name", centre.name, true);
      // "names": the name in each language, {"fr": ..., "nl": ..., "en": ..., "ar": ...}.
      if (const auto names = item.find("names");
          names != item.end() && reader.expect_object(*names, path + "/names")) {
        for (const auto& text : names->items()) {
          if (text.value().is_string() && !text.value().get<std::string>().empty()) {
            centre.names[text.key()] = text.value().get<std::string>();
          } else {
            reader.problem(path + "/names/" + text.key(), "expected the name as a string");
          }
        }
      }
      reader.read_string_list(item, path, "phones", centre.phones);
      reader.read_string_list(item, path, "emails", centre.emails);
      std::vector<std::string> aliases;
      reader.read_string_list(item, path, "aliases", aliases);
      if (!centre.id.empty() && !is_identifier(centre.id)) {
        reader.problem(path + "/id", "expected lowercase letters, digits and _");
      }
      if (!centre.id.empty() && !ids.insert(centre.id).second) {
        reader.problem(path + "/id", "duplicate centre id '" + centre.id + "'");
      }
      aliases.push_back(centre.name);
      for (const auto& [language, name] : centre.names) aliases.push_back(name);
      for (const auto& alias : aliases) centre.aliases.push_back(fold_words(folder, alias));
      directory.centres.push_back(std::move(centre));
    }
  }
  directory.unknown_words = read_phrases(reader, root, "unknown", folder);
  directory.police_words = read_phrases(reader, root, "police_station", folder);
  directory.police_in_message = read_phrases(reader, root, "police_station_in_message", folder);
  if (reader.failed()) return core::fail(FlowErrc::invalid, reader.report());
  return directory;
}

std::string Validators::centre_name(std::string_view id, const Language& language) const {
  const Centre* centre = centres_.find(id);
  if (centre == nullptr) return std::string(id);
  if (const auto it = centre->names.find(language); it != centre->names.end()) return it->second;
  return centre->name;
}

std::string Validators::centre_list(const Language& language) const {
  std::string list;
  for (const Centre& centre : centres_.centres) {
    if (!list.empty()) list += ", ";
    list += centre_name(centre.id, language);
  }
  return list;
}

Validation Validators::centre(std::string_view input, const ValidationContext& context) const {
  const std::string folded = fold_words(folder_, input);
  auto answer = [&](const std::string& value, const std::string& display) -> Validation {
    return Answer{value, display, std::string(input), {}, false};
  };
  auto pick = [&](const std::vector<const Centre*>& found) -> Validation {
    if (found.size() == 1)
      return answer(found.front()->id, centre_name(found.front()->id, context.language));
    std::string options;
    for (const Centre* centre : found) {
      if (!options.empty()) options += " / ";
      options += centre_name(centre->id, context.language);
    }
    return Rejection{"centre_ambiguous", {{"options", options}}};
  };
  if (folded.empty()) return Rejection{"centre", {{"options", centre_list(context.language)}}};

  // A centre named in the answer. An alias only one centre has outweighs one they share, so
  // "Caricole à Steenokkerzeel" is Caricole while "Steenokkerzeel" alone is asked about.
  std::vector<const Centre*> named;
  std::vector<const Centre*> named_uniquely;
  for (const Centre& centre : centres_.centres) {
    bool any = false;
    bool unique = false;
    for (const std::string& alias : centre.aliases) {
      if (alias.empty() || !(folded == alias || contains_phrase(folded, alias))) continue;
      any = true;
      const bool shared =
          std::any_of(centres_.centres.begin(), centres_.centres.end(), [&](const Centre& other) {
            return &other != &centre && std::find(other.aliases.begin(), other.aliases.end(),
                                                  alias) != other.aliases.end();
          });
      unique = unique || !shared;
    }
    if (any) named.push_back(&centre);
    if (unique) named_uniquely.push_back(&centre);
  }
  if (named_uniquely.size() == 1) return pick(named_uniquely);
  if (!named.empty()) return pick(named_uniquely.empty() ? named : named_uniquely);

  if (matches_any(folded, centres_.police_words)) {
    return answer("police_station", catalog_.text("centre_police_value", context.language));
  }
  if (matches_any(folded, centres_.unknown_words)) {
    return answer("unknown", catalog_.text("centre_unknown_value", context.language));
  }

  // A typo of an alias, in the whole answer or one of its words.
  std::vector<std::string> candidates = words(folded);
  if (candidates.size() > 1) candidates.push_back(folded);
  std::vector<const Centre*> close;
  for (const Centre& centre : centres_.centres) {
    const bool near =
        std::any_of(candidates.begin(), candidates.end(), [&](const std::string& word) {
          const std::size_t length = code_points(word);
          const std::size_t allowed = length >= 8 ? 2 : length >= 5 ? 1 : 0;
          return allowed > 0 && std::any_of(centre.aliases.begin(), centre.aliases.end(),
                                            [&](const std::string& alias) {
                                              return edit_distance(word, alias, allowed) <= allowed;
                                            });
        });
    if (near) close.push_back(&centre);
  }
  if (!close.empty()) {
    Validation read = pick(close);
    if (auto* corrected = std::get_if<Answer>(&read)) corrected->certain = false;  // a typo
    return read;
  }
  return Rejection{"centre", {{"options", centre_list(context.language)}}};
}

}  // namespace gvo::flows
