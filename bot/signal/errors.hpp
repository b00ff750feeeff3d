// The signal module's errors. libsignal-protocol-c's SG_ERR_* codes are mapped here, and only
// here (errors.cpp).
#pragma once

#include <string>
#include <string_view>

#include "bot/core/result.hpp"

namespace gvo::signal {

enum class Errc {
  no_session,          // nothing to encrypt with yet: a bundle must be processed first
  untrusted_identity,  // the peer's identity key changed
  duplicate_message,   // this ciphertext was already decrypted
  invalid_message,     // damaged, forged, or from a broken session
  invalid_key,         // a bundle with a bad signature or key
  invalid_key_id,      // a one-time pre-key already used or unknown
  not_provisioned,     // this endpoint has no identity yet
  storage,             // the database refused
  crypto,              // the crypto provider failed
  internal,            // anything else the library reports
};

[[nodiscard]] std::string_view to_string(Errc code);

template <typename T>
using Result = core::Result<T, Errc>;
using Error = core::Error<Errc>;

// One SG_ERR_* code (negative int) as ours, with what was being done.
[[nodiscard]] Error from_library(int code, std::string_view doing);
[[nodiscard]] std::string describe(const Error& error);

}  // namespace gvo::signal
