#include "bot/transport/alarm.hpp"

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gvo::transport {

struct Alarm::State {
  State(boost::asio::io_context& io, Clock time, std::function<void()> handler)
      : timer(io), clock(std::move(time)), ring(std::move(handler)) {}
  boost::asio::steady_timer timer;
  Clock clock;
  std::function<void()> ring;
};

Alarm::Alarm(boost::asio::io_context& io, Clock clock, std::function<void()> ring)
    : state_(std::make_shared<State>(io, std::move(clock), std::move(ring))) {}

Alarm::~Alarm() { cancel(); }

void Alarm::set(std::optional<std::int64_t> due_unix_ms) {
  cancel();
  if (!due_unix_ms) return;
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(state_->clock().time_since_epoch())
          .count();
  // A long sleep is cut to an hour: the ring then finds nothing due and sets the alarm again, so
  // that a clock that jumps (suspend, NTP) is caught up with.
  constexpr std::int64_t kLongestSleepMs = 3600 * 1000;
  const std::int64_t wait = std::clamp<std::int64_t>(*due_unix_ms - now, 0, kLongestSleepMs);
  state_->timer.expires_after(std::chrono::milliseconds(wait));
  std::weak_ptr<State> weak = state_;
  state_->timer.async_wait([weak](const boost::system::error_code& error) {
    auto state = weak.lock();
    if (!error && state) state->ring();
  });
}

void Alarm::cancel() { state_->timer.cancel(); }

}  // namespace gvo::transport
