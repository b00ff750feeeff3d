// Rate limits on what reaches the desk (DESIGN §7): a bucket per sender and one for everyone who is
// not staff, so that one person flooding the bot cannot starve the others, and staff keep their
// own, larger, budget whatever the load. Time comes in; keys are keyed hashes, never addresses.
// Pure; one instance lives as long as the bot.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

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
};

class RateLimits {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit RateLimits(RateLimitSettings settings = {}) : settings_(settings) {}

  // Whether a message from sender may go on now; it is counted when it may.
  bool allow(const std::string& sender_key, bool staff, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint at{};
    bool fresh = true;
  };
  static bool take(Bucket& bucket, double per_minute, double burst, TimePoint now);

  RateLimitSettings settings_;
  std::map<std::string, Bucket> senders_;
  Bucket everyone_;
};

}  // namespace gvo::cases
