// The words and texts every flow shares, loaded from data (flows/defs/messages.json): the engine's
// own messages in each language, the commands valid anywhere, yes and no, language names and the
// hints that guess a language from a first message. Immutable once loaded.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bot/core/result.hpp"
#include "flows/flow.hpp"
#include "flows/text.hpp"

namespace gvo::flows {

enum class Command { back, skip, why, help, stop, restart, human, change };

enum class FlowErrc {
  syntax,   // not JSON
  invalid,  // JSON, but not a valid flow, catalog or directory
  session,  // a saved session that cannot be resumed
};

template <typename T>
using Result = core::Result<T, FlowErrc>;

struct Catalog {
  std::vector<Language> languages;                 // in the order offered to people
  std::map<Language, std::string> language_names;  // "Français", "Nederlands"...
  std::map<std::string, LocalText> messages;
  std::map<std::string, Command> command_words;        // folded word or phrase -> command
  std::map<std::string, Language> language_words;      // folded name -> language
  std::map<Language, std::vector<std::string>> hints;  // folded words typical of a language
  // Folded words that ask for a language around its name: "prefere", "svp", "in het" (longest
  // first).
  std::vector<std::string> language_request_words;
  // The languages' names as written in each language ("arabe" is French): at a question, a
  // language's name in the conversation's own language is an answer, not a wish to switch.
  std::map<Language, std::vector<std::string>> language_names_in;
  std::vector<std::string> yes_words;  // folded, every language
  std::vector<std::string> no_words;

  // The message in language, else in the first catalog language that has it. {name} placeholders
  // are replaced from values.
  std::string text(const std::string& key, const Language& language,
                   const std::map<std::string, std::string>& values = {}) const;
};

// The keys every catalog must translate into each of its languages.
const std::vector<std::string>& required_message_keys();

Result<Catalog> load_catalog(std::string_view json_text, std::string_view source,
                             const TextFolder& folder);

// messages[key] in language, else in the first of languages that has it, {placeholders} filled;
// the key itself when there is no such message.
std::string message_text(const std::map<std::string, LocalText>& messages,
                         const std::vector<Language>& languages, const std::string& key,
                         const Language& language,
                         const std::map<std::string, std::string>& values);

// Replaces {name} in text with values[name]; unknown names stay as they are.
std::string fill(std::string_view text, const std::map<std::string, std::string>& values);

// Folds for word matching: like TextFolder::fold, with - / . : as spaces too.
std::string fold_words(const TextFolder& folder, std::string_view text);

}  // namespace gvo::flows
