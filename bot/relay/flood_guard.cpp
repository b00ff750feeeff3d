#include "bot/relay/flood_guard.hpp"

#include <algorithm>
#include <utility>

namespace gvo::relay {
namespace {

// Bodies of the refusals (bot/relay/PROTOCOL.md): the same for everyone, never an address.
constexpr const char* kTooManyConnections = "too many connections from this address";
constexpr const char* kRelayFull = "relay full, try again later";
constexpr const char* kTooManyNewAccounts =
    "too many new accounts from this address, try again in a minute";
constexpr const char* kTooManyNewAccountsHere =
    "too many new accounts on this relay right now, try again in a minute";

// A limit of n a minute as a token bucket: n/60 a second, bursts of n.
RateLimit per_minute(double n) { return RateLimit(n / 60.0, n); }

}  // namespace

FloodGuard::FloodGuard(FloodLimits limits)
    : limits_(limits), all_new_accounts_(per_minute(limits.new_accounts_per_minute)) {}

ConnectionVerdict FloodGuard::connection_opened(const std::string& address) {
  ConnectionVerdict verdict;
  if (limits_.max_connections > 0 && connections_ >= limits_.max_connections) {
    verdict.refusal = Refusal{503, kRelayFull, "the relay's connection limit is reached", 30};
  } else if (auto it = per_address_.find(address);
             limits_.max_connections_per_address > 0 && it != per_address_.end() &&
             it->second >= limits_.max_connections_per_address) {
    verdict.refusal =
        Refusal{429, kTooManyConnections, "an address reached its connection limit", 30};
  } else {
    ++connections_;
    ++per_address_[address];
    peak_ = std::max(peak_, connections_ + refusing_);
    return verdict;
  }
  if (refusing_ >= limits_.max_refusing) {
    verdict.admit = Admit::drop;
    return verdict;
  }
  ++refusing_;
  peak_ = std::max(peak_, connections_ + refusing_);
  verdict.admit = Admit::refuse;
  return verdict;
}

void FloodGuard::connection_closed(const std::string& address) {
  if (connections_ > 0) --connections_;
  const auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
}

void FloodGuard::refusal_closed() {
  if (refusing_ > 0) --refusing_;
}

std::optional<Refusal> FloodGuard::take_new_account(const std::string& address,
                                                    std::int64_t now_ms) {
  const bool limit_here = limits_.new_accounts_per_minute > 0;
  const bool limit_address = limits_.new_accounts_per_address_per_minute > 0;
  RateLimit* mine = nullptr;
  if (limit_address) {
    mine =
        &new_accounts_.try_emplace(address, per_minute(limits_.new_accounts_per_address_per_minute))
             .first->second;
    if (!mine->ready(now_ms)) {
      return Refusal{429, kTooManyNewAccounts, "an address reached its new-account limit", 60};
    }
  }
  if (limit_here && !all_new_accounts_.ready(now_ms)) {
    return Refusal{503, kTooManyNewAccountsHere, "the relay's new-account limit is reached", 60};
  }
  // Both have a token: only now is either taken, so that one refusal costs the other nothing.
  if (mine != nullptr) (void)mine->take(now_ms);
  if (limit_here) (void)all_new_accounts_.take(now_ms);
  return std::nullopt;
}

void FloodGuard::prune(std::int64_t now_ms) {
  for (auto it = new_accounts_.begin(); it != new_accounts_.end();) {
    it = it->second.full(now_ms) ? new_accounts_.erase(it) : std::next(it);
  }
}

LogBudget::LogBudget(std::size_t lines_per_window, std::int64_t window_ms)
    : lines_per_window_(lines_per_window), window_ms_(window_ms) {}

bool LogBudget::admit(const std::string& kind, std::int64_t now_ms) {
  if (window_start_ < 0 || now_ms - window_start_ >= window_ms_) {
    if (held_.empty()) {  // a held-back window waits for its summary before a new one starts
      window_start_ = now_ms;
      admitted_ = 0;
    }
  }
  if (held_.empty() && admitted_ < lines_per_window_) {
    ++admitted_;
    return true;
  }
  ++held_[kind];
  return false;
}

std::optional<std::string> LogBudget::summary(std::int64_t now_ms) {
  if (held_.empty() || now_ms - window_start_ < window_ms_) return std::nullopt;
  std::uint64_t total = 0;
  std::string kinds;
  for (const auto& [kind, count] : held_) {
    total += count;
    kinds += (kinds.empty() ? "" : "; ") + std::to_string(count) + " x " + kind;
  }
  const std::int64_t seconds = (now_ms - window_start_ + 999) / 1000;
  held_.clear();
  window_start_ = now_ms;
  admitted_ = 0;
  return std::to_string(total) + " more like these in the last " + std::to_string(seconds) +
         " s, not logged one by one: " + kinds;
}

}  // namespace gvo::relay
