// gvo-relay's listener: accepts TCP connections (TLS when a context is given), holds each to the
// flood limits (flood_guard.hpp) and starts a Connection for it; waits, rather than spins, when
// the process is out of descriptors; and keeps house once a second (log summaries, forgetting
// rate-limit buckets, idle accounts and deleted messages, giving freed memory back). Runs on the
// relay's one io_context thread.
#pragma once

#include <chrono>
#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/relay/connection.hpp"
#include "bot/relay/flood_guard.hpp"

namespace gvo::relay {

// How long self-registered accounts are kept once idle (Accounts::forget_idle; 0: forever).
struct Retention {
  std::int64_t idle_account_ms = 30LL * 24 * 3600 * 1000;
  std::int64_t keyless_account_ms = 3600LL * 1000;
  int sweep_every_s = 600;
};

// The key an address is counted under: an IPv4 address itself, an IPv6 address by its /64 (one
// subscriber usually holds a whole /64).
std::string address_key(const boost::asio::ip::address& address);

class RelayServer {
 public:
  static constexpr std::chrono::milliseconds kFirstAcceptPause{100};
  static constexpr std::chrono::milliseconds kLongestAcceptPause{3200};

  RelayServer(boost::asio::io_context& io, Hub& hub, boost::asio::ssl::context* tls,
              ConnectionLimits limits = {}, Retention retention = {});

  // Binds (port 0: any free port) and starts accepting.
  beast::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  unsigned short port() const;
  void stop();

  // Times accept failed for want of descriptors or memory (each followed by a pause).
  std::uint64_t accept_failures() const { return accept_failures_; }

 private:
  void reserve_socket_states(const boost::asio::ip::tcp& protocol);
  void do_accept();
  void on_accept(beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void pause_accepting(const beast::error_code& ec);
  void admit(boost::asio::ip::tcp::socket socket);
  void do_tick();
  void on_tick();
  void sweep_accounts(std::int64_t now);
  void give_memory_back();

  boost::asio::io_context& io_;
  Hub& hub_;
  boost::asio::ssl::context* tls_;
  ConnectionLimits limits_;
  Retention retention_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_pause_;
  boost::asio::steady_timer tick_;
  std::chrono::milliseconds pause_{0};
  std::uint64_t accept_failures_ = 0;
  LogBudget accept_failure_log_{1, 10'000};
  std::uint64_t ticks_ = 0;
  std::size_t peak_connections_ = 0;  // set to give memory back after a sweep
  bool stopped_ = false;
};

}  // namespace gvo::relay
