#include "tests/campaign/intake_host.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <regex>

namespace gvo::campaign {

namespace {

struct Step {
  const char* question;  // a part of the bot's message that asks it
  const char* answer;    // nullptr: the registered name
};

// The intake (flows/defs/intake.json, version 3) as a host answers it, like the relay e2e test's
// host1: each answer waits for its question.
const Step kSteps[] = {
    {"How long have you been without news", "3 days"},
    {"Do you know where the person is now", "vottem"},
    {"What is their LAST NAME", nullptr},
    {"Which nationality did the police record", "moroccan"},
    {"When were they arrested", "3 days ago"},
    {"Do they want a lawyer", "no"},
    {"Has the detained person agreed", "yes"},
    {"Anything else that can help the lawyer", "no"},
    {"If everything is right, answer yes", "yes"},
};
constexpr const char* kFirst = "Hello, my friend was arrested";
constexpr const char* kLast = "Write to me any time";

const std::regex& reference_pattern() {
  static const std::regex pattern("[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}");
  return pattern;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

}  // namespace

std::string host_name(int index) {
  // Neighbouring syllables take their consonants from different sets, so that no letter doubles
  // and every skeleton (the bot drops vowels and doubled letters to link names) is unique.
  static const char* const a[] = {"ba", "me", "ri", "to", "su", "la", "ne", "di", "fo", "pu"};
  static const char* const b[] = {"go", "vi", "za", "he", "ju", "wa", "yo", "ci", "qe", "xu"};
  std::string last = "KA";
  last += a[(index / 100) % 10];
  last += b[(index / 10) % 10];
  last += a[index % 10];
  if (index >= 1000) last += b[(index / 1000) % 10];
  for (auto& c : last) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return last + " Mamadou";
}

IntakeHost::IntakeHost(std::string name) : name_(std::move(name)) {}

std::size_t IntakeHost::answers_in_intake() { return std::size(kSteps) + 1; }

std::string IntakeHost::first_message() {
  step_ = 1;
  last_sent_ = kFirst;
  return last_sent_;
}

std::optional<std::string> IntakeHost::on_message(const std::string& text) {
  std::smatch found;
  if (reference_.empty() && text.find("Its reference") != std::string::npos &&
      std::regex_search(text, found, reference_pattern()))
    reference_ = found.str();
  std::string normal = replace_all(text, name_, "<NAME>");
  normal = std::regex_replace(normal, reference_pattern(), "<REF>");
  transcript_.push_back(std::move(normal));
  if (step_ == 0 || finished_) return std::nullopt;
  const std::size_t question = step_ - 1;
  if (question == std::size(kSteps)) {
    if (text.find(kLast) != std::string::npos) finished_ = true;
    return std::nullopt;
  }
  if (text.find(kSteps[question].question) == std::string::npos) return std::nullopt;
  ++step_;
  last_sent_ = kSteps[question].answer == nullptr ? name_ : kSteps[question].answer;
  return last_sent_;
}

Difference compare(const std::vector<std::string>& expected, const std::vector<std::string>& got) {
  Difference difference;
  std::map<std::string, int> counts;
  for (const auto& text : expected) ++counts[text];
  for (const auto& text : got) --counts[text];
  for (const auto& [text, count] : counts) {
    if (count > 0) difference.missing += count;
    if (count < 0) difference.duplicated -= count;
  }
  // The longest common subsequence: what came in its place.
  const std::size_t n = expected.size();
  const std::size_t m = got.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] =
          expected[i] == got[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const int out_of_place = static_cast<int>(m) - lcs[0][0] - difference.duplicated;
  difference.reordered = std::max(0, out_of_place);
  return difference;
}

std::string first_difference(const std::vector<std::string>& expected,
                             const std::vector<std::string>& got) {
  std::size_t i = 0;
  while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
  auto cut = [](const std::string& text) {
    std::string line = text.substr(0, 90);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return line;
  };
  if (i == expected.size() && i == got.size()) return "(the same)";
  return "message " + std::to_string(i + 1) + ": expected \"" +
         (i < expected.size() ? cut(expected[i]) : std::string("(nothing more)")) + "\", got \"" +
         (i < got.size() ? cut(got[i]) : std::string("(nothing more)")) + "\"";
}

}  // namespace gvo::campaign
