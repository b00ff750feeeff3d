// A simulated host doing GVO's whole intake (flows/defs/intake.json, in English), driven by what
// the bot writes: each answer goes only when the question it answers has arrived, whatever the
// timing. Transport-agnostic and pure: the harnesses (tests/campaign/kill_campaign.cpp, the
// storage-fault test, gvo-relay-load-bench) carry its messages over gvo-relay or the fake
// signal-cli, and judge what each host received against a transcript made without faults.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gvo::campaign {

// The registered name host `index` gives: one per host, no two alike even for the bot's linking
// (their skeletons differ), so that every host's report is a case of its own.
std::string host_name(int index);

class IntakeHost {
 public:
  explicit IntakeHost(std::string name);

  const std::string& name() const { return name_; }
  // The first message ("Hello, my friend was arrested").
  std::string first_message();
  // A message from the bot: recorded; the answer to send when it is the question awaited now.
  std::optional<std::string> on_message(const std::string& text);

  // The last message of the intake arrived (the flow's end, after the case reference).
  bool finished() const { return finished_; }
  // How many answers were sent (the first message included), of how many in a whole intake.
  std::size_t answers_sent() const { return step_; }
  static std::size_t answers_in_intake();
  // The last message this host sent, and whether the question after it has come.
  const std::string& last_sent() const { return last_sent_; }
  bool awaiting_reply() const { return step_ > 0 && !finished_; }
  // What the bot wrote, in the order it arrived, with this host's name and case reference
  // replaced by <NAME> and <REF>, so that every host's transcript reads the same.
  const std::vector<std::string>& transcript() const { return transcript_; }
  // The case reference the bot gave ("K7QM-3XPD"), or "" before it came.
  const std::string& reference() const { return reference_; }

 private:
  std::string name_;
  std::size_t step_ = 0;
  bool finished_ = false;
  std::string last_sent_;
  std::string reference_;
  std::vector<std::string> transcript_;
};

// How a host's transcript differs from the one expected (made without faults):
// missing: expected messages that never came (by count of each distinct text);
// duplicated: messages that came more often than expected (or were not expected at all);
// reordered: messages that came, but not in their place (outside the longest common
// subsequence, duplicates aside).
struct Difference {
  int missing = 0;
  int duplicated = 0;
  int reordered = 0;
  bool none() const { return missing == 0 && duplicated == 0 && reordered == 0; }
};
Difference compare(const std::vector<std::string>& expected, const std::vector<std::string>& got);

// The first place two transcripts differ, for a failure's explanation.
std::string first_difference(const std::vector<std::string>& expected,
                             const std::vector<std::string>& got);

}  // namespace gvo::campaign
