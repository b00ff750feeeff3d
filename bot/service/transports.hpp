// The transport a run of the bot uses, behind one interface: the relay's messenger (with the
// bot's own Signal endpoint) or signal-cli's. Made before the desk and destroyed after it, so
// that what the desk asks of it (identity keys) always reaches a live transport. One thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bot/core/config.hpp"
#include "bot/desk/desk.hpp"
#include "bot/transport/messenger.hpp"
#include "storage/store.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::service {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  // Sends what the outbox holds (after a commit outside the pipeline: the timers').
  virtual void flush() = 0;
  // The identity key the transport holds for address: the relay's is in our own store (the bot
  // does the encryption); signal-cli's is read from it, with the safety number people compare.
  virtual std::optional<desk::Identity> identity(const std::string& address) = 0;
  // After the commit that removed a person: what the transport keeps of them goes too.
  virtual void forget(const std::string& address) = 0;
  // After the commit that took in a message from address.
  virtual void taken_in(const std::string& address) = 0;
  // Where it connects, for the ready line.
  virtual std::string where() const = 0;
  // Ready once the loop runs (signal-cli); otherwise the transport's ready handler says when.
  virtual bool ready_at_start() const = 0;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

// Handlers as the desk's wiring sets them; ready and refused are set here for the relay.
std::unique_ptr<Transport> make_transport(boost::asio::io_context& io, const core::Config& config,
                                          storage::Store& store,
                                          transport::Messenger::Handlers handlers, Clock clock);

}  // namespace gvo::service
