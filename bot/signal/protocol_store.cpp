#include "bot/signal/protocol_store.hpp"

#include <signal_protocol.h>

#include <functional>
#include <string>

#include "storage/peers.hpp"

namespace gvo::signal {
namespace {

using storage::Bytes;

ProtocolStore& self(void* user_data) { return *static_cast<ProtocolStore*>(user_data); }

std::string hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::uint8_t byte : bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  return text;
}

Bytes address_of(ProtocolStore& store, const signal_protocol_address* address) {
  return store.address_key(address->name, address->name_len);
}

// A sealed record read back as a fresh library buffer (the library frees it).
int load_sealed(ProtocolStore& store, storage::Statement& query, const storage::SealedPlace& place,
                signal_buffer** record) {
  auto opened = store.store().sealer().open(place, query.column_blob(0));
  if (!opened) return SG_ERR_UNKNOWN;
  *record = signal_buffer_create(reinterpret_cast<const uint8_t*>(opened->data()), opened->size());
  return *record != nullptr ? 1 : SG_ERR_NOMEM;
}

int write_sealed(ProtocolStore& store, const char* sql, const storage::SealedPlace& place,
                 const uint8_t* record, std::size_t length,
                 const std::function<void(storage::Statement&)>& bind_keys) {
  auto sealed = store.store().sealer().seal(
      place, std::string_view(reinterpret_cast<const char*>(record), length));
  if (!sealed) return SG_ERR_UNKNOWN;
  auto statement = store.store().db().prepare(sql);
  if (!statement) return SG_ERR_UNKNOWN;
  bind_keys(*statement);
  statement->bind_blob(1, sealed.value());
  return statement->run() ? 0 : SG_ERR_UNKNOWN;
}

// Runs a statement that changes rows; returns how many it changed, or -1.
int change(ProtocolStore& store, const char* sql,
           const std::function<void(storage::Statement&)>& bind) {
  auto statement = store.store().db().prepare(sql);
  if (!statement) return -1;
  bind(*statement);
  if (!statement->run()) return -1;
  return store.store().db().changes();
}

// --- Sessions ------------------------------------------------------------------------------

std::string session_row(const Bytes& address, int32_t device) {
  return hex(address) + "/" + std::to_string(device);
}

int load_session(signal_buffer** record, signal_buffer** /*user_record*/,
                 const signal_protocol_address* address, void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes key = address_of(store, address);
  auto query = store.store().db().prepare(
      "SELECT record FROM signal_sessions WHERE address = ?1 AND device = ?2");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->bind_blob(1, key).bind(2, std::int64_t{address->device_id}).step();
  if (!row) return SG_ERR_UNKNOWN;
  if (!row.value()) return 0;
  const std::string place_row = session_row(key, address->device_id);
  return load_sealed(store, *query, {"signal_sessions", "record", place_row}, record);
}

int sub_device_sessions(signal_int_list** sessions, const char* name, size_t name_len,
                        void* user_data) {
  ProtocolStore& store = self(user_data);
  auto query = store.store().db().prepare(
      "SELECT device FROM signal_sessions WHERE address = ?1 AND device != 1 ORDER BY device");
  if (!query) return SG_ERR_UNKNOWN;
  query->bind_blob(1, store.address_key(name, name_len));
  signal_int_list* list = signal_int_list_alloc();
  if (list == nullptr) return SG_ERR_NOMEM;
  for (;;) {
    auto row = query->step();
    if (!row) {
      signal_int_list_free(list);
      return SG_ERR_UNKNOWN;
    }
    if (!row.value()) break;
    signal_int_list_push_back(list, static_cast<int>(query->column_int64(0)));
  }
  *sessions = list;
  return static_cast<int>(signal_int_list_size(list));
}

int store_session(const signal_protocol_address* address, uint8_t* record, size_t record_len,
                  uint8_t* /*user_record*/, size_t /*user_record_len*/, void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes key = address_of(store, address);
  const std::string place_row = session_row(key, address->device_id);
  return write_sealed(
      store, "INSERT OR REPLACE INTO signal_sessions(record, address, device) VALUES (?1, ?2, ?3)",
      {"signal_sessions", "record", place_row}, record, record_len, [&](storage::Statement& s) {
        s.bind_blob(2, key).bind(3, std::int64_t{address->device_id});
      });
}

int contains_session(const signal_protocol_address* address, void* user_data) {
  ProtocolStore& store = self(user_data);
  auto query = store.store().db().prepare(
      "SELECT 1 FROM signal_sessions WHERE address = ?1 AND device = ?2");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->bind_blob(1, address_of(store, address))
                 .bind(2, std::int64_t{address->device_id})
                 .step();
  if (!row) return SG_ERR_UNKNOWN;
  return row.value() ? 1 : 0;
}

int delete_session(const signal_protocol_address* address, void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes key = address_of(store, address);
  const int changed =
      change(store, "DELETE FROM signal_sessions WHERE address = ?1 AND device = ?2",
             [&](storage::Statement& s) {
               s.bind_blob(1, key).bind(2, std::int64_t{address->device_id});
             });
  return changed < 0 ? SG_ERR_UNKNOWN : (changed > 0 ? 1 : 0);
}

int delete_all_sessions(const char* name, size_t name_len, void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes key = store.address_key(name, name_len);
  const int changed = change(store, "DELETE FROM signal_sessions WHERE address = ?1",
                             [&](storage::Statement& s) { s.bind_blob(1, key); });
  return changed < 0 ? SG_ERR_UNKNOWN : changed;
}

// --- Pre-keys and signed pre-keys ------------------------------------------------------------

template <bool kSigned>
int load_key(signal_buffer** record, uint32_t id, void* user_data) {
  ProtocolStore& store = self(user_data);
  const char* table = kSigned ? "signal_signed_pre_keys" : "signal_pre_keys";
  auto query =
      store.store().db().prepare(std::string("SELECT record FROM ") + table + " WHERE id = ?1");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->bind(1, std::int64_t{id}).step();
  if (!row) return SG_ERR_UNKNOWN;
  if (!row.value()) return SG_ERR_INVALID_KEY_ID;
  const std::string place_row = std::to_string(id);
  const int loaded = load_sealed(store, *query, {table, "record", place_row}, record);
  return loaded == 1 ? SG_SUCCESS : loaded;
}

template <bool kSigned>
int store_key(uint32_t id, uint8_t* record, size_t record_len, void* user_data) {
  ProtocolStore& store = self(user_data);
  const char* table = kSigned ? "signal_signed_pre_keys" : "signal_pre_keys";
  const std::string sql =
      kSigned ? "INSERT OR REPLACE INTO signal_signed_pre_keys(record, id, created_at) "
                "VALUES (?1, ?2, strftime('%s', 'now'))"
              : "INSERT OR REPLACE INTO signal_pre_keys(record, id) VALUES (?1, ?2)";
  const std::string place_row = std::to_string(id);
  return write_sealed(store, sql.c_str(), {table, "record", place_row}, record, record_len,
                      [&](storage::Statement& s) { s.bind(2, std::int64_t{id}); });
}

template <bool kSigned>
int contains_key(uint32_t id, void* user_data) {
  ProtocolStore& store = self(user_data);
  auto query = store.store().db().prepare(std::string("SELECT 1 FROM ") +
                                          (kSigned ? "signal_signed_pre_keys" : "signal_pre_keys") +
                                          " WHERE id = ?1");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->bind(1, std::int64_t{id}).step();
  if (!row) return SG_ERR_UNKNOWN;
  return row.value() ? 1 : 0;
}

template <bool kSigned>
int remove_key(uint32_t id, void* user_data) {
  ProtocolStore& store = self(user_data);
  const int changed = change(store,
                             kSigned ? "DELETE FROM signal_signed_pre_keys WHERE id = ?1"
                                     : "DELETE FROM signal_pre_keys WHERE id = ?1",
                             [&](storage::Statement& s) { s.bind(1, std::int64_t{id}); });
  return changed < 0 ? SG_ERR_UNKNOWN : 0;
}

// --- Identities ---------------------------------------------------------------------------

int identity_key_pair(signal_buffer** public_data, signal_buffer** private_data, void* user_data) {
  ProtocolStore& store = self(user_data);
  auto query = store.store().db().prepare(
      "SELECT public_key, private_key FROM signal_identity WHERE id = 1");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->step();
  if (!row || !row.value()) return SG_ERR_UNKNOWN;  // not provisioned: never hand out nothing
  const Bytes public_key = query->column_blob(0);
  auto private_key =
      store.store().sealer().open({"signal_identity", "private_key", "1"}, query->column_blob(1));
  if (!private_key) return SG_ERR_UNKNOWN;
  *public_data = signal_buffer_create(public_key.data(), public_key.size());
  *private_data = signal_buffer_create(reinterpret_cast<const uint8_t*>(private_key->data()),
                                       private_key->size());
  if (*public_data == nullptr || *private_data == nullptr) {
    signal_buffer_free(*public_data);
    signal_buffer_bzero_free(*private_data);
    return SG_ERR_NOMEM;
  }
  return 0;
}

int local_registration_id(void* user_data, uint32_t* registration_id) {
  ProtocolStore& store = self(user_data);
  auto query =
      store.store().db().prepare("SELECT registration_id FROM signal_identity WHERE id = 1");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->step();
  if (!row || !row.value()) return SG_ERR_UNKNOWN;
  *registration_id = static_cast<uint32_t>(query->column_int64(0));
  return 0;
}

int save_identity(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                  void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes key = address_of(store, address);
  if (key_data == nullptr) {
    return change(store, "DELETE FROM signal_identities WHERE address = ?1",
                  [&](storage::Statement& s) { s.bind_blob(1, key); }) < 0
               ? SG_ERR_UNKNOWN
               : 0;
  }
  const Bytes identity(key_data, key_data + key_len);
  return change(store,
                "INSERT OR REPLACE INTO signal_identities(address, identity_key) VALUES (?1, ?2)",
                [&](storage::Statement& s) { s.bind_blob(1, key).bind_blob(2, identity); }) < 0
             ? SG_ERR_UNKNOWN
             : 0;
}

// Trust on first use: a peer's first identity key is kept; a different one later is refused,
// which surfaces as Errc::untrusted_identity for the bot to decide on.
int is_trusted_identity(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                        void* user_data) {
  ProtocolStore& store = self(user_data);
  auto query =
      store.store().db().prepare("SELECT identity_key FROM signal_identities WHERE address = ?1");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->bind_blob(1, address_of(store, address)).step();
  if (!row) return SG_ERR_UNKNOWN;
  if (!row.value()) return 1;
  return query->column_blob(0) == Bytes(key_data, key_data + key_len) ? 1 : 0;
}

// --- Sender keys (groups) -----------------------------------------------------------------

std::string sender_key_row(const Bytes& group, const Bytes& address, int32_t device) {
  return hex(group) + "/" + hex(address) + "/" + std::to_string(device);
}

int store_sender_key(const signal_protocol_sender_key_name* name, uint8_t* record,
                     size_t record_len, uint8_t* /*user_record*/, size_t /*user_record_len*/,
                     void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes group = store.address_key(name->group_id, name->group_id_len);
  const Bytes address = address_of(store, &name->sender);
  const std::string place_row = sender_key_row(group, address, name->sender.device_id);
  return write_sealed(
      store,
      "INSERT OR REPLACE INTO signal_sender_keys(record, group_id, address, device) "
      "VALUES (?1, ?2, ?3, ?4)",
      {"signal_sender_keys", "record", place_row}, record, record_len, [&](storage::Statement& s) {
        s.bind_blob(2, group).bind_blob(3, address).bind(4, std::int64_t{name->sender.device_id});
      });
}

int load_sender_key(signal_buffer** record, signal_buffer** /*user_record*/,
                    const signal_protocol_sender_key_name* name, void* user_data) {
  ProtocolStore& store = self(user_data);
  const Bytes group = store.address_key(name->group_id, name->group_id_len);
  const Bytes address = address_of(store, &name->sender);
  auto query = store.store().db().prepare(
      "SELECT record FROM signal_sender_keys WHERE group_id = ?1 AND address = ?2 AND device = ?3");
  if (!query) return SG_ERR_UNKNOWN;
  auto row = query->bind_blob(1, group)
                 .bind_blob(2, address)
                 .bind(3, std::int64_t{name->sender.device_id})
                 .step();
  if (!row) return SG_ERR_UNKNOWN;
  if (!row.value()) return 0;
  const std::string place_row = sender_key_row(group, address, name->sender.device_id);
  return load_sealed(store, *query, {"signal_sender_keys", "record", place_row}, record);
}

}  // namespace

storage::Bytes ProtocolStore::address_key(const char* name, std::size_t length) const {
  return store_.sealer().blind_index(storage::kSignalAddressIndex, std::string_view(name, length));
}

void ProtocolStore::attach(signal_protocol_store_context* context) {
  signal_protocol_session_store sessions{};
  sessions.load_session_func = load_session;
  sessions.get_sub_device_sessions_func = sub_device_sessions;
  sessions.store_session_func = store_session;
  sessions.contains_session_func = contains_session;
  sessions.delete_session_func = delete_session;
  sessions.delete_all_sessions_func = delete_all_sessions;
  sessions.user_data = this;
  signal_protocol_store_context_set_session_store(context, &sessions);

  signal_protocol_pre_key_store pre_keys{};
  pre_keys.load_pre_key = load_key<false>;
  pre_keys.store_pre_key = store_key<false>;
  pre_keys.contains_pre_key = contains_key<false>;
  pre_keys.remove_pre_key = remove_key<false>;
  pre_keys.user_data = this;
  signal_protocol_store_context_set_pre_key_store(context, &pre_keys);

  signal_protocol_signed_pre_key_store signed_pre_keys{};
  signed_pre_keys.load_signed_pre_key = load_key<true>;
  signed_pre_keys.store_signed_pre_key = store_key<true>;
  signed_pre_keys.contains_signed_pre_key = contains_key<true>;
  signed_pre_keys.remove_signed_pre_key = remove_key<true>;
  signed_pre_keys.user_data = this;
  signal_protocol_store_context_set_signed_pre_key_store(context, &signed_pre_keys);

  signal_protocol_identity_key_store identities{};
  identities.get_identity_key_pair = identity_key_pair;
  identities.get_local_registration_id = local_registration_id;
  identities.save_identity = save_identity;
  identities.is_trusted_identity = is_trusted_identity;
  identities.user_data = this;
  signal_protocol_store_context_set_identity_key_store(context, &identities);

  signal_protocol_sender_key_store sender_keys{};
  sender_keys.store_sender_key = store_sender_key;
  sender_keys.load_sender_key = load_sender_key;
  sender_keys.user_data = this;
  signal_protocol_store_context_set_sender_key_store(context, &sender_keys);
}

}  // namespace gvo::signal
