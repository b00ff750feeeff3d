#include "tests/signal_cli_real/intake_answerer.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>

namespace gvo::test::real {

using Json = nlohmann::json;

namespace {

Json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return Json::parse(in);
}

// The placeholder-free pieces of a text, each cut to its first 60 bytes (at a character
// boundary): enough to recognise it, and a later change to its end does not matter.
std::vector<std::string> fragments_of(const std::string& text) {
  std::vector<std::string> out;
  const std::regex placeholder(R"(\{[^{}]*\})");
  for (std::sregex_token_iterator piece(text.begin(), text.end(), placeholder, -1), end;
       piece != end; ++piece) {
    std::string fragment = piece->str();
    const auto first = fragment.find_first_not_of(" .:,\n");
    if (first == std::string::npos) continue;
    fragment = fragment.substr(first);
    if (fragment.size() > 60) {
      std::size_t cut = 60;
      while (cut > 0 && (static_cast<unsigned char>(fragment[cut]) & 0xC0) == 0x80) --cut;
      fragment.resize(cut);
    }
    if (fragment.size() >= 12) out.push_back(fragment);
  }
  return out;
}

std::string in_language(const Json& texts, const std::string& language) {
  if (texts.is_string()) return texts.get<std::string>();
  if (texts.is_object() && texts.contains(language) && texts[language].is_string())
    return texts[language].get<std::string>();
  return "";
}

}  // namespace

IntakeAnswerer::IntakeAnswerer(const std::string& flows_dir, std::string language,
                               std::map<std::string, std::vector<std::string>> answers)
    : language_(std::move(language)),
      answers_(std::move(answers)),
      intake_(read_json(flows_dir + "/intake.json")),
      messages_(read_json(flows_dir + "/messages.json")) {
  for (const auto& [id, node] : intake_.at("nodes").items()) {
    const std::string type = node.value("type", "");
    if (type != "ask" && type != "end" && type != "summary") continue;
    auto fragments = fragments_of(in_language(node.value("text", Json()), language_));
    if (type == "end") {
      known_.push_back({"end", fragments});
    } else if (type == "ask") {
      known_.push_back({id, fragments});
    }
  }
  const Json& texts = messages_.at("messages");
  const auto message = [&](const char* kind, const char* key) {
    if (texts.contains(key))
      known_.push_back({kind, fragments_of(in_language(texts[key], language_))});
  };
  message("confirm", "confirm");
  message("summary", "summary_footer");
  message("language", "choose_language");
  message("refused", "required");
  for (const auto& [key, text] : texts.items()) {
    if (key.rfind("invalid.", 0) == 0)
      known_.push_back({"refused", fragments_of(in_language(text, language_))});
  }
}

std::string IntakeAnswerer::word(const char* list) const {
  const Json& words = messages_.at(list).at(language_);
  return words.at(0).get<std::string>();
}

std::optional<std::string> IntakeAnswerer::on_message(const std::string& text) {
  static const std::regex reference("[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}");
  std::smatch found;
  if (reference_.empty() && std::regex_search(text, found, reference)) reference_ = found.str();
  // What the message asks is what comes last in it ("Noted: Morocco. Which centre...?").
  const Known* asked = nullptr;
  std::size_t at_best = 0;
  for (const auto& known : known_) {
    for (const auto& fragment : known.fragments) {
      const auto at = text.find(fragment);
      if (at == std::string::npos) continue;
      if (!asked || at + fragment.size() > at_best) {
        asked = &known;
        at_best = at + fragment.size();
      }
    }
  }
  if (!asked) return std::nullopt;
  last_kind_ = asked->kind;
  if (asked->kind == "end") {
    finished_ = true;
    return std::nullopt;
  }
  if (asked->kind == "refused") {
    problems_.push_back("refused: " + text.substr(0, 160));
    if (last_asked_.empty()) return std::nullopt;
    return answer_to(last_asked_);  // the next way of saying it, if there is one
  }
  ++questions_;
  if (asked->kind == "confirm" || asked->kind == "summary") return word("yes");
  if (asked->kind == "language")
    return messages_.at("language_words").at(language_).at(0).get<std::string>();
  last_asked_ = asked->kind;
  return answer_to(asked->kind);
}

std::optional<std::string> IntakeAnswerer::answer_to(const std::string& id) {
  const Json& node = intake_.at("nodes").at(id);
  const std::string result = node.value("result", "");
  const Json answer = node.value("answer", Json::object());
  const std::string type = answer.value("type", "");
  const std::size_t tries = tries_[id]++;
  if (const auto mine = answers_.find(result); mine != answers_.end()) {
    if (tries < mine->second.size()) return mine->second[tries];
    problems_.push_back("no other answer to " + id);
    return std::nullopt;
  }
  if (tries > 0) {
    problems_.push_back("asked again: " + id);
    return std::nullopt;
  }
  if (type == "yes_no") return word("yes");
  if (node.value("optional", false))
    return messages_.at("commands").at("skip").at(language_).at(0).get<std::string>();
  if (type == "choice" && answer.contains("choices") && !answer["choices"].empty()) {
    const Json& first = answer["choices"][0];
    if (first.contains("keywords") && first["keywords"].contains(language_))
      return first["keywords"][language_].at(0).get<std::string>();
    return in_language(first.value("label", Json()), language_);
  }
  problems_.push_back("a question this host cannot answer: " + id);
  return std::nullopt;
}

}  // namespace gvo::test::real
