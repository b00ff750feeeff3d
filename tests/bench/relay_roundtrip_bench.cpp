// Measures, in one run on this machine:
//  1. alternating encrypt/decrypt pairs per second between two libsignal-protocol-c endpoints
//     in one process (every message turns the DH ratchet), with their stores in memory-backed
//     SQLite transactions and no fsync: the cost of the protocol itself;
//  2. full round trips per second through the real processes: gvo-chat -> gvo-relay -> gvo-bot
//     (echo) -> gvo-relay -> gvo-chat, every step durable (synchronous=FULL), one message at a
//     time;
// and the ratio of 2 to 1. Not a test: run it by hand (README, "Benchmarks").
//   gvo-relay-bench [PAIRS] [ROUND_TRIPS]   (defaults 2000 and 300)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bot/signal/endpoint.hpp"
#include "storage/store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "gvo-relay-bench: %s\n", why.c_str());
  std::exit(1);
}

storage::Store open_store(const std::string& path) {
  auto key = storage::SealingKey::generate();
  auto store = storage::Store::open(path, storage::Sealer({std::move(key).value()}),
                                    storage::OpenMode::create_if_missing);
  if (!store) die(storage::describe(store.error()));
  return std::move(store).value();
}

double library_pairs_per_second(const test::TempDir& dir, int pairs) {
  storage::Store alice_store = open_store(dir.file("alice.db"));
  storage::Store bob_store = open_store(dir.file("bob.db"));
  auto alice = signal::Endpoint::open(alice_store, 0);
  auto bob = signal::Endpoint::open(bob_store, 0);
  if (!alice || !bob) die("endpoints");
  auto upload = bob.value()->new_keys_for_upload(1);
  signal::KeyBundle bundle{upload->registration_id, 1, upload->identity_key, upload->signed_pre_key,
                           upload->pre_keys.front()};
  if (!alice.value()->start_session({"bob"}, bundle)) die("session");
  // One open transaction each: the stores work in SQLite's page cache, nothing reaches the disk.
  auto alice_group = alice_store.db().begin_group();
  auto bob_group = bob_store.db().begin_group();
  const std::string text(200, 'x');
  const auto started = Clock::now();
  for (int i = 0; i < pairs; ++i) {
    const bool from_alice = i % 2 == 0;  // alternating: a DH ratchet step every message
    auto& sender = from_alice ? *alice.value() : *bob.value();
    auto& receiver = from_alice ? *bob.value() : *alice.value();
    auto ciphertext = sender.encrypt({from_alice ? "bob" : "alice"}, text);
    if (!ciphertext) die("encrypt");
    auto plain = receiver.decrypt({from_alice ? "alice" : "bob"}, ciphertext.value());
    if (!plain || plain.value() != text) die("decrypt");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return pairs / seconds;
}

double round_trips_per_second(const test::TempDir& dir, int count) {
  test::NotifySocket relay_ready(dir.file("relay.sock"));
  test::ChildProcess relay(GVO_RELAY_PATH,
                           {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay"},
                           dir.path(), {"NOTIFY_SOCKET=" + relay_ready.path()});
  if (!relay_ready.receive(std::chrono::seconds(10))) die("the relay did not start");
  std::string port;
  std::ifstream(dir.file("port")) >> port;
  test::write_text(dir.file("bot.json"),
                   "{\"data_dir\": \"bot\", \"replies\": \"echo\", "
                   "\"sealing\": {\"create_key\": true}, \"relay\": "
                   "{\"port\": " +
                       port + "}, \"log\": {\"level\": \"warning\"}}");
  test::NotifySocket bot_ready(dir.file("bot.sock"));
  test::ChildProcess bot(GVO_BOT_PATH, {"--config", "bot.json"}, dir.path(),
                         {"NOTIFY_SOCKET=" + bot_ready.path()});
  if (!bot_ready.receive(std::chrono::seconds(10))) die("the bot did not start");

  // A first exchange sets the session up; the timed script follows.
  auto script = [&](const std::string& name, int from, int to) {
    std::string text;
    for (int i = from; i <= to; ++i) {
      text += "> m " + std::to_string(i) + "\n< echo: m " + std::to_string(i) + "\n";
    }
    test::write_text(dir.file(name), text);
  };
  script("warm.txt", 0, 0);
  script("timed.txt", 1, count);
  const std::string relay_address = "127.0.0.1:" + port;
  auto run = [&](const char* file) {
    test::ChildProcess chat(
        GVO_CHAT_PATH, {"--relay", relay_address, "--data", "chat", "--script", file}, dir.path());
    const auto done = chat.wait_for_exit(std::chrono::minutes(5));
    if (done != 0) die("the chat script failed: " + chat.stderr_text());
  };
  run("warm.txt");
  const auto started = Clock::now();
  run("timed.txt");
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return count / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int pairs = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
  const int trips = argc > 2 ? std::max(10, std::atoi(argv[2])) : 300;
  test::TempDir dir;
  const double library = library_pairs_per_second(dir, pairs);
  std::printf(
      "libsignal-protocol-c, alternating encrypt/decrypt pairs: %.0f per second (%d pairs)\n",
      library, pairs);
  const double full = round_trips_per_second(dir, trips);
  std::printf(
      "full round trips gvo-chat -> gvo-relay -> gvo-bot -> back: %.0f per second (%d, "
      "one at a time, durable)\n",
      full, trips);
  std::printf("ratio, full round trips to library pairs: %.1f%%\n", 100.0 * full / library);
  std::printf("ratio counting the two pairs each round trip carries: %.1f%%\n",
              200.0 * full / library);
  return 0;
}
