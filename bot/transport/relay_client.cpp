#include "bot/transport/relay_client.hpp"

#include <deque>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "bot/core/base64.hpp"
#include "bot/daemon/log.hpp"
#include "bot/transport/backoff.hpp"

namespace gvo::transport {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

class RelayClient::Impl : public std::enable_shared_from_this<RelayClient::Impl> {
 public:
  Impl(boost::asio::io_context& io, RelayAccount account, Handlers handlers, RelayTimings timings)
      : io_(io),
        account_(std::move(account)),
        handlers_(std::move(handlers)),
        timings_(timings),
        resolver_(io),
        retry_timer_(io),
        backoff_(timings.first_backoff, timings.max_backoff) {}

  void start() {
    stopped_ = false;
    connect();
  }

  void stop() {
    stopped_ = true;
    ++generation_;
    retry_timer_.cancel();
    resolver_.cancel();
    retire_stream();
    drop("stopped");
  }

  // The owner is going away: nothing is reported to it any more.
  void forget_handlers() { handlers_ = Handlers{}; }

  bool connected() const { return open_; }

  void request(const std::string& verb, const std::string& path, Json body, Done done) {
    if (!open_) {
      if (done) done(0, Json::object());
      return;
    }
    const std::uint64_t id = ++next_id_;
    pending_[id] = std::move(done);
    write(Json{{"type", "request"}, {"id", id}, {"verb", verb}, {"path", path}, {"body", body}}
              .dump());
  }

 private:
  // --- Connecting ----------------------------------------------------------------------------

  void connect() {
    if (stopped_) return;
    ++generation_;
    retire_stream();
    ws_ = std::make_unique<websocket::stream<beast::tcp_stream>>(io_);
    buffer_.clear();
    resolver_.async_resolve(account_.host, std::to_string(account_.port),
                            [self = shared_from_this(), generation = generation_](
                                beast::error_code ec, tcp::resolver::results_type results) {
                              if (generation != self->generation_) return;
                              if (ec) return self->retry("resolve: " + ec.message());
                              self->on_resolve(results);
                            });
  }

  void on_resolve(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(*ws_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(*ws_).async_connect(
        results, [self = shared_from_this(), generation = generation_](
                     beast::error_code ec, const tcp::resolver::results_type::endpoint_type&) {
          if (generation != self->generation_) return;
          if (ec) return self->retry("connect: " + ec.message());
          self->on_connect();
        });
  }

  void on_connect() {
    beast::get_lowest_layer(*ws_).socket().set_option(tcp::no_delay(true));
    const std::string credentials = account_.account + ":" + account_.secret;
    const std::string authorization = "Basic " + core::base64_encode(std::vector<std::uint8_t>(
                                                     credentials.begin(), credentials.end()));
    ws_->set_option(
        websocket::stream_base::decorator([authorization](websocket::request_type& request) {
          request.set(beast::http::field::authorization, authorization);
        }));
    ws_->async_handshake(
        account_.host, "/v1/websocket",
        [self = shared_from_this(), generation = generation_](beast::error_code ec) {
          if (generation != self->generation_) return;
          if (ec) return self->retry("handshake: " + ec.message());
          self->on_handshake();
        });
  }

  // A stream whose connection ended is closed, and kept until its cancelled operations have
  // run (they refer to it): by the time a new connection is up, they have.
  void retire_stream() {
    if (!ws_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(*ws_).socket().close(ignored);
    retired_.push_back(std::move(ws_));
  }

  void on_handshake() {
    retired_.clear();
    beast::get_lowest_layer(*ws_).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(10);
    timeout.idle_timeout = timings_.idle_timeout;
    timeout.keep_alive_pings = true;  // a ping at half the idle time; silence after it is death
    ws_->set_option(timeout);
    ws_->read_message_max(512 * 1024);
    ws_->text(true);
    open_ = true;
    backoff_.reset();
    do_read();
    if (handlers_.connected) handlers_.connected();
  }

  void retry(const std::string& why) {
    drop(why);
    if (stopped_) return;
    retry_timer_.expires_after(backoff_.next());
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }

  void drop(const std::string& why) {
    const bool was_open = open_;
    if (was_open) daemon::log::debug("relay connection lost: " + why);
    open_ = false;
    outbox_.clear();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, done] : pending) {
      if (done) done(0, Json::object());
    }
    if (was_open && handlers_.disconnected) handlers_.disconnected(why);
  }

  // --- Frames in -----------------------------------------------------------------------------

  void do_read() {
    ws_->async_read(buffer_, [self = shared_from_this(), generation = generation_](
                                 beast::error_code ec, std::size_t) {
      if (generation != self->generation_) return;
      if (ec) return self->retry("read: " + ec.message());
      self->on_frame();
    });
  }

  void on_frame() {
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    const Json frame = Json::parse(text, nullptr, false);
    const auto id = frame.is_object() ? frame.find("id") : frame.end();
    if (!frame.is_object() || id == frame.end() || !id->is_number_unsigned()) return do_read();
    const std::uint64_t number = id->get<std::uint64_t>();
    const std::string type = frame.value("type", "");
    if (type == "response") {
      const auto it = pending_.find(number);
      if (it != pending_.end()) {
        Done done = std::move(it->second);
        pending_.erase(it);
        const Json body = frame.contains("body") ? frame["body"] : Json::object();
        if (done) done(frame.value("status", 0), body);
      }
    } else if (type == "request") {
      on_relay_request(number, frame);
    }
    if (open_) do_read();
  }

  void on_relay_request(std::uint64_t id, const Json& frame) {
    const std::string path = frame.value("path", "");
    if (path == "/api/v1/queue/empty") {
      respond(id, 200);
      if (handlers_.queue_empty) handlers_.queue_empty();
      return;
    }
    if (path != "/api/v1/message" || !frame.contains("body") || !frame["body"].is_object()) {
      return respond(id, 404);
    }
    const Json& body = frame["body"];
    Envelope envelope;
    envelope.guid = body.value("guid", "");
    envelope.type = body.value("type", 0);
    envelope.source = body.value("source", "");
    envelope.client_timestamp = body.value("client_timestamp", std::int64_t{0});
    envelope.server_timestamp = body.value("server_timestamp", std::int64_t{0});
    auto content = core::base64_decode(body.value("content", ""));
    if (!content || envelope.source.empty()) return respond(id, 400);  // dropped: unreadable
    envelope.content = std::move(*content);
    if (!handlers_.envelope) return respond(id, 500);
    // The owner answers later, once the message is durably taken in; if this connection is gone
    // by then, the relay delivers it again on the next one.
    handlers_.envelope(std::move(envelope),
                       [weak = weak_from_this(), id, generation = generation_](bool taken) {
                         auto self = weak.lock();
                         if (!self || generation != self->generation_ || !self->open_) return;
                         self->respond(id, taken ? 200 : 500);
                       });
  }

  void respond(std::uint64_t id, int status) {
    write(Json{{"type", "response"}, {"id", id}, {"status", status}, {"message", ""}}.dump());
  }

  // --- Frames out ----------------------------------------------------------------------------

  void write(std::string frame) {
    outbox_.push_back(std::move(frame));
    if (outbox_.size() == 1) do_write();
  }

  void do_write() {
    ws_->async_write(
        boost::asio::buffer(outbox_.front()),
        [self = shared_from_this(), generation = generation_](beast::error_code ec, std::size_t) {
          if (generation != self->generation_) return;
          if (ec) return self->retry("write: " + ec.message());
          self->outbox_.pop_front();
          if (!self->outbox_.empty()) self->do_write();
        });
  }

  boost::asio::io_context& io_;
  RelayAccount account_;
  Handlers handlers_;
  RelayTimings timings_;
  tcp::resolver resolver_;
  boost::asio::steady_timer retry_timer_;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws_;
  std::vector<std::unique_ptr<websocket::stream<beast::tcp_stream>>> retired_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::map<std::uint64_t, Done> pending_;
  std::uint64_t next_id_ = 0;
  std::uint64_t generation_ = 0;  // each connection attempt; stale callbacks compare it
  bool open_ = false;
  bool stopped_ = true;
  Backoff backoff_;
};

RelayClient::RelayClient(boost::asio::io_context& io, RelayAccount account, Handlers handlers,
                         RelayTimings timings)
    : impl_(std::make_shared<Impl>(io, std::move(account), std::move(handlers), timings)) {}

RelayClient::~RelayClient() {
  impl_->forget_handlers();
  impl_->stop();
}

void RelayClient::start() { impl_->start(); }
void RelayClient::stop() { impl_->stop(); }
bool RelayClient::connected() const { return impl_->connected(); }

void RelayClient::request(const std::string& verb, const std::string& path, Json body, Done done) {
  impl_->request(verb, path, std::move(body), std::move(done));
}

}  // namespace gvo::transport
