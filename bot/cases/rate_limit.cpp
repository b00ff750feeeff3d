#include "bot/cases/rate_limit.hpp"

#include <algorithm>

namespace gvo::cases {

bool RateLimits::take(Bucket& bucket, double per_minute, double burst, TimePoint now) {
  if (bucket.fresh) {
    bucket = {burst, now, false};
  } else if (now > bucket.at) {
    const double minutes = std::chrono::duration<double>(now - bucket.at).count() / 60.0;
    bucket.tokens = std::min(burst, bucket.tokens + minutes * per_minute);
    bucket.at = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

bool RateLimits::allow(const std::string& sender_key, bool staff, TimePoint now) {
  if (senders_.size() >= settings_.max_tracked_senders && senders_.count(sender_key) == 0) {
    // Forget the sender seen longest ago: its bucket has refilled by now, most likely.
    const auto oldest =
        std::min_element(senders_.begin(), senders_.end(),
                         [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    senders_.erase(oldest);
  }
  Bucket& own = senders_[sender_key];
  if (staff) return take(own, settings_.staff_per_minute, settings_.staff_burst, now);
  // The sender's own budget first, so that a flooder does not drain everyone's.
  if (!take(own, settings_.per_sender_per_minute, settings_.per_sender_burst, now)) return false;
  return take(everyone_, settings_.everyone_per_minute, settings_.everyone_burst, now);
}

}  // namespace gvo::cases
