#include "bot/signal/crypto_provider.hpp"

#include <signal_protocol.h>

#include <climits>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace gvo::signal {

struct CryptoProvider::Algorithms {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  EVP_CIPHER* aes_cbc[3] = {EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr),
                            EVP_CIPHER_fetch(nullptr, "AES-192-CBC", nullptr),
                            EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr)};
  EVP_CIPHER* aes_ctr[3] = {EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr),
                            EVP_CIPHER_fetch(nullptr, "AES-192-CTR", nullptr),
                            EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr)};

  ~Algorithms() {
    EVP_MAC_free(hmac);
    EVP_MD_free(sha512);
    for (EVP_CIPHER* cipher : aes_cbc) EVP_CIPHER_free(cipher);
    for (EVP_CIPHER* cipher : aes_ctr) EVP_CIPHER_free(cipher);
  }

  bool complete() const {
    if (hmac == nullptr || sha512 == nullptr) return false;
    for (int i = 0; i < 3; ++i) {
      if (aes_cbc[i] == nullptr || aes_ctr[i] == nullptr) return false;
    }
    return true;
  }

  const EVP_CIPHER* cipher(int kind, std::size_t key_len) const {
    const int slot = key_len == 16 ? 0 : key_len == 24 ? 1 : key_len == 32 ? 2 : -1;
    if (slot < 0) return nullptr;
    if (kind == SG_CIPHER_AES_CBC_PKCS5) return aes_cbc[slot];
    if (kind == SG_CIPHER_AES_CTR_NOPADDING) return aes_ctr[slot];
    return nullptr;
  }
};

namespace {

using Algorithms = CryptoProvider::Algorithms;

Algorithms& algorithms(void* user_data) { return *static_cast<Algorithms*>(user_data); }

int random_bytes(uint8_t* data, size_t len, void* /*user_data*/) {
  if (len > INT_MAX) return SG_ERR_INVAL;
  return RAND_bytes(data, static_cast<int>(len)) == 1 ? 0 : SG_ERR_UNKNOWN;
}

int hmac_init(void** context, const uint8_t* key, size_t key_len, void* user_data) {
  // Always set *context: the library calls cleanup on it even when init fails.
  EVP_MAC_CTX* mac = EVP_MAC_CTX_new(algorithms(user_data).hmac);
  *context = mac;
  if (mac == nullptr) return SG_ERR_NOMEM;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  return EVP_MAC_init(mac, key, key_len, params) == 1 ? 0 : SG_ERR_UNKNOWN;
}

int hmac_update(void* context, const uint8_t* data, size_t len, void* /*user_data*/) {
  return EVP_MAC_update(static_cast<EVP_MAC_CTX*>(context), data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

int hmac_final(void* context, signal_buffer** output, void* /*user_data*/) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t written = 0;
  if (EVP_MAC_final(static_cast<EVP_MAC_CTX*>(context), mac, &written, sizeof mac) != 1) {
    return SG_ERR_UNKNOWN;
  }
  *output = signal_buffer_create(mac, written);
  return *output != nullptr ? 0 : SG_ERR_NOMEM;
}

void hmac_cleanup(void* context, void* /*user_data*/) {
  EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(context));
}

int sha512_init(void** context, void* user_data) {
  EVP_MD_CTX* digest = EVP_MD_CTX_new();
  *context = digest;
  if (digest == nullptr) return SG_ERR_NOMEM;
  return EVP_DigestInit_ex(digest, algorithms(user_data).sha512, nullptr) == 1 ? 0 : SG_ERR_UNKNOWN;
}

int sha512_update(void* context, const uint8_t* data, size_t len, void* /*user_data*/) {
  return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context), data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

// Finishes, and makes the context ready for another digest (the library's contract).
int sha512_final(void* context, signal_buffer** output, void* user_data) {
  auto* digest = static_cast<EVP_MD_CTX*>(context);
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int written = 0;
  if (EVP_DigestFinal_ex(digest, hash, &written) != 1 ||
      EVP_DigestInit_ex(digest, algorithms(user_data).sha512, nullptr) != 1) {
    return SG_ERR_UNKNOWN;
  }
  *output = signal_buffer_create(hash, written);
  return *output != nullptr ? 0 : SG_ERR_NOMEM;
}

void sha512_cleanup(void* context, void* /*user_data*/) {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context));
}

int run_cipher(bool encrypting, signal_buffer** output, int kind, const uint8_t* key,
               size_t key_len, const uint8_t* iv, size_t iv_len, const uint8_t* input,
               size_t input_len, void* user_data) {
  const EVP_CIPHER* cipher = algorithms(user_data).cipher(kind, key_len);
  if (cipher == nullptr || iv_len != 16 || input_len > INT_MAX - 32) return SG_ERR_INVAL;
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  if (ctx == nullptr) return SG_ERR_NOMEM;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key, iv, encrypting ? 1 : 0, nullptr) != 1) {
    return SG_ERR_UNKNOWN;
  }
  if (kind == SG_CIPHER_AES_CTR_NOPADDING) EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  std::vector<uint8_t> out(input_len + 32);
  int written = 0;
  int final_written = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &written, input, static_cast<int>(input_len)) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_written) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return SG_ERR_UNKNOWN;
  }
  *output = signal_buffer_create(out.data(), static_cast<size_t>(written + final_written));
  OPENSSL_cleanse(out.data(), out.size());
  return *output != nullptr ? 0 : SG_ERR_NOMEM;
}

int encrypt(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
            const uint8_t* iv, size_t iv_len, const uint8_t* plaintext, size_t plaintext_len,
            void* user_data) {
  return run_cipher(true, output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len,
                    user_data);
}

int decrypt(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
            const uint8_t* iv, size_t iv_len, const uint8_t* ciphertext, size_t ciphertext_len,
            void* user_data) {
  return run_cipher(false, output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len,
                    user_data);
}

}  // namespace

CryptoProvider::CryptoProvider()
    : algorithms_(std::make_unique<Algorithms>()),
      table_(std::make_unique<signal_crypto_provider>()) {
  signal_crypto_provider& t = *table_;
  t.random_func = random_bytes;
  t.hmac_sha256_init_func = hmac_init;
  t.hmac_sha256_update_func = hmac_update;
  t.hmac_sha256_final_func = hmac_final;
  t.hmac_sha256_cleanup_func = hmac_cleanup;
  t.sha512_digest_init_func = sha512_init;
  t.sha512_digest_update_func = sha512_update;
  t.sha512_digest_final_func = sha512_final;
  t.sha512_digest_cleanup_func = sha512_cleanup;
  t.encrypt_func = encrypt;
  t.decrypt_func = decrypt;
  t.user_data = algorithms_.get();
}

CryptoProvider::~CryptoProvider() = default;

const signal_crypto_provider& CryptoProvider::table() const { return *table_; }

bool CryptoProvider::ready() const { return algorithms_->complete(); }

}  // namespace gvo::signal
