// Reading words and texts in every language out of JSON data files (messages.json, desk.json).
// Brings nlohmann/json: include it from .cpp files only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bot/core/json_reader.hpp"
#include "flows/flow.hpp"
#include "flows/text.hpp"

namespace gvo::flows {

// Reads {"fr": [...], "nl": [...]} into folded words (fold_words), each of languages required.
std::map<Language, std::vector<std::string>> read_words(core::JsonReader& reader,
                                                        const core::Json& object,
                                                        const std::string& path,
                                                        const std::vector<Language>& languages,
                                                        const TextFolder& folder);

// Reads root["messages"]: {"key": {"fr": "...", ...}}; each required key in every language.
std::map<std::string, LocalText> read_messages(core::JsonReader& reader, const core::Json& root,
                                               const std::vector<std::string>& required,
                                               const std::vector<Language>& languages);

}  // namespace gvo::flows
