// The bot's event loop: one io_context on one thread, stopped cleanly by SIGINT or SIGTERM.
// Transports and timers of later modules run on context().
#pragma once

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

class EventLoop {
 public:
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  boost::asio::io_context& context();

  // Runs until SIGINT or SIGTERM arrives or stop() is called. on_running is called once from the
  // loop, when the signal handlers are in place. Returns the signal's number, or 0 after stop().
  int run_until_signal(const std::function<void()>& on_running);
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gvo::transport
