// One Asio timer that wakes the bot for the earliest persisted timer (DESIGN §4 step 7): the rows
// are the truth; this only sleeps until the first of them is due, on a clock that may be a test's.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

class Alarm {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  Alarm(boost::asio::io_context& io, Clock clock, std::function<void()> ring);
  Alarm(const Alarm&) = delete;
  Alarm& operator=(const Alarm&) = delete;
  ~Alarm();

  // Rings once at due (Unix milliseconds on clock), at once if it is past; replaces any earlier
  // setting. Nothing: the alarm is off. It may ring early (after an hour at most): the ring
  // handler looks at what is due and sets the alarm again.
  void set(std::optional<std::int64_t> due_unix_ms);
  void cancel();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gvo::transport
