// gvo-relay's listener: accepts TCP connections (TLS when a context is given) and starts a
// Connection for each. Runs on the relay's one io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/relay/connection.hpp"

namespace gvo::relay {

class RelayServer {
 public:
  RelayServer(boost::asio::io_context& io, Hub& hub, boost::asio::ssl::context* tls,
              ConnectionLimits limits = {});

  // Binds (port 0: any free port) and starts accepting.
  beast::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  unsigned short port() const;
  void stop();

 private:
  void do_accept();

  boost::asio::io_context& io_;
  Hub& hub_;
  boost::asio::ssl::context* tls_;
  ConnectionLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace gvo::relay
