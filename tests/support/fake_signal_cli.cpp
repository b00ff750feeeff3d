#include "tests/support/fake_signal_cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
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
  void multi_account(const std::vector<std::string>& accounts) {
    std::lock_guard<std::mutex> lock(mutex_);
    accounts_ = accounts;
    multi_ = true;
  }
  void set_linked_device(bool linked) { linked_ = linked; }

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

  // As signal-cli's JsonRpcReader: empty or bad JSON -32700; a batch answered as one array (an
  // empty one -32600); no method or not 2.0 -32600.
  void handle(const Shared& connection, const std::string& line) {
    if (line.empty()) return answer(connection, error_line(nullptr, -32700, "Empty input line"));
    const Json request = Json::parse(line, nullptr, false);
    if (request.is_discarded())
      return answer(connection, error_line(nullptr, -32700, "Unexpected character"));
    if (request.is_array()) {
      if (request.empty())
        return answer(connection, error_line(nullptr, -32600, "invalid request"));
      std::string lines;
      bool subscribed = false;
      for (const auto& each : request) {
        const std::string one = respond(connection, each, subscribed);
        if (!one.empty()) lines += (lines.empty() ? "[" : ",") + one;
      }
      if (!lines.empty()) answer(connection, lines + "]");
      if (subscribed) flush_waiting(connection);
      return;
    }
    bool subscribed = false;
    const std::string one = respond(connection, request, subscribed);
    if (!one.empty()) answer(connection, one);
    if (subscribed) flush_waiting(connection);
  }

  // The answer to one request ("" for none: a notification, or a silent daemon).
  std::string respond(const Shared& connection, const Json& request, bool& subscribed) {
    const Json id = request.is_object() && request.contains("id") ? request["id"] : Json();
    if (!request.is_object() || request.value("jsonrpc", "") != "2.0")
      return error_line(id, -32600, "only jsonrpc version 2.0 is supported");
    if (!request.contains("method")) return error_line(id, -32600, "method field must be set");
    Answer scripted;
    std::vector<std::string> accounts;
    bool multi = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      request_times_.push_back(std::chrono::steady_clock::now());
      scripted = answer_;
      accounts = accounts_;
      multi = multi_;
    }
    // Without an id it is run, its answer dropped; "id": null is answered.
    if (silent_ || !request.contains("id")) return {};
    const std::string method = request.value("method", "");
    const Json params = request.value("params", Json::object());
    if (multi) {
      // As signal-cli's multi-account mode (SignalJsonRpcDispatcherHandler).
      if (method == "listAccounts") {
        Json listed = Json::array();
        for (const auto& account : accounts) listed.push_back({{"number", account}});
        return result_line(id, listed);
      }
      const Json account = params.is_object() ? params.value("account", Json()) : Json();
      const bool needs_none =
          method == "version" || method == "subscribeReceive" || method == "unsubscribeReceive";
      if (account.is_string()) {
        if (std::find(accounts.begin(), accounts.end(), account.get<std::string>()) ==
            accounts.end())
          return error_line(id, -32602, "Specified account does not exist");
      } else if (!needs_none && accounts.size() != 1) {
        return error_line(id, -32602, "Method requires valid account parameter");
      }
    }
    if (method == "unsubscribeReceive") {
      const Json wanted = params.is_object() ? params.value("subscription", Json()) : Json();
      if (wanted.is_number_integer() && wanted != connection->subscription)
        return error_line(id, -1, "Unknown subscription id");
      connection->subscription = -1;
      return result_line(id, Json::object());
    }
    if (method == "subscribeReceive") {
      connection->subscription = next_subscription_++;
      subscribed = true;
      return result_line(id, connection->subscription);
    }
    std::string line_out = scripted ? scripted(request) : std::string();
    if (line_out.empty() && linked_ && method == "updateContact")
      line_out = error_line(id, -1, "This command doesn't work on linked devices.");
    if (line_out.empty()) line_out = default_answer(request);
    if (line_out.empty() && method == "removeContact") line_out = forget_answer(request);
    if (line_out.empty()) line_out = identities_answer(request);
    return line_out;
  }

  static std::string default_answer(const Json& request) {
    const std::string method = request["method"];
    const Json& id = request["id"];
    if (method == "version") return result_line(id, {{"version", "0.13.19"}});
    if (method == "send" || method == "sendTyping" || method == "sendReceipt") {
      Json results = Json::array();
      for (const auto& recipient : request["params"].value("recipient", Json::array())) {
        results.push_back({{"recipientAddress",
                            {{"uuid", recipient}, {"number", nullptr}, {"username", nullptr}}},
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
  std::vector<std::string> accounts_;  // a multi-account daemon's
  bool multi_ = false;                 // started without -a
  std::atomic<bool> linked_{false};
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
void FakeSignalCli::multi_account(const std::vector<std::string>& accounts) {
  impl_->multi_account(accounts);
}
void FakeSignalCli::set_linked_device(bool linked) { impl_->set_linked_device(linked); }
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
            {"sourceName", ""},
            {"sourceDevice", 1},
            {"timestamp", timestamp},
            {"serverReceivedTimestamp", timestamp},
            {"serverDeliveredTimestamp", 0},
            {"dataMessage",
             {{"timestamp", timestamp},
              {"message", text},
              {"expiresInSeconds", 0},
              {"viewOnce", false}}}}}};
}

Json FakeSignalCli::other_message(const std::string& source_uuid, std::int64_t timestamp,
                                  Other what, const std::string& account, const std::string& text) {
  Json message = text_message(source_uuid, timestamp, text, account);
  Json& envelope = message["envelope"];
  Json& data = envelope["dataMessage"];
  if (text.empty()) data["message"] = nullptr;
  auto attachment = [&](const char* type, const char* filename) {
    return Json{{"contentType", type},
                {"filename", filename == nullptr ? Json() : Json(filename)},
                {"id", "att" + std::to_string(timestamp)},
                {"size", 48213},
                {"width", nullptr},
                {"height", nullptr},
                {"caption", nullptr},
                {"uploadTimestamp", timestamp}};
  };
  switch (what) {
    case Other::voice_note:
      data["attachments"] = Json::array({attachment("audio/aac", nullptr)});
      break;
    case Other::picture:
      data["attachments"] = Json::array({attachment("image/jpeg", "IMG_2031.jpg")});
      break;
    case Other::file:
      data["attachments"] = Json::array({attachment("application/pdf", "annexe.pdf")});
      break;
    case Other::view_once:
      data["viewOnce"] = true;
      data["attachments"] = Json::array({attachment("image/jpeg", nullptr)});
      break;
    case Other::sticker:
      data["sticker"] = {{"packId", "9acc9e8aba563d26a4994e69263e3b25"}, {"stickerId", 3}};
      break;
    case Other::reaction:
      data["reaction"] = {{"emoji", "\u2764"},
                          {"targetAuthor", account},
                          {"targetAuthorNumber", account},
                          {"targetAuthorUuid", account},
                          {"targetSentTimestamp", timestamp - 1000},
                          {"isRemove", false}};
      break;
    case Other::deletion:
      data["remoteDelete"] = {{"timestamp", timestamp - 1000}};
      break;
    case Other::edit:
      envelope["editMessage"] = {{"targetSentTimestamp", timestamp - 1000}, {"dataMessage", data}};
      envelope.erase("dataMessage");
      break;
    case Other::call:
      envelope["callMessage"] = {
          {"offerMessage", {{"id", timestamp}, {"type", "AUDIO_CALL"}, {"opaque", "AAEC"}}}};
      envelope.erase("dataMessage");
      break;
  }
  return message;
}

Json FakeSignalCli::unreadable_message(const std::string& source_uuid, std::int64_t timestamp,
                                       const std::string& exception_type,
                                       const std::string& account) {
  // As 0.13.19 wrote them: a NullPointerException without a message, the others with one.
  const Json message = exception_type == "NullPointerException"
                           ? Json()
                           : Json(
                                 "org.signal.libsignal.protocol.InvalidMessageException: "
                                 "invalid PreKey message: decryption failed");
  return {{"exception", {{"message", message}, {"type", exception_type}}},
          {"envelope",
           {{"source", source_uuid},
            {"sourceNumber", nullptr},
            {"sourceUuid", source_uuid},
            {"sourceName", ""},
            {"sourceDevice", 1},
            {"timestamp", timestamp},
            {"serverReceivedTimestamp", timestamp},
            {"serverDeliveredTimestamp", 0}}},
          {"account", account}};
}

Json FakeSignalCli::identity(const std::string& uuid, int seed, const std::string& number) {
  std::mt19937 random(static_cast<unsigned>(seed));
  std::string fingerprint = "05";  // a Curve25519 public key: type byte 5, then 32 bytes
  for (int i = 0; i < 32; ++i) {
    char byte[4];
    std::snprintf(byte, sizeof byte, " %02x", static_cast<unsigned>(random() & 0xff));
    fingerprint += byte;
  }
  std::string safety_number;
  for (int i = 0; i < 12; ++i) {
    char group[8];
    std::snprintf(group, sizeof group, "%s%05u", i == 0 ? "" : " ",
                  static_cast<unsigned>(random() % 100000));
    safety_number += group;
  }
  return {{"number", number.empty() ? Json() : Json(number)},
          {"uuid", uuid},
          {"fingerprint", fingerprint},
          {"safetyNumber", safety_number},
          {"scannableSafetyNumber", "CAISIgog"},
          {"trustLevel", "TRUSTED_UNVERIFIED"},
          {"addedTimestamp", 1796150237102}};
}

namespace {

std::string send_refusal(const Json& request, int code, const std::string& message, Json result) {
  result["recipientAddress"] = {
      {"uuid", request["params"]["recipient"][0]}, {"number", nullptr}, {"username", nullptr}};
  return Json{
      {"jsonrpc", "2.0"},
      {"error",
       {{"code", code},
        {"message", message},
        {"data",
         {{"response", {{"timestamp", 1796150317628}, {"results", Json::array({result})}}}}}}},
      {"id", request["id"]}}
      .dump();
}

}  // namespace

std::string FakeSignalCli::rate_limited(const Json& request, const std::string& token,
                                        int retry_after_seconds) {
  Json result = {{"type", "RATE_LIMIT_FAILURE"}};
  if (!token.empty()) {
    result["token"] = token;
    result["retryAfterSeconds"] = -1;
  }
  if (retry_after_seconds > 0) result["retryAfterSeconds"] = retry_after_seconds;
  return send_refusal(request, -5, "Failed to send message due to rate limiting", result);
}

std::string FakeSignalCli::unregistered(const Json& request) {
  return send_refusal(request, -1, "Failed to send message", {{"type", "UNREGISTERED_FAILURE"}});
}

std::string FakeSignalCli::captcha_rejected(const Json& request) {
  return error_line(request["id"], -3, "Submit challenge error: [428] ");
}

}  // namespace gvo::test
