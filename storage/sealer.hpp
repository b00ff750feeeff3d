// Sealing of personal data at rest: AES-256-GCM (OpenSSL EVP) with a fresh nonce per value, bound
// to the table, column and row it is stored in, and tagged with the id of the key that sealed it.
// Immutable after construction; safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.hpp"
#include "storage/errors.hpp"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX, kept out of this header

namespace gvo::storage {

// A 256-bit key. Its id (derived from the key, not secret) is stored with every value it seals, so
// that keys can be rotated: values name the key that opens them. Wiped from memory when destroyed.
class SealingKey {
 public:
  static constexpr std::size_t kSize = 32;

  static Result<SealingKey> from_hex(std::string_view hex);
  static Result<SealingKey> generate();

  SealingKey(const SealingKey& other) = default;
  SealingKey& operator=(const SealingKey& other) = default;
  ~SealingKey();

  std::uint32_t id() const { return id_; }
  std::string id_hex() const;
  std::string to_hex() const;
  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }

 private:
  explicit SealingKey(const std::array<std::uint8_t, kSize>& bytes);
  std::array<std::uint8_t, kSize> bytes_{};
  std::uint32_t id_ = 0;
};

// Where a sealed value lives. The row is the row's stable key (its id, as text).
struct SealedPlace {
  std::string_view table;
  std::string_view column;
  std::string_view row;
};

class Sealer {
 public:
  // The first key seals; every key opens what it sealed. keys must not be empty.
  explicit Sealer(std::vector<SealingKey> keys);

  // Layout of a sealed value, version 1:
  //   1 byte version | 4 bytes key id | 8 bytes place tag | 12 bytes nonce | ciphertext | 16 bytes
  //   tag
  // The place tag is a keyed hash of (table, column, row): a value copied elsewhere is refused as
  // misplaced before decryption. The whole header and the place are the AEAD's associated data.
  Result<Bytes> seal(const SealedPlace& place, std::string_view plaintext) const;
  Result<std::string> open(const SealedPlace& place, const Bytes& sealed) const;

  // A keyed hash of a value, for finding a row by what it holds without storing it in clear (an
  // address, say), or for naming a peer in logs. purpose separates uses. Under the current key:
  // rotating the key means recomputing these.
  Bytes blind_index(std::string_view purpose, std::string_view value) const;
  // The same hash under every loaded key, the current one first: what a row written before a
  // rotation may hold (storage/key_rotation.cpp maps them to the current one).
  std::vector<Bytes> blind_indexes_under_every_key(std::string_view purpose,
                                                   std::string_view value) const;

  const SealingKey& current_key() const { return keys_.front().key; }
  std::vector<std::string> key_ids() const;
  bool has_key(std::uint32_t id) const { return find_key(id) != nullptr; }

  // The id of the key that sealed a value (read from its header, nothing is opened), or nothing
  // when sealed is not a sealed value of a known format.
  static std::optional<std::uint32_t> key_id_of(const Bytes& sealed);

 private:
  struct DerivedKeys {
    SealingKey key;
    std::array<std::uint8_t, 32> encryption{};
    std::array<std::uint8_t, 32> placement{};
    std::array<std::uint8_t, 32> indexing{};
    // HMAC states already keyed with placement and indexing, copied for each use: keying and
    // looking the algorithm up again for every value was most of a seal's cost.
    std::shared_ptr<evp_mac_ctx_st> placement_mac;
    std::shared_ptr<evp_mac_ctx_st> indexing_mac;
    ~DerivedKeys();
  };
  const DerivedKeys* find_key(std::uint32_t id) const;
  static Bytes index_with(const DerivedKeys& keys, std::string_view purpose,
                          std::string_view value);

  std::vector<DerivedKeys> keys_;
};

}  // namespace gvo::storage
