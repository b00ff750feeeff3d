// A host doing GVO's intake over the real network, whatever the intake's wording today: each
// message of the bot is recognised from the flow files themselves (intake.json and messages.json
// of the folder the bot reads its flows from), by the texts of their questions in the host's
// language, and answered from what this host knows (by the question's result name), else as a
// host who does not know (skip, yes, a choice's first word). A new question or a reworded one
// needs no change here; one this host cannot answer is said, not guessed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gvo::test::real {

class IntakeAnswerer {
 public:
  // answers: result name -> what the host writes (the first; the next ones if it is refused).
  IntakeAnswerer(const std::string& flows_dir, std::string language,
                 std::map<std::string, std::vector<std::string>> answers);

  // What the host writes to this message of the bot, if it asks something.
  std::optional<std::string> on_message(const std::string& text);

  // What was recognised last ("ask_name", "confirm", "summary", "refused"...), for a failure.
  const std::string& last_kind() const { return last_kind_; }
  // The case reference the bot gave, once it came.
  const std::string& reference() const { return reference_; }
  // The intake's end (its last message) came.
  bool finished() const { return finished_; }
  // Questions this host could not answer, and answers the bot refused.
  const std::vector<std::string>& problems() const { return problems_; }
  // Questions asked (confirmations and the summary included).
  int questions() const { return questions_; }

 private:
  struct Known {
    std::string kind;  // a node's id, or confirm, summary, language, refused
    std::vector<std::string> fragments;
  };
  std::optional<std::string> answer_to(const std::string& node);
  std::string word(const char* list) const;  // the first of messages.json's list, in language_

  std::string language_;
  std::map<std::string, std::vector<std::string>> answers_;
  std::map<std::string, std::size_t> tries_;
  nlohmann::json intake_;
  nlohmann::json messages_;
  std::vector<Known> known_;
  std::string last_kind_;
  std::string last_asked_;
  std::string reference_;
  bool finished_ = false;
  std::vector<std::string> problems_;
  int questions_ = 0;
};

}  // namespace gvo::test::real
