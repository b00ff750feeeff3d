// A client of gvo-relay (bot/relay/PROTOCOL.md), used by gvo-bot and gvo-chat: connects (wss://
// with the relay's certificate verified or pinned; plain ws:// to loopback only) and
// authenticates, reports a refused login, reconnects with exponential backoff and jitter, notices a
// half-open connection by its ping timeout, correlates requests with responses, and hands each
// delivered envelope to its owner, who acknowledges it only once it is durably taken in. Runs on
// one io_context thread; Asio stays behind the pimpl.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/core/result.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

using Json = nlohmann::json;

// How the client knows it talks with the relay: TLS, with the certificate checked against the
// system's trust store (or ca_file) and the host name, or pinned (its DER's SHA-256; with a
// ca_file as well, both must hold).
struct RelayTls {
  bool enabled = false;            // off: plain ws://, allowed to loopback hosts only
  std::string ca_file;             // PEM; empty: the system's trust store
  std::string certificate_sha256;  // hex, colons and spaces allowed; empty: no pin
};

struct RelayAccount {
  std::string host = "127.0.0.1";
  unsigned short port = 8787;
  std::string account;
  std::string secret;
  // The one-time code of an account the relay's admin provisioned (X-Gvo-Claim): sent until the
  // first login succeeds, then forgotten.
  std::string claim;
  RelayTls tls;
  // Only ask the relay whether it would let this login in (GET /v1/login), without connecting:
  // nothing is registered or claimed there, and the account's open connection stays. The answer
  // is Handlers::login_checked or refused; the client then stops.
  bool check_only = false;
};

enum class RelaySetupErrc {
  insecure,  // plain ws:// to a host that is not this machine
  bad_pin,   // certificate_sha256 is not 32 bytes of hex
  bad_ca_file,
};

// Whether the client may connect to account as it is set up, checked before any connection is
// opened (the CA file is read). The detail is a sentence for the person who set it up.
[[nodiscard]] core::Result<void, RelaySetupErrc> check_relay_setup(const RelayAccount& account);

struct Envelope {
  std::string guid;
  int type = 1;  // 1 ordinary, 3 pre-key message
  std::string source;
  std::int64_t client_timestamp = 0;
  std::int64_t server_timestamp = 0;
  std::vector<std::uint8_t> content;
};

struct RelayTimings {
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
  // Without any frame for this long (pings included) the connection is taken for dead.
  std::chrono::milliseconds idle_timeout{20000};
};

// What the client has seen, for the bot's status and tests.
struct RelayClientStatus {
  // Frames from the relay that could not be read (bot/core/relay_wire.hpp): each answered 400
  // (a request with a usable id) or dropped, and logged (the first, then every 1000th).
  std::uint64_t malformed_frames = 0;
};

class RelayClient {
 public:
  // Tells the relay whether the envelope was taken in (true: it is deleted there).
  using Ack = std::function<void(bool taken)>;
  // status 0: the connection ended before the answer came.
  using Done = std::function<void(int status, const Json& body)>;

  struct Handlers {
    std::function<void()> connected;      // open and authenticated: upload keys, send the outbox
    std::function<void()> login_checked;  // check_only: the relay would let the login in
    std::function<void(Envelope, Ack)> envelope;
    std::function<void()> queue_empty;
    std::function<void(const std::string& why)> disconnected;
    // The login cannot succeed without someone acting: the relay refused the upgrade (status
    // 401: wrong secret, 403 and other 4xx: the reason its answer gives), or status 0: this
    // client refused the relay (its certificate, or a setup check_relay_setup refuses). Reported
    // once per episode (again when the reason changes, or after a login succeeded); the client
    // keeps trying with backoff unless stopped (a setup refusal stops it).
    std::function<void(int status, const std::string& reason)> refused;
    // An attempt failed for another reason (the relay unreachable, say); it is tried again.
    std::function<void(const std::string& why)> attempt_failed;
  };

  RelayClient(boost::asio::io_context& io, RelayAccount account, Handlers handlers,
              RelayTimings timings = {});
  RelayClient(const RelayClient&) = delete;
  RelayClient& operator=(const RelayClient&) = delete;
  ~RelayClient();

  void start();
  void stop();
  bool connected() const;
  RelayClientStatus status() const;

  void request(const std::string& verb, const std::string& path, Json body, Done done);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// One login, for `gvo-bot relay-claim`: connects as account (claim code included), then closes.
// With account.check_only (`gvo-bot doctor`), it only asks whether the login would be taken.
struct LoginOutcome {
  enum class Kind { accepted, refused, unreachable } kind = Kind::unreachable;
  int status = 0;      // refused: as RelayClient::Handlers::refused reports it
  std::string reason;  // refused: the reason; unreachable: the last attempt's error
};
[[nodiscard]] LoginOutcome login_once(const RelayAccount& account,
                                      std::chrono::milliseconds timeout);

}  // namespace gvo::transport
