// libsignal-protocol-c's five stores (sessions, pre-keys, signed pre-keys, identities, sender
// keys) on the bot's SQLite database: every record that holds a private key is sealed, peers are
// keyed by a keyed hash of their address. Callbacks run on the caller's thread, inside whatever
// transaction the caller has open.
#pragma once

#include "storage/store.hpp"

struct signal_protocol_store_context;

namespace gvo::signal {

class ProtocolStore {
 public:
  explicit ProtocolStore(storage::Store& store) : store_(store) {}

  // Registers the callbacks on a store context; this object must outlive it.
  void attach(signal_protocol_store_context* context);

  storage::Store& store() { return store_; }
  // The keyed hash that stands for a peer's address in the tables.
  storage::Bytes address_key(const char* name, std::size_t length) const;

 private:
  storage::Store& store_;
};

}  // namespace gvo::signal
