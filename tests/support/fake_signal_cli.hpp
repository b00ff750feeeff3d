// A faithful fake of `signal-cli daemon --socket` for tests (the real one cannot run here: it needs
// a JRE 25, a registered number and the Internet). Built from signal-cli's documented wire format
// (../shared/reference/signal-cli-jsonrpc.md): newline-delimited JSON-RPC 2.0 on a UNIX socket;
// requests answered concurrently and out of order; `receive` notifications in both shapes pushed
// to every connection; -32700/-32600/-32601 for bad input; scripted answers and faults (restart,
// half-open, slow answers, a line cut in the middle). Runs its own thread.
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
  // A multi-account daemon (`signal-cli daemon` without -a): every request must name this
  // account in params.account, else -32602 as signal-cli answers.
  void require_account(const std::string& account);
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

  // A dataMessage payload as signal-cli sends it.
  static nlohmann::json text_message(const std::string& source_uuid, std::int64_t timestamp,
                                     const std::string& text, const std::string& account);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gvo::test
