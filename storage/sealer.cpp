#include "storage/sealer.hpp"

#include <cassert>
#include <limits>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace gvo::storage {
namespace {

constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kKeyIdSize = 4;
constexpr std::size_t kPlaceTagSize = 8;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kHeaderSize = 1 + kKeyIdSize + kPlaceTagSize;
constexpr std::size_t kOverhead = kHeaderSize + kNonceSize + kTagSize;
// One sealed value is a field or a message, never a file: anything larger is a caller's mistake.
constexpr std::size_t kMaxPlaintext = 16U * 1024U * 1024U;

using Digest = std::array<std::uint8_t, 32>;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// HMAC-SHA256. With a 32-byte key and short inputs, OpenSSL cannot fail here short of running out
// of memory, which the caller treats as fatal through the assertion below.
Digest hmac_sha256(const std::uint8_t* key, std::size_t key_size, const void* data,
                   std::size_t size) {
  Digest out{};
  std::size_t written = 0;
  const auto* done =
      EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key, key_size,
                static_cast<const unsigned char*>(data), size, out.data(), out.size(), &written);
  assert(done != nullptr && written == out.size() && "HMAC-SHA256 failed");
  (void)done;
  return out;
}

// An HMAC-SHA256 state keyed with key, to copy for each use; null if OpenSSL cannot make one
// (hmac_with then keys from scratch).
std::shared_ptr<EVP_MAC_CTX> keyed_hmac(const std::array<std::uint8_t, 32>& key) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context holds its own reference
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  if (ctx == nullptr || EVP_MAC_init(ctx, key.data(), key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return std::shared_ptr<EVP_MAC_CTX>(ctx, EVP_MAC_CTX_free);
}

Digest hmac_with(const std::shared_ptr<EVP_MAC_CTX>& keyed, const std::array<std::uint8_t, 32>& key,
                 const void* data, std::size_t size) {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      keyed != nullptr ? EVP_MAC_CTX_dup(keyed.get()) : nullptr, EVP_MAC_CTX_free);
  if (ctx == nullptr) return hmac_sha256(key.data(), key.size(), data, size);
  Digest out{};
  std::size_t written = 0;
  const bool done = EVP_MAC_update(ctx.get(), static_cast<const unsigned char*>(data), size) == 1 &&
                    EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) == 1;
  assert(done && written == out.size() && "HMAC-SHA256 failed");
  (void)done;
  return out;
}

Digest derive(const std::array<std::uint8_t, SealingKey::kSize>& key, std::string_view label) {
  return hmac_sha256(key.data(), key.size(), label.data(), label.size());
}

void append_u32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

std::uint32_t read_u32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

// Length-prefixed, so that ("ab", "c") and ("a", "bc") never encode alike.
Bytes encode_place(const SealedPlace& place) {
  Bytes out;
  for (std::string_view part : {place.table, place.column, place.row}) {
    append_u32(out, static_cast<std::uint32_t>(part.size()));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::string hex_of(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex += kDigits[data[i] >> 4];
    hex += kDigits[data[i] & 0x0f];
  }
  return hex;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// SealingKey

SealingKey::SealingKey(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {
  const Digest digest = derive(bytes_, "gvo-bot sealing key id v1");
  id_ = read_u32(digest.data());
}

SealingKey::~SealingKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Result<SealingKey> SealingKey::from_hex(std::string_view hex) {
  while (!hex.empty() && is_space(hex.front())) hex.remove_prefix(1);
  while (!hex.empty() && is_space(hex.back())) hex.remove_suffix(1);
  if (hex.size() != kSize * 2) {
    return fail(Errc::key_malformed, "expected 64 hexadecimal digits, found " +
                                         std::to_string(hex.size()) + " characters");
  }
  std::array<std::uint8_t, kSize> bytes{};
  for (std::size_t i = 0; i < kSize; ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return fail(Errc::key_malformed, "expected only hexadecimal digits");
    }
    bytes[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  SealingKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

Result<SealingKey> SealingKey::generate() {
  std::array<std::uint8_t, kSize> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return fail(Errc::crypto_failed, "no randomness for a new key");
  }
  SealingKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

std::string SealingKey::id_hex() const {
  const std::uint8_t id[4] = {static_cast<std::uint8_t>(id_ >> 24),
                              static_cast<std::uint8_t>(id_ >> 16),
                              static_cast<std::uint8_t>(id_ >> 8), static_cast<std::uint8_t>(id_)};
  return hex_of(id, sizeof id);
}

std::string SealingKey::to_hex() const { return hex_of(bytes_.data(), bytes_.size()); }

// ---------------------------------------------------------------------------------------------
// Sealer

Sealer::DerivedKeys::~DerivedKeys() {
  OPENSSL_cleanse(encryption.data(), encryption.size());
  OPENSSL_cleanse(placement.data(), placement.size());
  OPENSSL_cleanse(indexing.data(), indexing.size());
}

Sealer::Sealer(std::vector<SealingKey> keys) {
  assert(!keys.empty() && "a Sealer needs at least one key");
  keys_.reserve(keys.size());
  for (const SealingKey& key : keys) {
    if (find_key(key.id()) != nullptr) continue;  // the same key given twice
    DerivedKeys derived{key, {}, {}, {}, nullptr, nullptr};
    derived.encryption = derive(key.bytes(), "gvo-bot seal v1 encryption");
    derived.placement = derive(key.bytes(), "gvo-bot seal v1 placement");
    derived.indexing = derive(key.bytes(), "gvo-bot blind index v1");
    derived.placement_mac = keyed_hmac(derived.placement);
    derived.indexing_mac = keyed_hmac(derived.indexing);
    keys_.push_back(derived);
  }
}

const Sealer::DerivedKeys* Sealer::find_key(std::uint32_t id) const {
  for (const auto& keys : keys_) {
    if (keys.key.id() == id) return &keys;
  }
  return nullptr;
}

std::vector<std::string> Sealer::key_ids() const {
  std::vector<std::string> ids;
  for (const auto& keys : keys_) ids.push_back(keys.key.id_hex());
  return ids;
}

Result<Bytes> Sealer::seal(const SealedPlace& place, std::string_view plaintext) const {
  if (plaintext.size() > kMaxPlaintext) {
    return fail(Errc::crypto_failed, "value of " + std::to_string(plaintext.size()) +
                                         " bytes is larger than a sealed value may be");
  }
  const DerivedKeys& keys = keys_.front();
  const Bytes context = encode_place(place);
  const Digest place_tag =
      hmac_with(keys.placement_mac, keys.placement, context.data(), context.size());

  Bytes sealed;
  sealed.reserve(kOverhead + plaintext.size());
  sealed.push_back(kFormatVersion);
  append_u32(sealed, keys.key.id());
  sealed.insert(sealed.end(), place_tag.begin(), place_tag.begin() + kPlaceTagSize);
  sealed.resize(kHeaderSize + kNonceSize);
  std::uint8_t* nonce = sealed.data() + kHeaderSize;
  if (RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1) {
    return fail(Errc::crypto_failed, "no randomness for a nonce");
  }
  Bytes associated(sealed.begin(), sealed.begin() + kHeaderSize);
  associated.insert(associated.end(), context.begin(), context.end());

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  sealed.resize(kHeaderSize + kNonceSize + plaintext.size() + kTagSize);
  std::uint8_t* out = sealed.data() + kHeaderSize + kNonceSize;
  nonce = sealed.data() + kHeaderSize;  // resize may have moved the buffer
  const bool done = ctx != nullptr &&
                    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                       keys.encryption.data(), nonce) == 1 &&
                    EVP_EncryptUpdate(ctx.get(), nullptr, &length, associated.data(),
                                      static_cast<int>(associated.size())) == 1 &&
                    EVP_EncryptUpdate(ctx.get(), out, &length,
                                      reinterpret_cast<const unsigned char*>(plaintext.data()),
                                      static_cast<int>(plaintext.size())) == 1 &&
                    EVP_EncryptFinal_ex(ctx.get(), out + length, &length) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                                        out + plaintext.size()) == 1;
  if (!done) return fail(Errc::crypto_failed, "AES-256-GCM encryption");
  return sealed;
}

Result<std::string> Sealer::open(const SealedPlace& place, const Bytes& sealed) const {
  if (sealed.size() < kOverhead || sealed.size() - kOverhead > kMaxPlaintext) {
    return fail(Errc::sealed_malformed, std::to_string(sealed.size()) + " bytes");
  }
  if (sealed[0] != kFormatVersion) {
    return fail(Errc::sealed_malformed, "format version " + std::to_string(sealed[0]));
  }
  const std::uint32_t key_id = read_u32(sealed.data() + 1);
  const DerivedKeys* keys = find_key(key_id);
  if (keys == nullptr) {
    return fail(Errc::sealed_unknown_key, "key id " + hex_of(sealed.data() + 1, kKeyIdSize));
  }
  const Bytes context = encode_place(place);
  const Digest place_tag =
      hmac_with(keys->placement_mac, keys->placement, context.data(), context.size());
  if (CRYPTO_memcmp(place_tag.data(), sealed.data() + 1 + kKeyIdSize, kPlaceTagSize) != 0) {
    return fail(Errc::sealed_wrong_place,
                std::string(place.table) + "." + std::string(place.column));
  }
  Bytes associated(sealed.begin(), sealed.begin() + kHeaderSize);
  associated.insert(associated.end(), context.begin(), context.end());

  const std::size_t text_size = sealed.size() - kOverhead;
  const std::uint8_t* nonce = sealed.data() + kHeaderSize;
  const std::uint8_t* in = nonce + kNonceSize;
  Bytes tag(in + text_size, in + text_size + kTagSize);
  std::string plaintext(text_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool ready =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys->encryption.data(), nonce) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, associated.data(),
                        static_cast<int>(associated.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &length, in, static_cast<int>(text_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          tag.data()) == 1;
  if (!ready) return fail(Errc::crypto_failed, "AES-256-GCM decryption");
  if (EVP_DecryptFinal_ex(ctx.get(), out + length, &length) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return fail(Errc::sealed_tampered, std::string(place.table) + "." + std::string(place.column));
  }
  return plaintext;
}

Bytes Sealer::index_with(const DerivedKeys& keys, std::string_view purpose,
                         std::string_view value) {
  Bytes input;
  append_u32(input, static_cast<std::uint32_t>(purpose.size()));
  input.insert(input.end(), purpose.begin(), purpose.end());
  input.insert(input.end(), value.begin(), value.end());
  const Digest digest = hmac_with(keys.indexing_mac, keys.indexing, input.data(), input.size());
  return Bytes(digest.begin(), digest.end());
}

Bytes Sealer::blind_index(std::string_view purpose, std::string_view value) const {
  return index_with(keys_.front(), purpose, value);
}

std::vector<Bytes> Sealer::blind_indexes_under_every_key(std::string_view purpose,
                                                         std::string_view value) const {
  std::vector<Bytes> indexes;
  indexes.reserve(keys_.size());
  for (const auto& keys : keys_) indexes.push_back(index_with(keys, purpose, value));
  return indexes;
}

std::optional<std::uint32_t> Sealer::key_id_of(const Bytes& sealed) {
  if (sealed.size() < kOverhead || sealed[0] != kFormatVersion) return std::nullopt;
  return read_u32(sealed.data() + 1);
}

}  // namespace gvo::storage
