#include "bot/signal/endpoint.hpp"

#include <key_helper.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_pre_key.h>
#include <signal_protocol.h>

#include <cstdio>
#include <mutex>

#include <openssl/evp.h>

#include "bot/signal/crypto_provider.hpp"
#include "bot/signal/handles.hpp"
#include "bot/signal/protocol_store.hpp"

namespace gvo::signal {

// The library's global and store contexts with what they point to: the crypto provider, the
// stores and the recursive lock the library requires (held only on the bot's one thread).
struct Endpoint::Library {
  explicit Library(storage::Store& store) : protocol_store(store) {}
  ~Library() {
    if (store_context != nullptr) signal_protocol_store_context_destroy(store_context);
    if (context != nullptr) signal_context_destroy(context);
  }

  CryptoProvider crypto;
  ProtocolStore protocol_store;
  std::recursive_mutex lock;
  signal_context* context = nullptr;
  signal_protocol_store_context* store_context = nullptr;
};

namespace {

constexpr std::uint32_t kFirstSignedPreKeyId = 1;
constexpr std::uint32_t kMaxPreKeyId = 0xFFFFFE;  // 0xFFFFFF is never removed after use

void lock(void* user_data) { static_cast<std::recursive_mutex*>(user_data)->lock(); }
void unlock(void* user_data) { static_cast<std::recursive_mutex*>(user_data)->unlock(); }

Bytes bytes_of(const signal_buffer* buffer) {
  const uint8_t* data = signal_buffer_const_data(buffer);
  return Bytes(data, data + signal_buffer_len(buffer));
}

// A serialized public key (33 bytes).
Result<Bytes> public_bytes(ec_public_key* key) {
  signal_buffer* raw = nullptr;
  if (const int rc = ec_public_key_serialize(&raw, key); rc < 0) {
    return from_library(rc, "serializing a public key");
  }
  Buffer held(raw);
  return bytes_of(held.get());
}

Result<Ref<ec_public_key>> decode_public(const Bytes& bytes, signal_context* context,
                                         const char* what) {
  ec_public_key* key = nullptr;
  if (bytes.empty()) return core::fail(Errc::invalid_key, std::string(what) + " missing");
  if (const int rc = curve_decode_point(&key, bytes.data(), bytes.size(), context); rc < 0) {
    return from_library(rc, std::string("decoding the ") + what);
  }
  return Ref<ec_public_key>(key);
}

signal_protocol_address address_of(const Address& peer) {
  return signal_protocol_address{peer.name.c_str(), peer.name.size(), peer.device};
}

}  // namespace

Endpoint::Endpoint(storage::Store& store, std::unique_ptr<Library> library)
    : store_(store), library_(std::move(library)) {}

Endpoint::~Endpoint() = default;

// Runs body as one unit of the database: its own transaction, or a savepoint inside the caller's.
// A failed body rolls back what the library wrote during it.
template <typename Body>
auto Endpoint::in_unit(Body&& body) -> decltype(body()) {
  using R = decltype(body());
  std::optional<R> result;
  auto unit = store_.db().transact([&]() -> storage::Result<void> {
    result.emplace(body());
    if (result->ok()) return {};
    return storage::fail(storage::Errc::sql_failed, "rolled back");
  });
  if (result && !result->ok()) return std::move(*result);
  if (!unit) return core::fail(Errc::storage, storage::describe(unit.error()));
  return std::move(*result);
}

Result<std::unique_ptr<Endpoint>> Endpoint::open(storage::Store& store, std::int64_t now_ms) {
  auto library = std::make_unique<Library>(store);
  if (!library->crypto.ready()) {
    return core::fail(Errc::crypto, "OpenSSL lacks HMAC, SHA-512 or AES");
  }
  if (const int rc = signal_context_create(&library->context, &library->lock); rc < 0) {
    return from_library(rc, "creating the signal context");
  }
  if (const int rc = signal_context_set_crypto_provider(library->context, &library->crypto.table());
      rc < 0) {
    return from_library(rc, "setting the crypto provider");
  }
  if (const int rc = signal_context_set_locking_functions(library->context, lock, unlock); rc < 0) {
    return from_library(rc, "setting the locking functions");
  }
  if (const int rc =
          signal_protocol_store_context_create(&library->store_context, library->context);
      rc < 0) {
    return from_library(rc, "creating the store context");
  }
  library->protocol_store.attach(library->store_context);
  std::unique_ptr<Endpoint> endpoint(new Endpoint(store, std::move(library)));
  if (auto loaded = endpoint->load_identity(); !loaded) {
    if (loaded.code() != Errc::not_provisioned) return std::move(loaded).error();
    if (auto made = endpoint->provision(now_ms); !made) return std::move(made).error();
    if (auto again = endpoint->load_identity(); !again) return std::move(again).error();
  }
  return endpoint;
}

Result<void> Endpoint::load_identity() {
  auto query =
      store_.db().prepare("SELECT registration_id, public_key FROM signal_identity WHERE id = 1");
  if (!query) return core::fail(Errc::storage, storage::describe(query.error()));
  auto row = query->step();
  if (!row) return core::fail(Errc::storage, storage::describe(row.error()));
  if (!row.value()) return core::fail(Errc::not_provisioned, "no identity yet");
  registration_id_ = static_cast<std::uint32_t>(query->column_int64(0));
  identity_key_ = query->column_blob(1);
  return {};
}

Result<void> Endpoint::provision(std::int64_t now_ms) {
  signal_context* context = library_->context;
  return in_unit([&]() -> Result<void> {
    ratchet_identity_key_pair* raw_pair = nullptr;
    if (const int rc = signal_protocol_key_helper_generate_identity_key_pair(&raw_pair, context);
        rc < 0) {
      return from_library(rc, "making the identity key pair");
    }
    Ref<ratchet_identity_key_pair> pair(raw_pair);
    std::uint32_t registration_id = 0;
    if (const int rc =
            signal_protocol_key_helper_generate_registration_id(&registration_id, 0, context);
        rc < 0) {
      return from_library(rc, "making the registration id");
    }
    auto public_key = public_bytes(ratchet_identity_key_pair_get_public(pair.get()));
    if (!public_key) return std::move(public_key).error();
    signal_buffer* raw_private = nullptr;
    if (const int rc = ec_private_key_serialize(&raw_private,
                                                ratchet_identity_key_pair_get_private(pair.get()));
        rc < 0) {
      return from_library(rc, "serializing the identity private key");
    }
    Buffer private_key(raw_private);
    auto sealed = store_.sealer().seal(
        {"signal_identity", "private_key", "1"},
        std::string_view(reinterpret_cast<const char*>(signal_buffer_const_data(private_key.get())),
                         signal_buffer_len(private_key.get())));
    if (!sealed) return core::fail(Errc::storage, storage::describe(sealed.error()));
    auto insert = store_.db().prepare(
        "INSERT INTO signal_identity(id, registration_id, public_key, private_key, "
        "next_pre_key_id, signed_pre_key_id) VALUES (1, ?1, ?2, ?3, 1, ?4)");
    if (!insert) return core::fail(Errc::storage, storage::describe(insert.error()));
    insert->bind(1, std::int64_t{registration_id})
        .bind_blob(2, public_key.value())
        .bind_blob(3, sealed.value())
        .bind(4, std::int64_t{kFirstSignedPreKeyId});
    if (auto done = insert->run(); !done) {
      return core::fail(Errc::storage, storage::describe(done.error()));
    }
    return add_signed_pre_key(pair.get(), kFirstSignedPreKeyId, now_ms);
  });
}

// Makes, stores and dates a signed pre-key (its age counts from now_ms, not the wall clock).
Result<void> Endpoint::add_signed_pre_key(ratchet_identity_key_pair* identity, std::uint32_t id,
                                          std::int64_t now_ms) {
  session_signed_pre_key* raw_signed = nullptr;
  if (const int rc = signal_protocol_key_helper_generate_signed_pre_key(
          &raw_signed, identity, id, static_cast<uint64_t>(now_ms), library_->context);
      rc < 0) {
    return from_library(rc, "making the signed pre-key");
  }
  Ref<session_signed_pre_key> signed_key(raw_signed);
  if (const int rc =
          signal_protocol_signed_pre_key_store_key(library_->store_context, signed_key.get());
      rc < 0) {
    return from_library(rc, "storing the signed pre-key");
  }
  auto dated =
      store_.db().prepare("UPDATE signal_signed_pre_keys SET created_at = ?2 WHERE id = ?1");
  if (!dated || !dated->bind(1, std::int64_t{id}).bind(2, now_ms / 1000).run()) {
    return core::fail(Errc::storage, "dating the signed pre-key");
  }
  return {};
}

Result<KeyUpload> Endpoint::new_keys_for_upload(std::size_t count) {
  signal_context* context = library_->context;
  return in_unit([&]() -> Result<KeyUpload> {
    auto ids = store_.db().prepare(
        "SELECT next_pre_key_id, signed_pre_key_id FROM signal_identity WHERE id = 1");
    if (!ids) return core::fail(Errc::storage, storage::describe(ids.error()));
    auto row = ids->step();
    if (!row || !row.value()) return core::fail(Errc::not_provisioned, "no identity yet");
    const auto next_id = static_cast<std::uint32_t>(ids->column_int64(0));
    const auto signed_id = static_cast<std::uint32_t>(ids->column_int64(1));
    if (next_id + count > kMaxPreKeyId) {
      return core::fail(Errc::invalid_key_id, "the pre-key ids are used up");
    }
    KeyUpload upload;
    upload.registration_id = registration_id_;
    upload.identity_key = identity_key_;

    session_signed_pre_key* raw_signed = nullptr;
    if (const int rc = signal_protocol_signed_pre_key_load_key(library_->store_context, &raw_signed,
                                                               signed_id);
        rc < 0) {
      return from_library(rc, "loading the signed pre-key");
    }
    Ref<session_signed_pre_key> signed_key(raw_signed);
    auto signed_public =
        public_bytes(ec_key_pair_get_public(session_signed_pre_key_get_key_pair(signed_key.get())));
    if (!signed_public) return std::move(signed_public).error();
    const uint8_t* signature = session_signed_pre_key_get_signature(signed_key.get());
    upload.signed_pre_key = {
        signed_id, std::move(signed_public).value(),
        Bytes(signature, signature + session_signed_pre_key_get_signature_len(signed_key.get()))};

    if (count > 0) {
      signal_protocol_key_helper_pre_key_list_node* head = nullptr;
      if (const int rc = signal_protocol_key_helper_generate_pre_keys(
              &head, next_id, static_cast<unsigned>(count), context);
          rc < 0) {
        return from_library(rc, "making one-time pre-keys");
      }
      std::unique_ptr<signal_protocol_key_helper_pre_key_list_node,
                      decltype(&signal_protocol_key_helper_key_list_free)>
          list(head, &signal_protocol_key_helper_key_list_free);
      for (auto* node = head; node != nullptr;
           node = signal_protocol_key_helper_key_list_next(node)) {
        session_pre_key* key = signal_protocol_key_helper_key_list_element(node);
        if (const int rc = signal_protocol_pre_key_store_key(library_->store_context, key);
            rc < 0) {
          return from_library(rc, "storing a one-time pre-key");
        }
        auto key_public = public_bytes(ec_key_pair_get_public(session_pre_key_get_key_pair(key)));
        if (!key_public) return std::move(key_public).error();
        upload.pre_keys.push_back({session_pre_key_get_id(key), std::move(key_public).value()});
      }
    }
    auto advance =
        store_.db().prepare("UPDATE signal_identity SET next_pre_key_id = ?1 WHERE id = 1");
    if (!advance) return core::fail(Errc::storage, storage::describe(advance.error()));
    if (auto done =
            advance->bind(1, std::int64_t{next_id + static_cast<std::uint32_t>(count)}).run();
        !done) {
      return core::fail(Errc::storage, storage::describe(done.error()));
    }
    return upload;
  });
}

Result<bool> Endpoint::rotate_signed_pre_key(std::int64_t now_ms, std::int64_t max_age_ms) {
  return in_unit([&]() -> Result<bool> {
    auto current = store_.db().prepare(
        "SELECT k.id, k.created_at FROM signal_identity i JOIN signal_signed_pre_keys k "
        "ON k.id = i.signed_pre_key_id WHERE i.id = 1");
    if (!current) return core::fail(Errc::storage, storage::describe(current.error()));
    auto row = current->step();
    if (!row || !row.value()) return core::fail(Errc::not_provisioned, "no signed pre-key");
    const auto id = static_cast<std::uint32_t>(current->column_int64(0));
    const std::int64_t created_ms = current->column_int64(1) * 1000;
    if (now_ms - created_ms < max_age_ms) return false;
    current.value().reset();

    ratchet_identity_key_pair* raw_pair = nullptr;
    if (const int rc = signal_protocol_identity_get_key_pair(library_->store_context, &raw_pair);
        rc < 0) {
      return from_library(rc, "loading the identity key pair");
    }
    Ref<ratchet_identity_key_pair> pair(raw_pair);
    const std::uint32_t next = id % kMaxPreKeyId + 1;
    if (auto added = add_signed_pre_key(pair.get(), next, now_ms); !added) {
      return std::move(added).error();
    }
    auto current_id = store_.db().prepare("UPDATE signal_identity SET signed_pre_key_id = ?1");
    auto prune = store_.db().prepare("DELETE FROM signal_signed_pre_keys WHERE id NOT IN (?1, ?2)");
    if (!current_id || !prune) return core::fail(Errc::storage, "preparing the rotation");
    if (!current_id->bind(1, std::int64_t{next}).run() ||
        !prune->bind(1, std::int64_t{next}).bind(2, std::int64_t{id}).run()) {
      return core::fail(Errc::storage, "recording the rotation");
    }
    return true;
  });
}

Result<std::size_t> Endpoint::unused_pre_keys() {
  auto query = store_.db().prepare("SELECT count(*) FROM signal_pre_keys");
  if (!query) return core::fail(Errc::storage, storage::describe(query.error()));
  auto row = query->step();
  if (!row) return core::fail(Errc::storage, storage::describe(row.error()));
  return static_cast<std::size_t>(query->column_int64(0));
}

Result<void> Endpoint::start_session(const Address& peer, const KeyBundle& bundle) {
  signal_context* context = library_->context;
  auto identity = decode_public(bundle.identity_key, context, "identity key");
  if (!identity) return std::move(identity).error();
  auto signed_key = decode_public(bundle.signed_pre_key.public_key, context, "signed pre-key");
  if (!signed_key) return std::move(signed_key).error();
  Ref<ec_public_key> one_time;
  if (bundle.pre_key) {
    auto decoded = decode_public(bundle.pre_key->public_key, context, "one-time pre-key");
    if (!decoded) return std::move(decoded).error();
    one_time = std::move(decoded).value();
  }
  session_pre_key_bundle* raw_bundle = nullptr;
  if (const int rc = session_pre_key_bundle_create(
          &raw_bundle, bundle.registration_id, bundle.device_id,
          bundle.pre_key ? bundle.pre_key->id : 0, one_time.get(), bundle.signed_pre_key.id,
          signed_key->get(), bundle.signed_pre_key.signature.data(),
          bundle.signed_pre_key.signature.size(), identity->get());
      rc < 0) {
    return from_library(rc, "reading the bundle");
  }
  Ref<session_pre_key_bundle> held(raw_bundle);
  const signal_protocol_address address = address_of(peer);
  return in_unit([&]() -> Result<void> {
    session_builder* raw_builder = nullptr;
    if (const int rc =
            session_builder_create(&raw_builder, library_->store_context, &address, context);
        rc < 0) {
      return from_library(rc, "creating a session builder");
    }
    std::unique_ptr<session_builder, decltype(&session_builder_free)> builder(
        raw_builder, &session_builder_free);
    if (const int rc = session_builder_process_pre_key_bundle(builder.get(), held.get()); rc < 0) {
      return from_library(rc, "building a session from the bundle");
    }
    return {};
  });
}

Result<bool> Endpoint::has_session(const Address& peer) {
  const signal_protocol_address address = address_of(peer);
  const int rc = signal_protocol_session_contains_session(library_->store_context, &address);
  if (rc < 0) return from_library(rc, "looking up a session");
  return rc == 1;
}

Result<Ciphertext> Endpoint::encrypt(const Address& peer, std::string_view plaintext) {
  const signal_protocol_address address = address_of(peer);
  return in_unit([&]() -> Result<Ciphertext> {
    session_cipher* raw_cipher = nullptr;
    if (const int rc = session_cipher_create(&raw_cipher, library_->store_context, &address,
                                             library_->context);
        rc < 0) {
      return from_library(rc, "creating a cipher");
    }
    std::unique_ptr<session_cipher, decltype(&session_cipher_free)> cipher(raw_cipher,
                                                                           &session_cipher_free);
    ciphertext_message* raw_message = nullptr;
    const int rc =
        session_cipher_encrypt(cipher.get(), reinterpret_cast<const uint8_t*>(plaintext.data()),
                               plaintext.size(), &raw_message);
    // Without a session the library says "unknown"; say what it means.
    if (rc == SG_ERR_UNKNOWN || rc == SG_ERR_NO_SESSION) {
      return core::fail(Errc::no_session, "encrypting");
    }
    if (rc < 0) return from_library(rc, "encrypting");
    Ref<ciphertext_message> message(raw_message);
    Ciphertext out;
    out.kind = ciphertext_message_get_type(message.get()) == CIPHERTEXT_PREKEY_TYPE
                   ? MessageKind::prekey
                   : MessageKind::whisper;
    out.bytes = bytes_of(ciphertext_message_get_serialized(message.get()));
    return out;
  });
}

Result<std::string> Endpoint::decrypt(const Address& peer, const Ciphertext& ciphertext) {
  if (ciphertext.bytes.empty()) return core::fail(Errc::invalid_message, "empty ciphertext");
  const signal_protocol_address address = address_of(peer);
  signal_context* context = library_->context;
  return in_unit([&]() -> Result<std::string> {
    session_cipher* raw_cipher = nullptr;
    if (const int rc =
            session_cipher_create(&raw_cipher, library_->store_context, &address, context);
        rc < 0) {
      return from_library(rc, "creating a cipher");
    }
    std::unique_ptr<session_cipher, decltype(&session_cipher_free)> cipher(raw_cipher,
                                                                           &session_cipher_free);
    signal_buffer* raw_plain = nullptr;
    int rc = 0;
    if (ciphertext.kind == MessageKind::prekey) {
      pre_key_signal_message* raw_message = nullptr;
      rc = pre_key_signal_message_deserialize(&raw_message, ciphertext.bytes.data(),
                                              ciphertext.bytes.size(), context);
      if (rc < 0) return from_library(rc, "reading a pre-key message");
      Ref<pre_key_signal_message> message(raw_message);
      rc = session_cipher_decrypt_pre_key_signal_message(cipher.get(), message.get(), nullptr,
                                                         &raw_plain);
    } else {
      signal_message* raw_message = nullptr;
      rc = signal_message_deserialize(&raw_message, ciphertext.bytes.data(),
                                      ciphertext.bytes.size(), context);
      if (rc < 0) return from_library(rc, "reading a message");
      Ref<signal_message> message(raw_message);
      rc = session_cipher_decrypt_signal_message(cipher.get(), message.get(), nullptr, &raw_plain);
    }
    if (rc < 0) return from_library(rc, "decrypting");
    Buffer plain(raw_plain);
    return std::string(reinterpret_cast<const char*>(signal_buffer_const_data(plain.get())),
                       signal_buffer_len(plain.get()));
  });
}

Result<void> Endpoint::forget_identity(const Address& peer) {
  const signal_protocol_address address = address_of(peer);
  return in_unit([&]() -> Result<void> {
    if (const int rc =
            signal_protocol_identity_save_identity(library_->store_context, &address, nullptr);
        rc < 0) {
      return from_library(rc, "forgetting an identity key");
    }
    return {};
  });
}

Result<std::optional<Bytes>> Endpoint::peer_identity_key(const Address& peer) {
  auto query = store_.db().prepare("SELECT identity_key FROM signal_identities WHERE address = ?1");
  if (!query) return core::fail(Errc::storage, storage::describe(query.error()));
  query->bind_blob(1, library_->protocol_store.address_key(peer.name.data(), peer.name.size()));
  auto row = query->step();
  if (!row) return core::fail(Errc::storage, storage::describe(row.error()));
  if (!row.value()) return std::optional<Bytes>();
  return std::optional<Bytes>(query->column_blob(0));
}

std::string fingerprint_of(const Bytes& identity_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(identity_key.data(), identity_key.size(), digest, &length, EVP_sha256(),
                 nullptr) != 1 ||
      length < 30) {
    return {};
  }
  std::string text;
  for (int group = 0; group < 6; ++group) {
    std::uint64_t value = 0;
    for (int i = 0; i < 5; ++i) value = (value << 8) | digest[group * 5 + i];
    char digits[8];
    std::snprintf(digits, sizeof digits, "%05u", static_cast<unsigned>(value % 100000));
    text += (group == 0 ? "" : " ") + std::string(digits);
  }
  return text;
}

Result<void> Endpoint::drop_session(const Address& peer) {
  const signal_protocol_address address = address_of(peer);
  return in_unit([&]() -> Result<void> {
    if (const int rc = signal_protocol_session_delete_session(library_->store_context, &address);
        rc < 0) {
      return from_library(rc, "dropping a session");
    }
    return {};
  });
}

Result<std::uint32_t> Endpoint::remote_registration_id(const Address& peer) {
  const signal_protocol_address address = address_of(peer);
  session_cipher* raw_cipher = nullptr;
  if (const int rc =
          session_cipher_create(&raw_cipher, library_->store_context, &address, library_->context);
      rc < 0) {
    return from_library(rc, "creating a cipher");
  }
  std::unique_ptr<session_cipher, decltype(&session_cipher_free)> cipher(raw_cipher,
                                                                         &session_cipher_free);
  std::uint32_t id = 0;
  if (const int rc = session_cipher_get_remote_registration_id(cipher.get(), &id); rc < 0) {
    return from_library(rc, "reading the peer's registration id");
  }
  return id;
}

}  // namespace gvo::signal
