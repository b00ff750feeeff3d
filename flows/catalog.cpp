#include "flows/catalog.hpp"

#include <algorithm>

#include "bot/core/json_reader.hpp"
#include "flows/json_words.hpp"

namespace gvo::flows {
namespace {

using core::Json;
using core::JsonReader;

const std::map<std::string, Command>& command_names() {
  static const std::map<std::string, Command> kNames = {
      {"back", Command::back},   {"skip", Command::skip},     {"why", Command::why},
      {"help", Command::help},   {"stop", Command::stop},     {"restart", Command::restart},
      {"human", Command::human}, {"change", Command::change},
  };
  return kNames;
}

}  // namespace

// Reads {"fr": [...], "nl": [...]} of folded words, every catalog language required.
std::map<Language, std::vector<std::string>> read_words(core::JsonReader& reader,
                                                        const core::Json& object,
                                                        const std::string& path,
                                                        const std::vector<Language>& languages,
                                                        const TextFolder& folder) {
  std::map<Language, std::vector<std::string>> words_of;
  if (!reader.expect_object(object, path)) return words_of;
  for (const Language& language : languages) {
    std::vector<std::string> list;
    if (!object.contains(language)) {
      reader.problem(path + "/" + language, "missing (expected an array of words)");
      continue;
    }
    reader.read_string_list(object, path, language.c_str(), list);
    for (auto& word : list) word = fold_words(folder, word);
    words_of[language] = std::move(list);
  }
  return words_of;
}

std::map<std::string, LocalText> read_messages(core::JsonReader& reader, const core::Json& root,
                                               const std::vector<std::string>& required,
                                               const std::vector<Language>& languages) {
  std::map<std::string, LocalText> messages;
  const auto found = root.find("messages");
  if (found == root.end()) {
    reader.problem("/messages", "missing (expected an object of texts)");
    return messages;
  }
  if (!reader.expect_object(*found, "/messages")) return messages;
  for (const auto& item : found->items()) {
    const std::string path = "/messages/" + item.key();
    if (!reader.expect_object(item.value(), path)) continue;
    LocalText text;
    for (const auto& translation : item.value().items()) {
      if (!translation.value().is_string()) {
        reader.problem(path + "/" + translation.key(), "expected a string");
        continue;
      }
      text[translation.key()] = translation.value().get<std::string>();
    }
    messages[item.key()] = std::move(text);
  }
  for (const std::string& key : required) {
    const auto it = messages.find(key);
    for (const Language& language : languages) {
      if (it == messages.end() || it->second.count(language) == 0) {
        reader.problem("/messages/" + key + "/" + language, "missing translation");
      }
    }
  }
  return messages;
}

std::string fill(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      const std::size_t close = text.find('}', i);
      if (close != std::string_view::npos) {
        const auto it = values.find(std::string(text.substr(i + 1, close - i - 1)));
        if (it != values.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

std::string fold_words(const TextFolder& folder, std::string_view text) {
  std::string folded = folder.fold(text);
  for (char& c : folded) {
    if (c == '-' || c == '/' || c == '.' || c == ':') c = ' ';
  }
  return tidy(folded);
}

std::string message_text(const std::map<std::string, LocalText>& messages,
                         const std::vector<Language>& languages, const std::string& key,
                         const Language& language,
                         const std::map<std::string, std::string>& values) {
  const auto it = messages.find(key);
  if (it == messages.end()) return key;
  auto found = it->second.find(language);
  for (auto other = languages.begin(); found == it->second.end() && other != languages.end();
       ++other) {
    found = it->second.find(*other);
  }
  if (found == it->second.end()) return key;
  return fill(found->second, values);
}

std::string Catalog::text(const std::string& key, const Language& language,
                          const std::map<std::string, std::string>& values) const {
  return message_text(messages, languages, key, language, values);
}

const std::vector<std::string>& required_message_keys() {
  static const std::vector<std::string> kKeys = {"choose_language",
                                                 "language_set",
                                                 "noted",
                                                 "confirm",
                                                 "confirm_again",
                                                 "skipped",
                                                 "required",
                                                 "offer_skip",
                                                 "offer_human",
                                                 "why_default",
                                                 "help",
                                                 "back_none",
                                                 "human",
                                                 "stop_confirm",
                                                 "stopped",
                                                 "stop_cancelled",
                                                 "restarted",
                                                 "summary_footer",
                                                 "summary_which",
                                                 "summary_empty",
                                                 "reminder_default",
                                                 "timed_out",
                                                 "finished",
                                                 "too_long_message",
                                                 "unreadable",
                                                 "yes",
                                                 "no",
                                                 "centre_unknown_value",
                                                 "centre_police_value",
                                                 "invalid.text_too_short",
                                                 "invalid.text_too_long",
                                                 "invalid.name",
                                                 "invalid.date",
                                                 "invalid.date_future",
                                                 "invalid.date_too_old",
                                                 "invalid.date_impossible",
                                                 "invalid.date_too_young",
                                                 "invalid.since",
                                                 "invalid.nationality",
                                                 "invalid.nationality_ambiguous",
                                                 "invalid.centre",
                                                 "invalid.centre_ambiguous",
                                                 "invalid.phone",
                                                 "invalid.yes_no",
                                                 "invalid.choice"};
  return kKeys;
}

Result<Catalog> load_catalog(std::string_view json_text, std::string_view source,
                             const TextFolder& folder) {
  std::string why;
  const Json root = core::parse_json(json_text, why);
  if (root.is_discarded()) return core::fail(FlowErrc::syntax, std::string(source) + ": " + why);
  JsonReader reader(source);
  Catalog catalog;
  if (!reader.expect_object(root, "")) return core::fail(FlowErrc::invalid, reader.report());
  reader.reject_unknown_keys(root, "",
                             {"format", "languages", "messages", "commands", "yes", "no",
                              "language_words", "hints", "language_requests", "language_names_in"});
  int format = 0;
  reader.read_int(root, "", "format", format, 1, 1, true);
  reader.read_string_list(root, "", "languages", catalog.languages);
  if (catalog.languages.empty()) reader.problem("/languages", "expected at least one language");

  catalog.messages = read_messages(reader, root, required_message_keys(), catalog.languages);

  if (const auto commands = root.find("commands"); commands == root.end()) {
    reader.problem("/commands", "missing (expected an object of command words)");
  } else if (reader.expect_object(*commands, "/commands")) {
    for (const auto& [name, command] : command_names()) {
      if (!commands->contains(name)) {
        reader.problem("/commands/" + name, "missing (expected words in each language)");
        continue;
      }
      const auto words_of =
          read_words(reader, (*commands)[name], "/commands/" + name, catalog.languages, folder);
      for (const auto& [language, list] : words_of) {
        for (const auto& word : list) catalog.command_words[word] = command;
      }
    }
    for (const auto& item : commands->items()) {
      if (command_names().count(item.key()) == 0) {
        reader.problem("/commands/" + item.key(), "unknown command");
      }
    }
  }

  for (const char* key : {"yes", "no"}) {
    const auto it = root.find(key);
    if (it == root.end()) {
      reader.problem(std::string("/") + key, "missing (expected words in each language)");
      continue;
    }
    auto& target = std::string(key) == "yes" ? catalog.yes_words : catalog.no_words;
    for (auto& [language, list] :
         read_words(reader, *it, std::string("/") + key, catalog.languages, folder)) {
      target.insert(target.end(), list.begin(), list.end());
    }
  }

  if (const auto names = root.find("language_words"); names == root.end()) {
    reader.problem("/language_words", "missing (expected the names of each language)");
  } else {
    for (auto& [language, list] :
         read_words(reader, *names, "/language_words", catalog.languages, folder)) {
      if (!list.empty()) catalog.language_names[language] = (*names)[language][0];
      for (const auto& word : list) catalog.language_words[word] = language;
    }
  }
  if (const auto hints = root.find("hints"); hints != root.end()) {
    catalog.hints = read_words(reader, *hints, "/hints", catalog.languages, folder);
  }
  if (const auto requests = root.find("language_requests"); requests != root.end()) {
    for (auto& [language, list] :
         read_words(reader, *requests, "/language_requests", catalog.languages, folder)) {
      catalog.language_request_words.insert(catalog.language_request_words.end(), list.begin(),
                                            list.end());
    }
    // Longest first: "in het" is taken out of "in het Nederlands" before "in".
    std::stable_sort(
        catalog.language_request_words.begin(), catalog.language_request_words.end(),
        [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }
  if (const auto names = root.find("language_names_in"); names != root.end()) {
    catalog.language_names_in =
        read_words(reader, *names, "/language_names_in", catalog.languages, folder);
    for (const auto& [language, list] : catalog.language_names_in) {
      for (const auto& word : list) {
        if (catalog.language_words.count(word) == 0) {
          reader.problem("/language_names_in/" + language,
                         "'" + word + "' is not in /language_words");
        }
      }
    }
  }
  if (reader.failed()) return core::fail(FlowErrc::invalid, reader.report());
  return catalog;
}

}  // namespace gvo::flows
