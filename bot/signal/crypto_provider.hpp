// libsignal-protocol-c's crypto callbacks on OpenSSL 3's EVP interfaces (no deprecated HMAC_*).
// The algorithms are fetched once; each call uses contexts of its own, so the provider is safe
// from any thread.
#pragma once

#include <memory>

struct signal_crypto_provider;

namespace gvo::signal {

class CryptoProvider {
 public:
  CryptoProvider();
  CryptoProvider(const CryptoProvider&) = delete;
  CryptoProvider& operator=(const CryptoProvider&) = delete;
  ~CryptoProvider();

  // The callback table, with this object as user_data; valid while this object lives.
  const signal_crypto_provider& table() const;
  bool ready() const;  // false when OpenSSL lacked an algorithm (a broken installation)

  struct Algorithms;

 private:
  std::unique_ptr<Algorithms> algorithms_;
  std::unique_ptr<signal_crypto_provider> table_;
};

}  // namespace gvo::signal
