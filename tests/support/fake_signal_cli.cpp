#include "tests/support/fake_signal_cli.hpp"

#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace gvo::test {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using Json = nlohmann::json;

namespace {

std::string error_line(const Json& id, int code, const std::string& message) {
  return Json{{"jsonrpc", "2.0"},
              {"error", {{"code", code}, {"message", message}, {"data", nullptr}}},
              {"id", id}}
      .dump();
}

std::string result_line(const Json& id, const Json& result) {
  return Json{{"jsonrpc", "2.0"}, {"result", result}, {"id", id}}.dump();
}

}  // namespace

class FakeSignalCli::Impl : public std::enable_shared_from_this<FakeSignalCli::Impl> {
 public:
  explicit Impl(std::string path) : path_(std::move(path)), work_(asio::make_work_guard(io_)) {
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    on_thread([this] { shut(); });
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    on_thread([this] {
      ::unlink(path_.c_str());
      acceptor_ = std::make_unique<local::acceptor>(io_, local::endpoint(path_));
      accept();
    });
  }

  void stop() {
    on_thread([this] { shut(); });
  }

  void set_answer(Answer answer) {
    std::lock_guard<std::mutex> lock(mutex_);
    answer_ = std::move(answer);
  }
  void set_max_delay(std::chrono::milliseconds delay) { max_delay_ = delay; }
  void set_silent(bool silent) { silent_ = silent; }
  void set_identities(const Json& identities) {
    std::lock_guard<std::mutex> lock(mutex_);
    identities_ = identities;
  }
  void require_account(const std::string& account) {
    std::lock_guard<std::mutex> lock(mutex_);
    required_account_ = account;
  }

  void notify(const Json& payload, bool wrapped) {
    on_thread([this, payload, wrapped] { deliver({payload}, wrapped); });
  }

  void notify_many(const std::vector<Json>& payloads) {
    on_thread([this, &payloads] { deliver(payloads, false); });
  }

  void set_receive_mode(ReceiveMode mode) {
    on_thread([this, mode] { mode_ = mode; });
  }

  void cut_mid_line() {
    on_thread([this] {
      const std::string half = R"({"jsonrpc":"2.0","method":"rece)";
      for (auto& connection : connections_) {
        boost::system::error_code ignored;
        asio::write(connection->socket, asio::buffer(half), ignored);
        connection->socket.close(ignored);
      }
      connections_.clear();
    });
  }

  std::vector<Json> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::chrono::steady_clock::time_point> request_times() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return request_times_;
  }
  int accepted() const { return accepted_; }
  int open() const { return open_; }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    local::socket socket;
    asio::streambuf input;
    int subscription = -1;  // after subscribeReceive: notifications in the wrapped shape
  };
  using Shared = std::shared_ptr<Connection>;

  // Runs f on the fake's thread and waits for it.
  template <typename F>
  void on_thread(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  static std::string receive_line(const Json& params) {
    return Json{{"jsonrpc", "2.0"}, {"method", "receive"}, {"params", params}}.dump() + "\n";
  }

  // As signal-cli: on-connection, every connection gets every message (unwrapped, or wrapped
  // when the test asks); a connection that called subscribeReceive gets it (again) wrapped in
  // its subscription. While no one receives, messages wait at the Signal server.
  void deliver(const std::vector<Json>& payloads, bool wrapped) {
    bool received = false;
    for (const auto& connection : connections_) {
      std::string lines;
      if (mode_ == ReceiveMode::on_connection) {
        for (const auto& payload : payloads)
          lines += receive_line(wrapped ? Json{{"subscription", 0}, {"result", payload}} : payload);
      }
      if (connection->subscription >= 0) {
        for (const auto& payload : payloads)
          lines +=
              receive_line(Json{{"subscription", connection->subscription}, {"result", payload}});
      }
      if (lines.empty()) continue;
      write(connection, lines);
      received = true;
    }
    if (!received) waiting_.insert(waiting_.end(), payloads.begin(), payloads.end());
  }

  void flush_waiting(const Shared& connection) {
    if (waiting_.empty()) return;
    std::vector<Json> waiting = std::move(waiting_);
    waiting_.clear();
    std::string lines;
    for (const auto& payload : waiting)
      lines +=
          receive_line(connection->subscription >= 0
                           ? Json{{"subscription", connection->subscription}, {"result", payload}}
                           : payload);
    write(connection, lines);
  }

  void shut() {
    if (acceptor_) {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      acceptor_.reset();
    }
    for (auto& connection : connections_) {
      boost::system::error_code ignored;
      connection->socket.close(ignored);
    }
    connections_.clear();
    open_ = 0;
  }

  void accept() {
    auto connection = std::make_shared<Connection>(io_);
    acceptor_->async_accept(connection->socket,
                            [this, connection](boost::system::error_code error) {
                              if (error) return;
                              ++accepted_;
                              ++open_;
                              connections_.insert(connection);
                              // on-connection: each connection is a receiver at once.
                              if (mode_ == ReceiveMode::on_connection) flush_waiting(connection);
                              read(connection);
                              if (acceptor_) accept();
                            });
  }

  void read(const Shared& connection) {
    asio::async_read_until(connection->socket, connection->input, '\n',
                           [this, connection](boost::system::error_code error, std::size_t length) {
                             if (error) {
                               if (connections_.erase(connection) > 0) --open_;
                               return;
                             }
                             std::string line(asio::buffers_begin(connection->input.data()),
                                              asio::buffers_begin(connection->input.data()) +
                                                  static_cast<long>(length) - 1);
                             connection->input.consume(length);
                             if (!line.empty() && line.back() == '\r') line.pop_back();
                             handle(connection, line);
                             read(connection);
                           });
  }

  // As signal-cli's JsonRpcReader: empty or bad JSON -32700, no method or not 2.0 -32600.
  void handle(const Shared& connection, const std::string& line) {
    if (line.empty()) return answer(connection, error_line(nullptr, -32700, "Empty input line"));
    const Json request = Json::parse(line, nullptr, false);
    if (request.is_discarded())
      return answer(connection, error_line(nullptr, -32700, "Unexpected character"));
    const Json id = request.is_object() && request.contains("id") ? request["id"] : Json();
    if (!request.is_object() || request.value("jsonrpc", "") != "2.0")
      return answer(connection, error_line(id, -32600, "only jsonrpc version 2.0 is supported"));
    if (!request.contains("method"))
      return answer(connection, error_line(id, -32600, "method field must be set"));
    Answer scripted;
    std::string required_account;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      request_times_.push_back(std::chrono::steady_clock::now());
      scripted = answer_;
      required_account = required_account_;
    }
    if (silent_ || id.is_null()) return;  // no id: executed, its answer dropped
    if (!required_account.empty() && request["method"] != "version") {
      // As signal-cli's multi-account mode (SignalJsonRpcDispatcherHandler).
      const Json params = request.value("params", Json::object());
      const Json account = params.is_object() ? params.value("account", Json()) : Json();
      if (!account.is_string())
        return answer(connection,
                      error_line(id, -32602, "Method requires valid account parameter"));
      if (account != required_account)
        return answer(connection, error_line(id, -32602, "Specified account does not exist"));
    }
    if (request["method"] == "unsubscribeReceive") {
      const Json params = request.value("params", Json::object());
      const Json wanted = params.is_object() ? params.value("subscription", Json()) : Json();
      if (wanted.is_number_integer() && wanted != connection->subscription)
        return answer(connection, error_line(id, -1, "Unknown subscription id"));
      connection->subscription = -1;
      return answer(connection, result_line(id, Json::object()));
    }
    if (request["method"] == "subscribeReceive") {
      connection->subscription = next_subscription_++;
      answer(connection, result_line(id, connection->subscription));
      flush_waiting(connection);
      return;
    }
    std::string line_out = scripted ? scripted(request) : std::string();
    if (line_out.empty()) line_out = default_answer(request);
    if (line_out.empty() && request["method"] == "removeContact") line_out = forget_answer(request);
    if (line_out.empty()) line_out = identities_answer(request);
    answer(connection, line_out);
  }

  static std::string default_answer(const Json& request) {
    const std::string method = request["method"];
    const Json& id = request["id"];
    if (method == "version") return result_line(id, {{"version", "0.14.6"}});
    if (method == "send" || method == "sendTyping" || method == "sendReceipt") {
      Json results = Json::array();
      for (const auto& recipient : request["params"].value("recipient", Json::array())) {
        results.push_back({{"recipientAddress", {{"uuid", recipient}, {"number", nullptr}}},
                           {"type", "SUCCESS"}});
      }
      return result_line(id, {{"timestamp", 1700000000000}, {"results", results}});
    }
    if (method == "updateProfile" || method == "updateContact" || method == "trust" ||
        method == "submitRateLimitChallenge")
      return result_line(id, Json::object());
    if (method == "listIdentities" || method == "removeContact") return {};
    return error_line(id, -32601, "Method not implemented");
  }

  // As ListIdentitiesCommand: every identity, or those of the recipient in params.number.
  std::string identities_answer(const Json& request) {
    const Json params = request.value("params", Json::object());
    const std::string wanted = params.is_object() ? params.value("number", "") : "";
    Json found = Json::array();
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& identity : identities_) {
      if (wanted.empty() || identity.value("uuid", Json()) == wanted ||
          identity.value("number", Json()) == wanted)
        found.push_back(identity);
    }
    return result_line(request["id"], found);
  }

  // As RemoveContactCommand with --forget: the recipient's identity keys (and sessions) go.
  std::string forget_answer(const Json& request) {
    const Json params = request.value("params", Json::object());
    const std::string recipient = params.is_object() ? params.value("recipient", "") : "";
    if (params.is_object() && params.value("forget", false)) {
      std::lock_guard<std::mutex> lock(mutex_);
      Json kept = Json::array();
      for (const auto& identity : identities_) {
        if (identity.value("uuid", Json()) != recipient &&
            identity.value("number", Json()) != recipient)
          kept.push_back(identity);
      }
      identities_ = std::move(kept);
    }
    return result_line(request["id"], Json::object());
  }

  // Answers come in any order: each after its own random delay.
  void answer(const Shared& connection, const std::string& line) {
    const auto most = max_delay_.load();
    if (most.count() == 0) return write(connection, line + "\n");
    std::uniform_int_distribution<long> draw(0, most.count());
    auto timer =
        std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(draw(random_)));
    timer->async_wait([this, connection, line, timer](boost::system::error_code error) {
      if (!error && connections_.count(connection) > 0) write(connection, line + "\n");
    });
  }

  void write(const Shared& connection, const std::string& line) {
    // Whole lines, one after the other (signal-cli's writes are synchronized).
    boost::system::error_code error;
    asio::write(connection->socket, asio::buffer(line), error);
  }

  std::string path_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<local::acceptor> acceptor_;
  std::set<Shared> connections_;
  std::vector<Json> waiting_;  // notifications for the next receiver
  ReceiveMode mode_ = ReceiveMode::on_connection;
  int next_subscription_ = 0;
  mutable std::mutex mutex_;
  std::vector<Json> requests_;
  std::vector<std::chrono::steady_clock::time_point> request_times_;
  Answer answer_;
  std::string required_account_;  // "" for a single-account daemon
  Json identities_ = Json::array();
  std::atomic<std::chrono::milliseconds> max_delay_{std::chrono::milliseconds(0)};
  std::atomic<bool> silent_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::mt19937 random_{42};
};

FakeSignalCli::FakeSignalCli(std::string socket_path)
    : impl_(std::make_shared<Impl>(std::move(socket_path))) {}
FakeSignalCli::~FakeSignalCli() = default;
void FakeSignalCli::start() { impl_->start(); }
void FakeSignalCli::stop() { impl_->stop(); }
void FakeSignalCli::set_answer(Answer answer) { impl_->set_answer(std::move(answer)); }
void FakeSignalCli::set_max_delay(std::chrono::milliseconds delay) { impl_->set_max_delay(delay); }
void FakeSignalCli::set_silent(bool silent) { impl_->set_silent(silent); }
void FakeSignalCli::set_identities(const Json& identities) { impl_->set_identities(identities); }
void FakeSignalCli::require_account(const std::string& account) { impl_->require_account(account); }
void FakeSignalCli::notify(const Json& payload, bool wrapped) { impl_->notify(payload, wrapped); }
void FakeSignalCli::notify_many(const std::vector<Json>& payloads) { impl_->notify_many(payloads); }
void FakeSignalCli::set_receive_mode(ReceiveMode mode) { impl_->set_receive_mode(mode); }
void FakeSignalCli::cut_mid_line() { impl_->cut_mid_line(); }
std::vector<std::chrono::steady_clock::time_point> FakeSignalCli::request_times() const {
  return impl_->request_times();
}
std::vector<Json> FakeSignalCli::requests() const { return impl_->requests(); }
int FakeSignalCli::connections_accepted() const { return impl_->accepted(); }
int FakeSignalCli::connections_open() const { return impl_->open(); }

Json FakeSignalCli::text_message(const std::string& source_uuid, std::int64_t timestamp,
                                 const std::string& text, const std::string& account) {
  return {{"account", account},
          {"envelope",
           {{"source", source_uuid},
            {"sourceNumber", nullptr},
            {"sourceUuid", source_uuid},
            {"sourceName", nullptr},
            {"sourceDevice", 1},
            {"timestamp", timestamp},
            {"serverReceivedTimestamp", timestamp + 5},
            {"serverDeliveredTimestamp", timestamp + 9},
            {"dataMessage",
             {{"timestamp", timestamp},
              {"message", text},
              {"expiresInSeconds", 0},
              {"isExpirationUpdate", false},
              {"viewOnce", false}}}}}};
}

}  // namespace gvo::test
