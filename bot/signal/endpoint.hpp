// The bot (or gvo-chat) as a Signal-protocol endpoint with libsignal-protocol-c 2.3.3: its keys,
// sessions built from fetched bundles, encryption and decryption. State lives in the caller's
// storage::Store; each operation runs as one unit there (a savepoint inside the caller's
// transaction), so a decrypted message can commit together with its ratchet state, and the
// ratchet state of an encryption is committed before the ciphertext is used. One thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/signal/errors.hpp"
#include "storage/store.hpp"

struct ratchet_identity_key_pair;

namespace gvo::signal {

using storage::Bytes;

struct Address {
  std::string name;  // the peer's account id
  std::int32_t device = 1;
};

// The wire does not say which kind a ciphertext is; the transport carries it.
enum class MessageKind { whisper = 2, prekey = 3 };

struct Ciphertext {
  MessageKind kind = MessageKind::whisper;
  Bytes bytes;
};

struct SignedPreKey {
  std::uint32_t id = 0;
  Bytes public_key;  // 33 bytes
  Bytes signature;   // 64 bytes
};

struct PreKey {
  std::uint32_t id = 0;
  Bytes public_key;
};

// What a peer fetches to open a session with this endpoint.
struct KeyBundle {
  std::uint32_t registration_id = 0;
  std::int32_t device_id = 1;
  Bytes identity_key;
  SignedPreKey signed_pre_key;
  std::optional<PreKey> pre_key;  // one-time, handed out once
};

// What this endpoint publishes: its identity, signed pre-key and one-time pre-keys.
struct KeyUpload {
  std::uint32_t registration_id = 0;
  Bytes identity_key;
  SignedPreKey signed_pre_key;
  std::vector<PreKey> pre_keys;
};

// What people compare out of band to check an identity key: 30 digits in six groups of five,
// from SHA-256 of the key ("04711 93027 ..."). Both sides compute it from the same public key.
std::string fingerprint_of(const Bytes& identity_key);

class Endpoint {
 public:
  // Opens on store; the first time, makes the identity key pair, the registration id and the
  // first signed pre-key (the identity's private key is stored sealed).
  static Result<std::unique_ptr<Endpoint>> open(storage::Store& store, std::int64_t now_ms);
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  ~Endpoint();

  // Makes count new one-time pre-keys (ids never reused) and returns them with the identity and
  // the current signed pre-key, ready to upload.
  Result<KeyUpload> new_keys_for_upload(std::size_t count);
  // One-time pre-keys made and not used yet.
  Result<std::size_t> unused_pre_keys();
  // Makes a new signed pre-key when the current one is older than max_age_ms; the one before is
  // kept (a pre-key message built on it may still be in flight), older ones are deleted. Returns
  // whether it rotated (the new key must then be uploaded).
  Result<bool> rotate_signed_pre_key(std::int64_t now_ms, std::int64_t max_age_ms);

  Result<void> start_session(const Address& peer, const KeyBundle& bundle);
  Result<bool> has_session(const Address& peer);
  Result<Ciphertext> encrypt(const Address& peer, std::string_view plaintext);
  Result<std::string> decrypt(const Address& peer, const Ciphertext& ciphertext);
  // Accepts a peer's new identity key: the next pre-key message from it starts a fresh session.
  Result<void> forget_identity(const Address& peer);
  // The identity key kept for a peer (trusted on first use), if the endpoint has one yet.
  Result<std::optional<Bytes>> peer_identity_key(const Address& peer);
  // Drops the session with a peer (it re-registered): the next message needs a new bundle.
  Result<void> drop_session(const Address& peer);
  // The peer's registration id, as its session knows it.
  Result<std::uint32_t> remote_registration_id(const Address& peer);

  const Bytes& identity_key() const { return identity_key_; }
  std::uint32_t registration_id() const { return registration_id_; }

  struct Library;

 private:
  Endpoint(storage::Store& store, std::unique_ptr<Library> library);
  Result<void> provision(std::int64_t now_ms);
  Result<void> add_signed_pre_key(ratchet_identity_key_pair* identity, std::uint32_t id,
                                  std::int64_t now_ms);
  Result<void> load_identity();
  template <typename Body>
  auto in_unit(Body&& body) -> decltype(body());

  storage::Store& store_;
  std::unique_ptr<Library> library_;
  Bytes identity_key_;
  std::uint32_t registration_id_ = 0;
};

}  // namespace gvo::signal
