#include "bot/transport/signal_cli_client.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>

#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "bot/log/log.hpp"
#include "bot/transport/backoff.hpp"

namespace gvo::transport {

namespace asio = boost::asio;
namespace log = gvo::log;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kLongestLine = 16 * 1024 * 1024;

class SignalCliClient::Impl : public std::enable_shared_from_this<SignalCliClient::Impl> {
 public:
  Impl(asio::io_context& io, SignalCliAddress address, Handlers handlers, SignalCliTimings timings)
      : io_(io),
        address_(std::move(address)),
        handlers_(std::move(handlers)),
        timings_(timings),
        socket_(io),
        retry_(io),
        watch_(io),
        backoff_(timings.first_backoff, timings.max_backoff) {}

  void start() {
    stopped_ = false;
    connect();
  }

  void stop() {
    stopped_ = true;
    retry_.cancel();
    watch_.cancel();
    close("stopped");
  }

  bool connected() const { return open_; }

  void call(const std::function<std::string(std::int64_t)>& make, Done done) {
    const std::int64_t id = next_id_++;
    if (!open_) {
      done(CallResult{CallErrc::disconnected, {}});
      return;
    }
    pending_[id] = Pending{std::move(done), Clock::now() + timings_.request_timeout};
    write(make(id) + "\n");
  }

 private:
  struct Pending {
    Done done;
    Clock::time_point deadline;
  };

  void connect() {
    if (stopped_) return;
    auto self = shared_from_this();
    socket_ = asio::generic::stream_protocol::socket(io_);
    auto connected = [this, self](const boost::system::error_code& error) {
      if (stopped_) return;
      if (error) {
        log::debug("signal-cli connection failed: " + error.message());
        return retry();
      }
      open_ = true;
      backoff_.reset();
      last_heard_ = Clock::now();
      log::info("connected to signal-cli");
      read();
      watch();
      if (handlers_.connected) handlers_.connected();
    };
    if (!address_.socket_path.empty()) {
      socket_.async_connect(asio::local::stream_protocol::endpoint(address_.socket_path),
                            connected);
      return;
    }
    boost::system::error_code error;
    const auto where = asio::ip::make_address(address_.host, error);
    if (error) {
      log::error("signal-cli: '" + address_.host + "' is not an IP address");
      return retry();
    }
    socket_.async_connect(asio::ip::tcp::endpoint(where, address_.port), connected);
  }

  void retry() {
    if (stopped_) return;
    retry_.expires_after(backoff_.next());
    auto self = shared_from_this();
    retry_.async_wait([this, self](const boost::system::error_code& error) {
      if (!error) connect();
    });
  }

  void close(const std::string& why) {
    const bool was_open = open_;
    open_ = false;
    boost::system::error_code ignored;
    socket_.close(ignored);
    pending_input_.clear();
    outgoing_.clear();
    writing_ = false;
    probing_ = false;
    // Every request in flight fails: its answer cannot come on another connection.
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, request] : pending) request.done(CallResult{CallErrc::disconnected, {}});
    if (was_open && !stopped_) {
      log::info("signal-cli connection lost: " + why);
      if (handlers_.disconnected) handlers_.disconnected(why);
    }
  }

  void lost(const std::string& why) {
    close(why);
    retry();
  }

  // Reads what is there (up to 64 KiB at once) and takes every whole line of it before the next
  // read: notifications that arrived together reach the owner together, and commit together.
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(
        asio::buffer(chunk_), [this, self](const boost::system::error_code& error, std::size_t n) {
          if (error) {
            if (open_) lost(error == asio::error::eof ? "closed by signal-cli" : error.message());
            return;
          }
          last_heard_ = Clock::now();
          pending_input_.append(chunk_.data(), n);
          std::size_t start = 0;
          for (std::size_t newline = pending_input_.find('\n'); newline != std::string::npos;
               newline = pending_input_.find('\n', start)) {
            std::string line = pending_input_.substr(start, newline - start);
            start = newline + 1;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            take(line);
            if (!open_) return;
          }
          pending_input_.erase(0, start);
          if (pending_input_.size() > kLongestLine) return lost("a line longer than 16 MiB");
          read();
        });
  }

  void take(const std::string& line) {
    auto frame = core::signal_cli::read_line(line);
    if (!frame) {
      log::debug("signal-cli: an unreadable line was skipped");
      return;
    }
    if (auto* response = std::get_if<core::signal_cli::Response>(&frame.value())) {
      std::int64_t id = 0;
      try {
        id = std::stoll(response->id);
      } catch (const std::exception&) {
        log::debug("signal-cli: an answer with an id that is not ours was skipped");
        return;
      }
      const auto it = pending_.find(id);
      if (it == pending_.end()) return;  // timed out already
      Done done = std::move(it->second.done);
      pending_.erase(it);
      CallResult result;
      if (response->error) result.failure = CallErrc::error;
      result.response = std::move(*response);
      done(result);
      return;
    }
    if (auto* envelope = std::get_if<core::signal_cli::Envelope>(&frame.value())) {
      if (handlers_.envelope) handlers_.envelope(*envelope);
    }
  }

  void write(std::string line) {
    outgoing_.push_back(std::move(line));
    if (!writing_) write_next();
  }

  void write_next() {
    if (outgoing_.empty() || !open_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(outgoing_.front()),
                      [this, self](const boost::system::error_code& error, std::size_t) {
                        if (error) {
                          if (open_) lost(error.message());
                          return;
                        }
                        outgoing_.pop_front();
                        write_next();
                      });
  }

  // Once a second: requests past their deadline fail; a quiet connection is probed with
  // `version`, and one whose probe is not answered is taken for stuck.
  void watch() {
    watch_.expires_after(std::chrono::seconds(1));
    auto self = shared_from_this();
    watch_.async_wait([this, self](const boost::system::error_code& error) {
      if (error || !open_) return;
      const auto now = Clock::now();
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.deadline > now) {
          ++it;
          continue;
        }
        Done done = std::move(it->second.done);
        it = pending_.erase(it);
        done(CallResult{CallErrc::timeout, {}});
        if (!open_) return;  // the owner gave up on the connection
      }
      if (!probing_ && now - last_heard_ > timings_.probe_after) {
        probing_ = true;
        call([](std::int64_t id) { return core::signal_cli::version_request(id); },
             [this, self](const CallResult& result) {
               probing_ = false;
               if (result.failure == CallErrc::timeout) lost("signal-cli does not answer");
             });
      }
      if (open_) watch();
    });
  }

  asio::io_context& io_;
  SignalCliAddress address_;
  Handlers handlers_;
  SignalCliTimings timings_;
  asio::generic::stream_protocol::socket socket_;
  asio::steady_timer retry_;
  asio::steady_timer watch_;
  std::array<char, 65536> chunk_;
  std::string pending_input_;  // the start of a line not whole yet
  std::deque<std::string> outgoing_;
  std::map<std::int64_t, Pending> pending_;
  Backoff backoff_;
  Clock::time_point last_heard_;
  std::int64_t next_id_ = 1;
  bool open_ = false;
  bool writing_ = false;
  bool probing_ = false;
  bool stopped_ = true;
};

SignalCliClient::SignalCliClient(asio::io_context& io, SignalCliAddress address, Handlers handlers,
                                 SignalCliTimings timings)
    : impl_(std::make_shared<Impl>(io, std::move(address), std::move(handlers), timings)) {}
SignalCliClient::~SignalCliClient() { impl_->stop(); }
void SignalCliClient::start() { impl_->start(); }
void SignalCliClient::stop() { impl_->stop(); }
bool SignalCliClient::connected() const { return impl_->connected(); }
void SignalCliClient::call(const std::function<std::string(std::int64_t)>& make, Done done) {
  impl_->call(make, std::move(done));
}

}  // namespace gvo::transport
