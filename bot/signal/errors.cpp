#include "bot/signal/errors.hpp"

#include <signal_protocol.h>

namespace gvo::signal {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::no_session:
      return "no session with this peer";
    case Errc::untrusted_identity:
      return "the peer's identity key changed";
    case Errc::duplicate_message:
      return "message already received";
    case Errc::invalid_message:
      return "invalid message";
    case Errc::invalid_key:
      return "invalid key";
    case Errc::invalid_key_id:
      return "unknown or used pre-key";
    case Errc::not_provisioned:
      return "no identity key yet";
    case Errc::storage:
      return "key store failed";
    case Errc::crypto:
      return "cryptographic operation failed";
    case Errc::internal:
      return "signal protocol error";
  }
  return "signal protocol error";
}

Error from_library(int code, std::string_view doing) {
  Errc ours = Errc::internal;
  switch (code) {
    case SG_ERR_NO_SESSION:
      ours = Errc::no_session;
      break;
    case SG_ERR_UNTRUSTED_IDENTITY:
      ours = Errc::untrusted_identity;
      break;
    case SG_ERR_DUPLICATE_MESSAGE:
      ours = Errc::duplicate_message;
      break;
    case SG_ERR_INVALID_MESSAGE:
    case SG_ERR_INVALID_MAC:
    case SG_ERR_INVALID_VERSION:
    case SG_ERR_LEGACY_MESSAGE:
    case SG_ERR_INVALID_PROTO_BUF:
    case SG_ERR_STALE_KEY_EXCHANGE:
    case SG_ERR_VRF_SIG_VERIF_FAILED:
      ours = Errc::invalid_message;
      break;
    case SG_ERR_INVALID_KEY:
      ours = Errc::invalid_key;
      break;
    case SG_ERR_INVALID_KEY_ID:
      ours = Errc::invalid_key_id;
      break;
    default:
      ours = Errc::internal;
      break;
  }
  return core::fail(ours, std::string(doing) + " (code " + std::to_string(code) + ")");
}

std::string describe(const Error& error) {
  std::string text(to_string(error.code));
  if (!error.detail.empty()) text += ": " + error.detail;
  return text;
}

}  // namespace gvo::signal
