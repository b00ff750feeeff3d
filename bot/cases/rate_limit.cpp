#include "bot/cases/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace gvo::cases {

void RateLimits::refill(Bucket& bucket, double per_minute, double burst, TimePoint now) {
  if (bucket.fresh) {
    bucket = {burst, now, false};
  } else if (now > bucket.at) {
    const double minutes = std::chrono::duration<double>(now - bucket.at).count() / 60.0;
    bucket.tokens = std::min(burst, bucket.tokens + minutes * per_minute);
    bucket.at = now;
  }
}

bool RateLimits::take(Bucket& bucket, double per_minute, double burst, TimePoint now) {
  refill(bucket, per_minute, burst, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

// The sender's entry, made the most recent; beyond max_tracked_senders the least recent is
// forgotten (its bucket has refilled by now, most likely; its busy answer may then come again,
// within the busy budget).
RateLimits::Sender& RateLimits::sender(const std::string& key, TimePoint now) {
  if (const auto found = senders_.find(key); found != senders_.end()) {
    recent_.splice(recent_.begin(), recent_, found->second.order);
    return found->second;
  }
  if (!recent_.empty() &&
      senders_.size() >= std::max<std::size_t>(settings_.max_tracked_senders, 1)) {
    senders_.erase(recent_.back());
    recent_.pop_back();
  }
  recent_.push_front(key);
  Sender& added = senders_[key];
  added.order = recent_.begin();
  added.used_at = now;
  return added;
}

// A sender's floor in a shared budget, as a fraction of its burst: rising with its recent traffic
// (at its own limit: heavy_floor), never below stranger_floor for a stranger, none for staff.
double RateLimits::floor_of(const Sender& sender, Standing standing) const {
  if (standing == Standing::staff) return 0;
  const double load = settings_.per_sender_per_minute > 0
                          ? std::min(1.0, sender.usage / settings_.per_sender_per_minute)
                          : 1.0;
  double floor = settings_.heavy_floor * load;
  if (standing == Standing::stranger) floor = std::max(floor, settings_.stranger_floor);
  return floor;
}

// Everyone's budget, fairly: a sender may take a token only while more than its floor is left.
// Under a flood the heavy senders hold the budget at their floor, and whoever writes less still
// finds tokens under it.
bool RateLimits::shared_allows(Sender& sender, Standing standing, TimePoint now) {
  refill(everyone_, settings_.everyone_per_minute, settings_.everyone_burst, now);
  if (everyone_.tokens < 1 + floor_of(sender, standing) * settings_.everyone_burst) return false;
  everyone_.tokens -= 1;
  return true;
}

// The busy answers' budget is shared the same way: a flood of strangers or heavy senders cannot
// spend the answers a host in the middle of an intake would get.
Admission RateLimits::drop(Sender& sender, Standing standing, TimePoint now) {
  ++counts_.dropped;
  ++counts_.dropped_total;
  const auto window = std::chrono::duration<double>(settings_.busy_window_seconds);
  if (sender.told_at && now - *sender.told_at < window) return {false, false};
  refill(busy_, settings_.busy_per_minute, settings_.busy_burst, now);
  if (busy_.tokens < 1 + floor_of(sender, standing) * settings_.busy_burst) return {false, false};
  busy_.tokens -= 1;
  sender.told_at = now;
  ++counts_.told;
  ++counts_.told_total;
  return {false, true};
}

Admission RateLimits::admit(const std::string& sender_key, Standing standing, TimePoint now) {
  Sender& from = sender(sender_key, now);
  if (standing == Standing::staff) {
    if (take(from.own, settings_.staff_per_minute, settings_.staff_burst, now))
      return {true, false};
    return drop(from, standing, now);
  }
  // Recent traffic, dropped messages included: a flooder is heavy whatever got through.
  if (now > from.used_at) {
    const double seconds = std::chrono::duration<double>(now - from.used_at).count();
    from.usage *= std::exp(-seconds / std::max(settings_.usage_seconds, 1e-3));
    from.used_at = now;
  }
  from.usage += 1;
  // The sender's own budget first, so that a flooder does not drain everyone's.
  if (!take(from.own, settings_.per_sender_per_minute, settings_.per_sender_burst, now))
    return drop(from, standing, now);
  if (!shared_allows(from, standing, now)) {
    // Its own token was not used.
    from.own.tokens += 1;
    return drop(from, standing, now);
  }
  return {true, false};
}

std::optional<DropReport> RateLimits::report(TimePoint now, std::chrono::seconds interval) {
  if (counts_.dropped == 0) return std::nullopt;
  if (reported_at_ && now - *reported_at_ < interval) return std::nullopt;
  DropReport due = counts_;
  counts_.dropped = 0;
  counts_.told = 0;
  reported_at_ = now;
  return due;
}

}  // namespace gvo::cases
