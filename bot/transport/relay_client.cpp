#include "bot/transport/relay_client.hpp"

#include <deque>
#include <map>
#include <optional>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "bot/core/base64.hpp"
#include "bot/core/config.hpp"
#include "bot/log/log.hpp"
#include "bot/transport/backoff.hpp"
#include "bot/transport/relay_session.hpp"

namespace gvo::transport {

namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

namespace {

using PlainSession = RelaySession<beast::tcp_stream>;
using TlsSession = RelaySession<beast::ssl_stream<beast::tcp_stream>>;

// A connection's session, plain or TLS: each step is written once, for either kind. The
// handlers of its operations hold it, so a retired one lives until they have run.
struct Session {
  std::shared_ptr<PlainSession> plain;
  std::shared_ptr<TlsSession> tls;

  explicit operator bool() const { return plain || tls; }
  beast::tcp_stream& tcp() {
    return tls ? beast::get_lowest_layer(tls->ws()) : beast::get_lowest_layer(plain->ws());
  }
  template <typename Step>
  void with(Step&& step) {
    if (tls) return step(*tls);
    step(*plain);
  }
};

// A malformed frame is worth a log line the first time, then every 1000th: a relay that sends
// nothing else cannot fill the journal, and the count still shows.
bool worth_a_line(std::uint64_t malformed) { return malformed == 1 || malformed % 1000 == 0; }

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

std::string hex_with_colons(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < size; ++i) {
    if (i != 0) text += ':';
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 0x0f];
  }
  return text;
}

// The trust the account's settings ask for, in ctx. Empty, or why it cannot be set up.
std::string set_up_trust(ssl::context& ctx, const RelayTls& tls) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (!tls.ca_file.empty()) {
    ctx.load_verify_file(tls.ca_file, ec);
    if (ec) return "cannot read the CA file " + tls.ca_file + ": " + ec.message();
    ctx.set_verify_mode(ssl::verify_peer);
    return {};
  }
  if (!tls.certificate_sha256.empty()) {
    // The pin alone decides (the relay's certificate is often self-signed); it is checked once
    // the handshake has shown the relay holds the certificate's key, before anything is sent.
    ctx.set_verify_mode(ssl::verify_none);
    return {};
  }
  ctx.set_default_verify_paths(ec);
  if (ec) return "cannot read the system's trusted certificates: " + ec.message();
  ctx.set_verify_mode(ssl::verify_peer);
  return {};
}

}  // namespace

core::Result<void, RelaySetupErrc> check_relay_setup(const RelayAccount& account) {
  if (!account.tls.enabled && !core::is_loopback_host(account.host)) {
    return core::fail(RelaySetupErrc::insecure,
                      "plain ws:// is for a relay on this machine only (127.0.0.0/8, ::1, "
                      "localhost): to " +
                          account.host + " the login would travel in clear; use TLS");
  }
  if (!account.tls.certificate_sha256.empty() &&
      !core::parse_certificate_sha256(account.tls.certificate_sha256)) {
    return core::fail(RelaySetupErrc::bad_pin,
                      "the certificate pin is not a SHA-256 (64 hex digits, colons and spaces "
                      "allowed)");
  }
  if (account.tls.enabled && !account.tls.ca_file.empty()) {
    ssl::context ctx(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx.load_verify_file(account.tls.ca_file, ec);
    if (ec) {
      return core::fail(RelaySetupErrc::bad_ca_file,
                        "cannot read the CA file " + account.tls.ca_file + ": " + ec.message());
    }
  }
  return {};
}

class RelayClient::Impl : public std::enable_shared_from_this<RelayClient::Impl> {
 public:
  Impl(boost::asio::io_context& io, RelayAccount account, Handlers handlers, RelayTimings timings)
      : io_(io),
        account_(std::move(account)),
        handlers_(std::move(handlers)),
        timings_(timings),
        tls_context_(ssl::context::tls_client),
        resolver_(io),
        retry_timer_(io),
        backoff_(timings.first_backoff, timings.max_backoff) {
    if (auto checked = check_relay_setup(account_); !checked) {
      setup_problem_ = checked.error().detail;
    } else if (account_.tls.enabled) {
      setup_problem_ = set_up_trust(tls_context_, account_.tls);
      if (const auto pin = core::parse_certificate_sha256(account_.tls.certificate_sha256))
        pin_ = *pin;
    }
  }

  void start() {
    // A setup that must not connect (plain ws:// away from loopback) opens nothing at all.
    if (!setup_problem_.empty()) {
      stopped_ = true;
      if (handlers_.refused) handlers_.refused(0, setup_problem_);
      return;
    }
    stopped_ = false;
    connect();
  }

  void stop() {
    stopped_ = true;
    ++generation_;
    retry_timer_.cancel();
    resolver_.cancel();
    retire_session();
    drop("stopped");
  }

  // The owner is going away: nothing is reported to it any more.
  void forget_handlers() { handlers_ = Handlers{}; }

  bool connected() const { return open_; }
  RelayClientStatus status() const { return status_; }

  void request(const std::string& verb, const std::string& path, Json body, Done done) {
    if (!open_ || !session_) {
      if (done) done(0, Json::object());
      return;
    }
    session_.with([&](auto& session) { session.request(verb, path, body, std::move(done)); });
  }

 private:
  // --- Connecting ----------------------------------------------------------------------------

  void connect() {
    if (stopped_) return;
    ++generation_;
    retire_session();
    if (account_.tls.enabled) {
      session_.tls = std::make_shared<TlsSession>(session_events(), timings_, io_, tls_context_);
    } else {
      session_.plain = std::make_shared<PlainSession>(session_events(), timings_, io_);
    }
    resolver_.async_resolve(account_.host, std::to_string(account_.port),
                            [self = shared_from_this(), generation = generation_](
                                beast::error_code ec, tcp::resolver::results_type results) {
                              if (generation != self->generation_) return;
                              if (ec) return self->retry("resolve: " + ec.message());
                              self->on_resolve(results);
                            });
  }

  // What this attempt's session says reaches the client while the attempt is the current one.
  RelaySessionEvents session_events() {
    auto current = [weak = weak_from_this(), generation = generation_ + 0] {
      auto self = weak.lock();
      return self && generation == self->generation_ ? self : nullptr;
    };
    RelaySessionEvents events;
    events.open = [current] {
      if (auto self = current()) self->on_open();
    };
    events.login_checked = [current] {
      if (auto self = current()) self->on_login_checked();
    };
    events.refused = [current](int status, const std::string& reason) {
      if (auto self = current()) self->refusal(status, reason);
    };
    events.ended = [current](const std::string& why) {
      if (auto self = current()) self->retry(why);
    };
    events.envelope = [current](Envelope envelope, Ack ack) {
      auto self = current();
      if (!self || !self->handlers_.envelope) return ack(false);
      self->handlers_.envelope(std::move(envelope), std::move(ack));
    };
    events.queue_empty = [current] {
      if (auto self = current(); self && self->handlers_.queue_empty) self->handlers_.queue_empty();
    };
    events.malformed = [current](core::relay::WireErrc code, const std::string& detail) {
      if (auto self = current()) self->on_malformed(code, detail);
    };
    return events;
  }

  void on_resolve(const tcp::resolver::results_type& results) {
    // Without TLS, a name must lead to this machine too (localhost may be mapped elsewhere).
    if (!account_.tls.enabled) {
      for (const auto& entry : results) {
        if (!entry.endpoint().address().is_loopback()) {
          return refusal(0, account_.host + " resolves to " +
                                entry.endpoint().address().to_string() +
                                ", not to this machine: plain ws:// is refused there");
        }
      }
    }
    session_.tcp().expires_after(std::chrono::seconds(10));
    session_.tcp().async_connect(
        results, [self = shared_from_this(), generation = generation_](
                     beast::error_code ec, const tcp::resolver::results_type::endpoint_type&) {
          if (generation != self->generation_) return;
          if (ec) return self->retry("connect: " + ec.message());
          self->on_connect();
        });
  }

  void on_connect() {
    session_.tcp().socket().set_option(tcp::no_delay(true));
    if (session_.tls) return start_tls();
    upgrade();
  }

  // --- TLS: the relay's certificate, checked before the login is sent ------------------------

  void start_tls() {
    auto& layer = session_.tls->ws().next_layer();
    SSL* ssl = layer.native_handle();
    if (is_ip_literal(account_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), account_.host.c_str());
    } else {
      // SNI, for names only (never addresses); SSL_set_tlsext_host_name without its C cast.
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(account_.host.c_str()));
      SSL_set1_host(ssl, account_.host.c_str());
    }
    session_.tcp().expires_after(std::chrono::seconds(10));
    layer.async_handshake(
        ssl::stream_base::client,
        [self = shared_from_this(), generation = generation_](beast::error_code ec) {
          if (generation != self->generation_) return;
          if (ec) return self->on_tls_failed(ec);
          if (const std::string wrong = self->pin_mismatch(); !wrong.empty())
            return self->refusal(0, wrong);
          self->upgrade();
        });
  }

  void on_tls_failed(const beast::error_code& ec) {
    const long verified = SSL_get_verify_result(session_.tls->ws().next_layer().native_handle());
    if (verified != X509_V_OK) {
      return refusal(0, std::string("the relay's certificate is not trusted: ") +
                            X509_verify_cert_error_string(verified));
    }
    retry("tls: " + ec.message());
  }

  // Empty when no pin is set or the relay's certificate is the pinned one.
  std::string pin_mismatch() {
    if (pin_.empty()) return {};
    X509* certificate = SSL_get1_peer_certificate(session_.tls->ws().next_layer().native_handle());
    if (certificate == nullptr) return "the relay showed no certificate";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    const bool digested = X509_digest(certificate, EVP_sha256(), digest, &size) == 1;
    X509_free(certificate);
    if (!digested) return "the relay's certificate could not be read";
    if (std::vector<std::uint8_t>(digest, digest + size) == pin_) return {};
    return "the relay's certificate is not the pinned one (its SHA-256 is " +
           hex_with_colons(digest, size) + ")";
  }

  // --- The WebSocket upgrade: the login (the session's) --------------------------------------

  void upgrade() {
    const std::string credentials = account_.account + ":" + account_.secret;
    RelayLogin login;
    login.host = account_.host;
    login.authorization = "Basic " + core::base64_encode(std::vector<std::uint8_t>(
                                         credentials.begin(), credentials.end()));
    login.claim = account_.claim;
    login.check_only = account_.check_only;
    // From here the WebSocket's own timeouts apply (the handshake's, then the idle one).
    session_.tcp().expires_never();
    session_.with([&](auto& session) { session.start(login); });
  }

  // A login that cannot succeed by trying again alone: said once per episode, then tried again
  // with backoff (someone may fix it at the relay meanwhile).
  void refusal(int status, const std::string& reason) {
    if (!reported_refusal_ || reported_refusal_->first != status ||
        reported_refusal_->second != reason) {
      reported_refusal_ = std::make_pair(status, reason);
      if (handlers_.refused) handlers_.refused(status, reason);
    }
    retry_after_failure("refused (" + std::to_string(status) + "): " + reason);
  }

  // The session of an attempt or connection that is over: shut (its pending requests hear
  // status 0), and kept alive by its cancelled operations until they have run.
  void retire_session() {
    if (!session_) return;
    auto retired = std::move(session_);
    session_ = Session{};
    retired.with([](auto& session) { session.shut(); });
  }

  void on_open() {
    open_ = true;
    backoff_.reset();
    reported_refusal_.reset();
    account_.claim.clear();  // claimed: the relay knows this secret now
    if (handlers_.connected) handlers_.connected();
  }

  void on_login_checked() {
    stopped_ = true;
    ++generation_;
    retry_timer_.cancel();
    retire_session();
    if (handlers_.login_checked) handlers_.login_checked();
  }

  void on_malformed(core::relay::WireErrc code, const std::string& detail) {
    const std::uint64_t count = ++status_.malformed_frames;
    if (!worth_a_line(count)) return;
    log::warning("relay frame unreadable, answered or dropped (" + std::to_string(count) +
                 " so far): " + core::relay::errc_name(code) + ": " + detail);
  }

  void retry(const std::string& why) {
    if (!open_ && handlers_.attempt_failed) handlers_.attempt_failed(why);
    retry_after_failure(why);
  }

  void retry_after_failure(const std::string& why) {
    ++generation_;  // what this attempt's session still says is stale now
    retire_session();
    drop(why);
    if (stopped_) return;
    retry_timer_.expires_after(backoff_.next());
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }

  void drop(const std::string& why) {
    const bool was_open = open_;
    if (was_open) log::debug("relay connection lost: " + why);
    open_ = false;
    if (was_open && handlers_.disconnected) handlers_.disconnected(why);
  }

  boost::asio::io_context& io_;
  RelayAccount account_;
  Handlers handlers_;
  RelayTimings timings_;
  ssl::context tls_context_;  // before the sessions, which refer to it
  std::string setup_problem_;
  std::vector<std::uint8_t> pin_;
  tcp::resolver resolver_;
  boost::asio::steady_timer retry_timer_;
  Session session_;
  std::optional<std::pair<int, std::string>> reported_refusal_;
  RelayClientStatus status_;
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
RelayClientStatus RelayClient::status() const { return impl_->status(); }

void RelayClient::request(const std::string& verb, const std::string& path, Json body, Done done) {
  impl_->request(verb, path, std::move(body), std::move(done));
}

LoginOutcome login_once(const RelayAccount& account, std::chrono::milliseconds timeout) {
  boost::asio::io_context io(1);
  LoginOutcome outcome;
  RelayClient* client = nullptr;
  auto finish = [&](LoginOutcome::Kind kind, int status, const std::string& reason) {
    outcome = {kind, status, reason};
    client->stop();
    io.stop();
  };
  RelayClient::Handlers handlers;
  handlers.connected = [&] { finish(LoginOutcome::Kind::accepted, 0, ""); };
  handlers.login_checked = handlers.connected;
  handlers.refused = [&](int status, const std::string& reason) {
    finish(LoginOutcome::Kind::refused, status, reason);
  };
  handlers.attempt_failed = [&](const std::string& why) { outcome.reason = why; };
  RelayTimings timings;
  timings.max_backoff = std::chrono::seconds(2);
  RelayClient once(io, account, handlers, timings);
  client = &once;
  boost::asio::steady_timer deadline(io, timeout);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  once.start();
  if (outcome.kind == LoginOutcome::Kind::unreachable && !io.stopped()) io.run();
  once.stop();
  return outcome;
}

}  // namespace gvo::transport
