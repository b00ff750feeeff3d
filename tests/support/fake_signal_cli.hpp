// A fake of `signal-cli daemon --socket` for fast tests, shaped after what the real signal-cli
// 0.13.19 answered on a local Signal network (../shared/reference/signal-cli-local-network.md;
// tests/signal_cli_real/ runs the real one when Java >= 21 is there, and its contract test
// compares the two): newline-delimited JSON-RPC 2.0 on a UNIX socket; requests answered
// concurrently and out of order, "id": null answered, batches answered as one array; `receive`
// notifications in both shapes; -32700/-32600/-32601 for bad input; a multi-account daemon as
// signal-cli runs one (listAccounts; subscribeReceive granted without an account; a request
// without one served only while it holds exactly one account); a linked device's refusals;
// scripted answers and faults (restart, half-open, slow answers, a line cut in the middle). Runs
// its own thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gvo::test {

class FakeSignalCli {
 public:
  // Answers a request (method, params, id already checked) with a whole response line, or "" to
  // use the default answer.
  using Answer = std::function<std::string(const nlohmann::json& request)>;

  explicit FakeSignalCli(std::string socket_path);
  FakeSignalCli(const FakeSignalCli&) = delete;
  FakeSignalCli& operator=(const FakeSignalCli&) = delete;
  ~FakeSignalCli();

  void start();  // listens (again, after stop: a daemon restart)
  void stop();   // closes every connection and the socket

  // signal-cli's --receive-mode: on-connection (each connection receives at once; the default
  // here) or manual (only connections that called subscribeReceive receive).
  enum class ReceiveMode { on_connection, manual };
  void set_receive_mode(ReceiveMode mode);

  void set_answer(Answer answer);
  // Each answer waits a random time up to this (answers then overtake each other).
  void set_max_delay(std::chrono::milliseconds delay);
  // Accept connections and read requests, but never answer (a stuck daemon).
  void set_silent(bool silent);
  // The identities listIdentities answers with (signal-cli's shape: number, uuid, fingerprint,
  // safetyNumber, trustLevel), all of them or those of params.number.
  void set_identities(const nlohmann::json& identities);
  // A multi-account daemon (`signal-cli daemon` without -a) holding these accounts: listAccounts
  // lists them; subscribeReceive and unsubscribeReceive need no account; any other request that
  // names none is served only while exactly one is held, else -32602 "Method requires valid
  // account parameter"; one that names an account not held, -32602 "Specified account does not
  // exist". (Default: a daemon started with -a, which ignores params.account and does not know
  // listAccounts, -32601.)
  void multi_account(const std::vector<std::string>& accounts);
  // The account is a linked device: updateContact is refused (-1 "This command doesn't work on
  // linked devices.").
  void set_linked_device(bool linked);
  // A receive notification to every receiving connection (to the next one when none is, as the
  // Signal server keeps them): params is the payload {"envelope":...,"account":...}, or
  // {"subscription":N,"result":payload} for a subscribed connection or when wrapped.
  void notify(const nlohmann::json& payload, bool wrapped = false);
  // Many notifications written back to back (for benchmarks).
  void notify_many(const std::vector<nlohmann::json>& payloads);
  // Writes the first half of a line, then closes every connection.
  void cut_mid_line();

  std::vector<nlohmann::json> requests() const;  // every request taken, in order
  // When each request was taken (steady clock), in the same order.
  std::vector<std::chrono::steady_clock::time_point> request_times() const;
  int connections_accepted() const;
  int connections_open() const;

  // A dataMessage payload as signal-cli 0.13.19 sends it (sourceName "", no
  // isExpirationUpdate, serverDeliveredTimestamp 0).
  static nlohmann::json text_message(const std::string& source_uuid, std::int64_t timestamp,
                                     const std::string& text, const std::string& account);
  // What a Signal app sends besides words, as signal-cli writes it (JsonDataMessage's members,
  // "message": null when there are no words): a voice note (an audio/aac attachment), a photo,
  // a file, view-once media, a sticker, a reaction to the bot's message, a deletion; an edit
  // (editMessage) with its new words; a call offered (callMessage.offerMessage).
  enum class Other {
    voice_note,
    picture,
    file,
    view_once,
    sticker,
    reaction,
    deletion,
    edit,
    call
  };
  static nlohmann::json other_message(const std::string& source_uuid, std::int64_t timestamp,
                                      Other what, const std::string& account,
                                      const std::string& text = "");
  // A message signal-cli could not read: an "exception" (ProtocolInvalidMessageException,
  // NullPointerException...) and an envelope without dataMessage.
  static nlohmann::json unreadable_message(const std::string& source_uuid, std::int64_t timestamp,
                                           const std::string& exception_type,
                                           const std::string& account);
  // An entry of listIdentities as signal-cli writes it: the fingerprint in spaced hex of 33 bytes
  // ("05 5f f3 ..."), the safety number in 12 groups of 5 digits, "number": null for someone
  // known by ACI only. seed makes the key (another seed: another key).
  static nlohmann::json identity(const std::string& uuid, int seed, const std::string& number = "");
  // signal-cli 0.13.19's answer to a send refused by a rate limit (error -5, the per-recipient
  // result under data.response): with a captcha challenge token and "retryAfterSeconds": -1, or
  // a plain 429 without either. (0.14.3 and later give the delay: retry_after_seconds > 0 adds
  // it.)
  static std::string rate_limited(const nlohmann::json& request, const std::string& token,
                                  int retry_after_seconds = 0);
  // A send to someone not on Signal (-1, UNREGISTERED_FAILURE under data.response).
  static std::string unregistered(const nlohmann::json& request);
  // A rejected captcha as 0.13.19 reports it (-3 "Submit challenge error: [428] ").
  static std::string captcha_rejected(const nlohmann::json& request);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gvo::test
