// What keeps gvo-relay serving under a flood (bot/relay/PROTOCOL.md, "Limits"): connections per
// address and in total, new accounts per address and per minute, and a budget for log lines so
// that a flood cannot flood the journal. Pure bookkeeping (no I/O, the clock passed in); owned by
// the relay's Hub and used on the relay's one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bot/relay/accounts.hpp"
#include "bot/relay/relay_service.hpp"

namespace gvo::relay {

struct FloodLimits {
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 64;
  // Connections over a limit that are still told why (their upgrade is read and answered with
  // 429 or 503); beyond this many at once, the others are closed without a word.
  std::size_t max_refusing = 128;
  double new_accounts_per_address_per_minute = 20;
  double new_accounts_per_minute = 200;
};

enum class Admit {
  open,    // counted: connection_closed(address) when it ends
  refuse,  // over a limit: answer the refusal, then refusal_closed()
  drop,    // over a limit with too many refusals in progress: close at once
};

struct ConnectionVerdict {
  Admit admit = Admit::open;
  Refusal refusal;  // when refuse or drop
};

class FloodGuard {
 public:
  explicit FloodGuard(FloodLimits limits = {});

  const FloodLimits& limits() const { return limits_; }

  // A new TCP connection from address (its key: address_key in relay_server.cpp).
  ConnectionVerdict connection_opened(const std::string& address);
  void connection_closed(const std::string& address);
  void refusal_closed();

  // Called just before an unknown account registers: a refusal when address, or the relay as a
  // whole, has registered too many accounts in the last minute or so (token buckets: the limit
  // per minute, in bursts of as many).
  std::optional<Refusal> take_new_account(const std::string& address, std::int64_t now_ms);

  // Forgets the buckets that have filled up again: memory goes back to what it was before a
  // flood.
  void prune(std::int64_t now_ms);

  std::size_t connections() const { return connections_; }
  std::size_t refusing() const { return refusing_; }
  // The most connections (counted and refusing) at once since reset_peak.
  std::size_t peak() const { return peak_; }
  void reset_peak() { peak_ = connections_ + refusing_; }
  // Entries held per address (connections and new-account buckets), for tests and benchmarks.
  std::size_t tracked_addresses() const { return per_address_.size() + new_accounts_.size(); }

 private:
  FloodLimits limits_;
  std::size_t connections_ = 0;
  std::size_t refusing_ = 0;
  std::size_t peak_ = 0;
  std::map<std::string, std::size_t> per_address_;
  std::map<std::string, RateLimit> new_accounts_;
  RateLimit all_new_accounts_;
};

// Log lines under a budget: up to lines_per_window in each window pass; the others are counted
// by kind and said in one summary line once the window is over.
class LogBudget {
 public:
  LogBudget(std::size_t lines_per_window, std::int64_t window_ms);

  // Whether a line of this kind may be logged now; if not, it is counted.
  bool admit(const std::string& kind, std::int64_t now_ms);
  // Once a window with lines held back is over: the line that says how many, of which kinds.
  std::optional<std::string> summary(std::int64_t now_ms);

 private:
  std::size_t lines_per_window_;
  std::int64_t window_ms_;
  std::int64_t window_start_ = -1;
  std::size_t admitted_ = 0;
  std::map<std::string, std::uint64_t> held_;
};

}  // namespace gvo::relay
