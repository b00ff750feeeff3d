// Rate limits on what reaches the desk (DESIGN §7): a bucket per sender, and one budget for
// everyone who is not staff, shared fairly: the lighter a sender's recent traffic, the deeper it
// may draw, so that many senders each under their own limit cannot starve a host in the middle of
// an intake, and the lowest part of it is kept for people the bot already talks with (an open
// conversation, a case), out of strangers' reach. Staff have their own, larger, budget whatever
// the load. A dropped message may be answered "write again in a minute": once per sender per
// window, and within a budget of its own. Time comes in; keys are keyed hashes or addresses, never
// logged. Pure; one instance lives as long as the bot.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

namespace gvo::cases {

struct RateLimitSettings {
  // A whole intake typed fast is some 40 messages: it fits in a host's burst.
  double per_sender_per_minute = 60;  // hosts
  double per_sender_burst = 60;
  double staff_per_minute = 240;
  double staff_burst = 120;
  double everyone_per_minute = 1200;  // all hosts together
  double everyone_burst = 600;
  std::size_t max_tracked_senders = 10000;  // the least recent are forgotten beyond this
  // Fair sharing of everyone's budget, as fractions of everyone_burst: a sender whose recent
  // traffic is at its own limit stops drawing at heavy_floor, a lighter one goes deeper, in
  // proportion; a stranger never below stranger_floor (what is under it is kept for people with a
  // conversation or a case).
  double heavy_floor = 0.5;
  double stranger_floor = 0.15;
  double usage_seconds = 60;  // a sender's recent traffic decays with this time constant
  // "Many messages right now": at most once per sender per busy_window_seconds, and within a
  // budget for everyone (so that the answer cannot be turned into a flood of its own), shared
  // with the same floors.
  double busy_window_seconds = 60;
  double busy_per_minute = 60;
  double busy_burst = 60;
};

// Who a message is from, as the desk knows before it reads it.
enum class Standing {
  staff,
  known,     // a conversation in progress or a case
  stranger,  // anyone else
};

struct Admission {
  bool admitted = false;
  bool tell_busy = false;  // dropped, and the sender is to be told so
};

// What was dropped since the last report, for a log line with counts only.
struct DropReport {
  std::uint64_t dropped = 0;
  std::uint64_t told = 0;  // of those, the senders answered "write again in a minute"
  std::uint64_t dropped_total = 0;
  std::uint64_t told_total = 0;
};

class RateLimits {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit RateLimits(RateLimitSettings settings = {}) : settings_(settings) {}

  // Whether a message from sender may go on now, counted either way.
  Admission admit(const std::string& sender_key, Standing standing, TimePoint now);
  // The drops since the last report, once per interval and only when there were any (time comes
  // in: nothing is reported until the next call after the interval).
  std::optional<DropReport> report(TimePoint now, std::chrono::seconds interval);

  std::size_t tracked_senders() const { return senders_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint at{};
    bool fresh = true;
  };
  struct Sender {
    Bucket own;
    double usage = 0;  // messages sent recently (decayed), dropped ones included
    TimePoint used_at{};
    std::optional<TimePoint> told_at;
    std::list<std::string>::iterator order;
  };
  static void refill(Bucket& bucket, double per_minute, double burst, TimePoint now);
  static bool take(Bucket& bucket, double per_minute, double burst, TimePoint now);
  Sender& sender(const std::string& key, TimePoint now);
  double floor_of(const Sender& sender, Standing standing) const;
  bool shared_allows(Sender& sender, Standing standing, TimePoint now);
  Admission drop(Sender& sender, Standing standing, TimePoint now);

  RateLimitSettings settings_;
  std::unordered_map<std::string, Sender> senders_;
  std::list<std::string> recent_;  // most recent first
  Bucket everyone_;
  Bucket busy_;
  DropReport counts_;
  std::optional<TimePoint> reported_at_;
};

}  // namespace gvo::cases
