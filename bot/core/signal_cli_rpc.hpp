// signal-cli's JSON-RPC 2.0 wire format, as gvo-bot speaks it (../shared/reference/
// signal-cli-jsonrpc.md): one JSON value per line; responses matched by id, in any order, between
// `receive` notifications of two shapes (automatic: params is the payload; subscription: params is
// {"subscription":N,"result":payload}). Pure: text in, plain structs out, and requests as text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bot/core/message_kind.hpp"
#include "bot/core/result.hpp"

namespace gvo::core::signal_cli {

// error.code values signal-cli uses besides JSON-RPC's own (-32700 ... -32603).
enum class ErrorCode : int {
  user = -1,           // "Failed to send message", "not registered", empty message...
  io = -3,             // the network or the Signal server
  untrusted_key = -4,  // every recipient failed with an untrusted identity
  rate_limit = -5,     // every recipient was rate limited
  captcha_rejected = -6,
  parse = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal = -32603,
};

struct RpcError {
  int code = 0;
  std::string message;
  std::string response;  // error.data.response as JSON text ("" when absent)
};

struct Response {
  std::string id;      // as sent, re-serialised: 7 or "7"
  std::string result;  // JSON text; "" on error
  std::optional<RpcError> error;
};

// One `receive` notification's envelope, reduced to what the bot needs.
struct Envelope {
  enum class Kind { data, sync, typing, receipt, edit, call, other };
  std::string account;  // the bot's own account ("" when signal-cli leaves it out)
  std::string source_uuid;
  std::optional<std::string> source_number;  // null for new contacts
  std::int64_t timestamp = 0;
  Kind kind = Kind::other;
  // dataMessage.message (an edit: the new version's); absent for reactions, attachments only...
  std::optional<std::string> text;
  // What the message is besides its words: a data message's attachments, sticker, reaction,
  // deletion...; an edit; a call offered. text for a data message with nothing the bot answers
  // (a disappearing-messages timer, a profile key).
  MessageKind content = MessageKind::text;
  bool untrusted_identity = false;  // an "exception" of type UntrustedIdentityException
  // The type of the "exception" signal-cli reports when it could not read a message
  // ("ProtocolInvalidMessageException"...; "" when there is none). A name, never content.
  std::string exception;
  std::optional<std::int64_t> subscription;  // the wrapped shape names its subscription
};

// Anything else a line may be: a notification of another method, a request.
struct Other {
  std::string what;  // for a debug log: "notification receiveCall", "request send"...
};

using Frame = std::variant<Response, Envelope, Other>;

enum class WireErrc { not_json, not_rpc };

// A line of signal-cli's output (without its end of line).
Result<Frame, WireErrc> read_line(std::string_view line);

// The per-recipient outcome of send, sendTyping...: in `result`, or under error.data.response.
struct RecipientResult {
  enum class Type {
    success,
    network,
    unregistered,
    identity,
    rate_limit,
    invalid_pre_key,
    unknown
  };
  Type type = Type::unknown;
  std::string uuid;
  std::string number;
  std::string token;  // a proof-required (captcha) challenge
  // How long Signal asks to wait, when it said so. signal-cli 0.13 answers a captcha challenge
  // with -1 and a plain 429 without the field: a value that is not positive is no hint, and
  // nothing here.
  std::optional<std::int64_t> retry_after_seconds;
};

struct SendResult {
  std::int64_t timestamp = 0;
  std::vector<RecipientResult> results;  // empty in old signal-cli versions
};

Result<SendResult, WireErrc> read_send_result(std::string_view json_text);

// The subscription number subscribeReceive answers with; nothing when the answer is not one.
std::optional<std::int64_t> read_subscription(std::string_view json_text);

// One entry of listIdentities: a contact's identity key as signal-cli holds it.
struct KnownIdentity {
  std::string uuid;
  std::string number;
  std::string fingerprint;    // hex of the key
  std::string safety_number;  // what people compare in the Signal app (12 groups of 5 digits)
  std::string trust_level;    // UNTRUSTED, TRUSTED_UNVERIFIED, TRUSTED_VERIFIED
};

Result<std::vector<KnownIdentity>, WireErrc> read_identities(std::string_view json_text);

// The accounts a daemon without -a holds (listAccounts: [{"number":"+32..."}, ...]). A daemon
// started with -a does not know the method (-32601).
Result<std::vector<std::string>, WireErrc> read_accounts(std::string_view json_text);

// What became of a solved captcha handed to signal-cli (submitRateLimitChallenge).
enum class ChallengeReply {
  accepted,  // Signal lets the account send again
  rejected,  // Signal did not take it: -6 from 0.14.3; before, -3 "Submit challenge error: [428]"
  failed,    // it did not reach Signal, or another error (the message says which)
};
ChallengeReply read_challenge_reply(const Response& response);

// signal-cli refused a request that only a primary device may make ("This command doesn't work
// on linked devices.", -1): updateContact's disappearing-message timer, among others.
bool refused_on_linked_device(const RpcError& error);

// Requests, one line each (without the end of line). account is for multi-account daemons ("": a
// single-account daemon).
std::string send_request(std::int64_t id, const std::string& account, const std::string& recipient,
                         const std::string& message);
std::string typing_request(std::int64_t id, const std::string& account,
                           const std::string& recipient, bool stop);
std::string update_profile_request(std::int64_t id, const std::string& account,
                                   const std::string& name);
std::string update_contact_request(std::int64_t id, const std::string& account,
                                   const std::string& recipient, int expiration_seconds);
// Trusts every known key of recipient (after the bot decided to accept a changed one).
// Deletes everything signal-cli holds of a contact, its sessions and identity keys included
// (removeContact --forget).
std::string forget_contact_request(std::int64_t id, const std::string& account,
                                   const std::string& recipient);
std::string trust_request(std::int64_t id, const std::string& account,
                          const std::string& recipient);
std::string version_request(std::int64_t id);
// The accounts of a multi-account daemon (never names an account).
std::string list_accounts_request(std::int64_t id);
// Every identity signal-cli holds, or those of one recipient (a number or an ACI).
std::string list_identities_request(std::int64_t id, const std::string& account,
                                    const std::string& recipient = "");
std::string subscribe_request(std::int64_t id, const std::string& account);
std::string unsubscribe_request(std::int64_t id, const std::string& account,
                                std::int64_t subscription);
// A solved captcha for a proof-required rate limit: challenge is the token of the failed send,
// captcha the signalcaptcha://... text from https://signalcaptchas.org/challenge/generate.html.
std::string submit_challenge_request(std::int64_t id, const std::string& account,
                                     const std::string& challenge, const std::string& captcha);

}  // namespace gvo::core::signal_cli
