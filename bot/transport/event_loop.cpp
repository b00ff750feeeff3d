#include "bot/transport/event_loop.hpp"

#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

namespace gvo::transport {

struct EventLoop::State {
  boost::asio::io_context context{1};  // one thread: no locking inside Asio
  boost::asio::signal_set signals{context, SIGINT, SIGTERM};
  int stopped_by = 0;
};

EventLoop::EventLoop() : state_(std::make_unique<State>()) {}

EventLoop::~EventLoop() = default;

boost::asio::io_context& EventLoop::context() { return state_->context; }

int EventLoop::run_until_signal(const std::function<void()>& on_running) {
  State& state = *state_;
  state.signals.async_wait([&state](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;  // cancelled by stop()
    state.stopped_by = signal_number;
    state.context.stop();
  });
  boost::asio::post(state.context, [&on_running] {
    if (on_running) on_running();
  });
  state.context.run();
  return state.stopped_by;
}

void EventLoop::stop() {
  boost::system::error_code ignored;
  state_->signals.cancel(ignored);
  state_->context.stop();
}

}  // namespace gvo::transport
