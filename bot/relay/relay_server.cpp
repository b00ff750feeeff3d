#include "bot/relay/relay_server.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <vector>

#include <boost/asio/ip/address_v6.hpp>

namespace gvo::relay {
namespace {

namespace errc = boost::system::errc;
using boost::asio::ip::tcp;

// Accept failures that another try will meet again until something is freed: out of
// descriptors (the process's or the system's) or of kernel memory.
bool out_of_resources(const beast::error_code& ec) {
  return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
         ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

// Reactor states reserved beyond the connection limits: the listener, dropped connections.
constexpr std::size_t kSpareSocketStates = 64;
constexpr std::size_t kMostSocketStates = 65536;

// Memory is given back once this many connections have gone since the peak, and at least half.
constexpr std::size_t kConnectionsGoneBeforeTrim = 256;

}  // namespace

std::string address_key(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

RelayServer::RelayServer(boost::asio::io_context& io, Hub& hub, boost::asio::ssl::context* tls,
                         ConnectionLimits limits, Retention retention)
    : io_(io),
      hub_(hub),
      tls_(tls),
      limits_(limits),
      retention_(retention),
      acceptor_(io),
      accept_pause_(io),
      tick_(io) {}

beast::error_code RelayServer::listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  reserve_socket_states(endpoint.protocol());
  do_accept();
  sweep_accounts(now_ms());  // whatever went idle while the relay was down
  do_tick();
  return ec;
}

// Asio keeps each socket's reactor state in a pool that reuses freed states but never gives them
// back. Grown during a flood, those states end up one between every two connections' memory,
// and pin it page by page: malloc_trim could then give back only a third of what the flood took.
// Growing the pool now, once, to what the limits allow keeps the states together, and the rest
// of a flood's memory can go back to the system.
void RelayServer::reserve_socket_states(const tcp& protocol) {
  const std::size_t wanted = std::min(hub_.guard().limits().max_connections +
                                          hub_.guard().limits().max_refusing + kSpareSocketStates,
                                      kMostSocketStates);
  std::vector<tcp::socket> sockets;
  sockets.reserve(wanted);
  for (std::size_t i = 0; i < wanted; ++i) {
    tcp::socket socket(io_);
    beast::error_code ec;
    socket.open(protocol, ec);
    if (ec) break;  // the descriptor limit: as many as it allows
    sockets.push_back(std::move(socket));
  }
}

unsigned short RelayServer::port() const {
  beast::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void RelayServer::stop() {
  stopped_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  accept_pause_.cancel();
  tick_.cancel();
}

// --- Accepting --------------------------------------------------------------------------------

void RelayServer::do_accept() {
  acceptor_.async_accept(
      io_, [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void RelayServer::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == boost::asio::error::operation_aborted || stopped_) return;  // stopped
  if (out_of_resources(ec)) return pause_accepting(ec);
  pause_ = std::chrono::milliseconds(0);
  if (!ec) admit(std::move(socket));
  do_accept();  // one refused connection does not stop the others
}

// Out of descriptors, accept fails at once every time: trying again straight away would spin.
// The pending connections wait in the listen backlog while the relay waits, 100 ms at first,
// twice as long each time it fails again, up to 3.2 s. One log line per ten seconds says so.
void RelayServer::pause_accepting(const beast::error_code& ec) {
  ++accept_failures_;
  pause_ = std::clamp(pause_ * 2, kFirstAcceptPause, kLongestAcceptPause);
  if (accept_failure_log_.admit("accept failed: " + ec.message(), now_ms())) {
    hub_.log_notice("accept failed: " + ec.message() + "; accepting again in " +
                    std::to_string(pause_.count()) + " ms, later if it fails again (" +
                    std::to_string(accept_failures_) + " such failures since start)");
  }
  accept_pause_.expires_after(pause_);
  accept_pause_.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec || stopped_) return;
    do_accept();
  });
}

void RelayServer::admit(tcp::socket socket) {
  beast::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // gone already
  const std::string address = address_key(remote.address());
  const ConnectionVerdict verdict = hub_.guard().connection_opened(address);
  if (verdict.admit == Admit::drop) {
    const std::string kind = "connection closed unanswered, " +
                             std::to_string(verdict.refusal.status) + " " + verdict.refusal.reason;
    hub_.notice(kind + ": " + verdict.refusal.detail + ", and too many refusals in progress", kind);
    socket.close(ec);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto start = [&](auto connection) {
    if (verdict.admit == Admit::open) {
      connection->counted_from(address);
    } else {
      connection->refuse_at_upgrade(verdict.refusal);
    }
    connection->start();
  };
  if (tls_ != nullptr) {
    start(std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
        hub_, limits_, std::move(socket), *tls_));
  } else {
    start(std::make_shared<Connection<beast::tcp_stream>>(hub_, limits_, std::move(socket)));
  }
}

// --- Housekeeping -----------------------------------------------------------------------------

void RelayServer::do_tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](beast::error_code ec) {
    if (ec || stopped_) return;
    on_tick();
    do_tick();
  });
}

void RelayServer::on_tick() {
  const std::int64_t now = now_ms();
  ++ticks_;
  hub_.flush_notices(now);
  if (auto summary = accept_failure_log_.summary(now)) hub_.log_notice(*summary);
  if (ticks_ % 5 == 0) (void)hub_.service().forget_deleted();
  if (ticks_ % 10 == 0) {
    hub_.guard().prune(now);
    (void)hub_.service().prune(now);
  }
  if (retention_.sweep_every_s > 0 &&
      ticks_ % static_cast<std::uint64_t>(retention_.sweep_every_s) == 0) {
    sweep_accounts(now);
  }
  give_memory_back();
}

void RelayServer::sweep_accounts(std::int64_t now) {
  if (retention_.idle_account_ms <= 0 && retention_.keyless_account_ms <= 0) return;
  // A connected account is not idle, however long ago it connected.
  for (const std::string& account : hub_.connected_accounts()) {
    (void)hub_.service().accounts().touch(account, now);
  }
  auto forgotten = hub_.service().forget_idle_accounts(now, retention_.idle_account_ms,
                                                       retention_.keyless_account_ms);
  if (!forgotten) {
    hub_.log_notice("retention of idle accounts failed: " + forgotten.error().detail);
    return;
  }
  if (forgotten->accounts == 0) return;
  hub_.log_notice("retention: forgot " + std::to_string(forgotten->accounts) +
                  " idle self-registered accounts with their keys and " +
                  std::to_string(forgotten->envelopes) + " messages queued for them");
  (void)hub_.service().forget_deleted();
  peak_connections_ = kConnectionsGoneBeforeTrim;  // their memory goes back too
}

// After a flood, the freed connections' memory sits in malloc's free lists: malloc_trim hands
// it back to the system, so that the relay's resident size returns to where it was.
void RelayServer::give_memory_back() {
  FloodGuard& guard = hub_.guard();
  const std::size_t open = guard.connections() + guard.refusing();
  // The guard's peak, not one seen here: a flood can come and go between two ticks.
  const std::size_t peak = std::max(peak_connections_, guard.peak());
  if (peak < open + kConnectionsGoneBeforeTrim || open > peak / 2) return;
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
  guard.reset_peak();
  peak_connections_ = 0;
}

}  // namespace gvo::relay
