#include "bot/relay/relay_server.hpp"

namespace gvo::relay {

RelayServer::RelayServer(boost::asio::io_context& io, Hub& hub, boost::asio::ssl::context* tls,
                         ConnectionLimits limits)
    : io_(io), hub_(hub), tls_(tls), limits_(limits), acceptor_(io) {}

beast::error_code RelayServer::listen(const boost::asio::ip::tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (!ec) do_accept();
  return ec;
}

unsigned short RelayServer::port() const {
  beast::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void RelayServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void RelayServer::do_accept() {
  acceptor_.async_accept(io_, [this](beast::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;  // stopped
    if (!ec) {
      socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
      if (tls_ != nullptr) {
        std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(hub_, limits_,
                                                                           std::move(socket), *tls_)
            ->start();
      } else {
        std::make_shared<Connection<beast::tcp_stream>>(hub_, limits_, std::move(socket))->start();
      }
    }
    do_accept();  // one refused connection does not stop the others
  });
}

}  // namespace gvo::relay
