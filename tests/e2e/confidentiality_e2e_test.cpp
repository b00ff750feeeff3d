// Who may receive case data, tried from the attacker's side over real processes on loopback
// (gvo-relay, gvo-bot and gvo-chat clients): a name taken first at the relay, a staff member's
// key replaced behind their back, a member removed while an alert waits, a wrong fingerprint.
// Each test plants a distinctive name in a case and reads everything the relay delivered to the
// account under attack, decrypted by that account's own client: the name must never be there,
// while a member in good standing gets it (the positive control).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <signal.h>

#include "storage/database.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBot = GVO_BOT_PATH;
const std::string kChat = GVO_CHAT_PATH;
constexpr const char* kPlanted = "ZORGLUB";

using Daemon = gvo::test::ReadyDaemon;

struct Member {
  std::string address;
  std::string role;
  std::vector<std::string> options;  // --centres vottem, ...
};

// A relay on a free port and a bot connected to it; staff added first, with their codes.
struct Stack {
  gvo::test::TempDir dir;
  Daemon relay;
  Daemon bot;
  std::string port;
  std::map<std::string, std::string> codes;  // address -> enrolment code
  int relay_starts = 0;

  std::string relay_address() const { return "127.0.0.1:" + port; }

  void start_relay() {
    relay = gvo::test::start_ready(kRelay,
                                   {"--listen", port.empty() ? "127.0.0.1:0" : relay_address(),
                                    "--port-file", "port", "--data", "relay"},
                                   dir.path(), "relay" + std::to_string(++relay_starts));
    std::ifstream(dir.file("port")) >> port;
    REQUIRE_FALSE(port.empty());
  }

  gvo::test::Completed bot_command(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", "bot.json"});
    return gvo::test::run_to_completion(kBot, args, dir.path());
  }

  void start(const std::vector<Member>& staff, const std::string& settings = {}) {
    start_relay();
    gvo::test::write_text(dir.file("bot.json"),
                          "{\"data_dir\": \"bot\", \"sealing\": {\"create_key\": true}, "
                          "\"relay\": {\"port\": " +
                              port + "}" + settings + "}");
    REQUIRE(bot_command({"init"}).exit_code == 0);
    for (const auto& member : staff) {
      std::vector<std::string> args{"staff",     "add",        member.address,
                                    member.role, "--language", "en"};
      args.insert(args.end(), member.options.begin(), member.options.end());
      const auto added = bot_command(args);
      INFO(added.err);
      REQUIRE(added.exit_code == 0);
      std::string code = added.out.substr(0, added.out.find('\n'));
      REQUIRE(code.size() == 14);
      codes[member.address] = code;
    }
    bot = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(), "bot");
  }

  // A gvo-chat for account, running script (written to NAME.txt), data in folder data.
  std::unique_ptr<gvo::test::ChildProcess> chat(const std::string& account, const std::string& data,
                                                const std::string& script, int timeout_s = 60,
                                                const std::vector<std::string>& more = {}) {
    gvo::test::write_text(dir.file(data + ".txt"), script);
    std::vector<std::string> args{
        "--relay", relay_address(), "--data",      data,        "--account",
        account,   "--script",      data + ".txt", "--timeout", std::to_string(timeout_s)};
    args.insert(args.end(), more.begin(), more.end());
    return std::make_unique<gvo::test::ChildProcess>(kChat, args, dir.path());
  }

  std::string enrol_script(const std::string& address) const {
    return "> enrol " + codes.at(address) + "\n<* You are enrolled\n";
  }
};

// A whole intake in English with a distinctive registered name; consent as given.
std::string intake(const std::string& name, const std::string& consent = "yes") {
  return "> Hello, my friend was arrested\n"
         "<* How long have you been without news\n"
         "> 3 days\n"
         "<* Do you know where the person is now\n"
         "> vottem\n"
         "<* LAST NAME\n"
         "> " +
         name +
         "\n"
         "<* Which nationality\n"
         "> moroccan\n"
         "<* When were they arrested\n"
         "> 12/3\n"
         "<* Do they want a lawyer\n"
         "> no\n"
         "<* Has the detained person agreed\n"
         "> " +
         consent +
         "\n"
         "<* Anything else that can help the lawyer\n"
         "> no\n"
         "<* Here is what I noted\n"
         "> yes\n"
         "<* Its reference: \n";
}

void exec_on(const std::string& path, const std::string& sql) {
  auto db = gvo::storage::Database::open(path, gvo::storage::OpenMode::existing_only);
  REQUIRE(db.ok());
  REQUIRE(db->exec(sql).ok());
}

// The client's own identity and keys go; its relay account and secret stay: the same person
// (or whoever took their secret) re-registers with a new identity key, registration id and
// one-time pre-keys (the relay's old ones are gone, so that the client uploads new ones).
void new_identity(const Stack& stack, const std::string& chat_folder, const std::string& account) {
  exec_on(stack.dir.file(chat_folder + "/chat.db"),
          "DELETE FROM signal_identity; DELETE FROM signal_pre_keys; "
          "DELETE FROM signal_signed_pre_keys; DELETE FROM signal_sessions; "
          "DELETE FROM signal_identities");
  exec_on(stack.dir.file("relay/relay.db"),
          "DELETE FROM pre_keys WHERE account = '" + account + "'");
}

}  // namespace

TEST_CASE("confidentiality: whoever takes a staff name first at the relay gets no case data") {
  Stack stack;
  stack.start({{"coord", "coordinator", {}}, {"coord2", "coordinator", {}}});
  // The real coord2 enrols; the attacker took "coord" on the relay before its member could.
  auto coord2 = stack.chat("coord2", "coord2",
                           stack.enrol_script("coord2") + "<* " + std::string(kPlanted) + "\n");
  REQUIRE(coord2->wait_for_stdout("You are enrolled", 30s));
  auto attacker =
      stack.chat("coord", "attacker",
                 "> hello, I am the coordinator\n<* not active\n> cases\n<* not active\n"
                 "> enrol 2222-3333-4444\n<* not right\n<* NEVER SHOWN\n",
                 40);
  REQUIRE(attacker->wait_for_stdout("not right", 30s));

  auto host = stack.chat("host-1", "host", intake(std::string(kPlanted) + " Mohamed"));
  REQUIRE(host->wait_for_exit(60s) == 0);
  REQUIRE(coord2->wait_for_exit(30s) == 0);  // the positive control: it has the name
  CHECK_THAT(coord2->stdout_text(), Catch::Matchers::Contains(kPlanted));
  // The attacker's client shows everything the relay delivered to "coord", decrypted.
  std::this_thread::sleep_for(2s);  // anything still on its way would arrive now
  attacker->send_signal(SIGTERM);
  (void)attacker->wait_for_exit(5s);
  INFO(attacker->stdout_text());
  CHECK(attacker->stdout_text().find(kPlanted) == std::string::npos);
  CHECK(attacker->stdout_text().find("New case") == std::string::npos);
  // Nothing was pinned to the attacker's key.
  const auto listed = stack.bot_command({"staff", "list"});
  CHECK_THAT(listed.out, Catch::Matchers::Contains("coord\tcoordinator\t-\ten\tunverified"));
}

TEST_CASE("confidentiality: a staff member's new, unverified key gets nothing of a new case") {
  Stack stack;
  stack.start({{"coord", "coordinator", {}}, {"coord2", "coordinator", {}}});
  auto coord = stack.chat("coord", "coord", stack.enrol_script("coord"));
  REQUIRE(coord->wait_for_exit(30s) == 0);
  auto coord2 = stack.chat("coord2", "coord2",
                           stack.enrol_script("coord2") + "<* " + std::string(kPlanted) +
                               "\n<* The safety key of coord\n");
  REQUIRE(coord2->wait_for_stdout("You are enrolled", 30s));

  // "coord" re-registers: the same relay account and secret, a new identity key and
  // registration id; it writes nothing and only listens.
  REQUIRE(std::system(
              ("cp -r " + stack.dir.file("coord") + " " + stack.dir.file("coord-new")).c_str()) ==
          0);
  new_identity(stack, "coord-new", "coord");
  auto rekeyed = stack.chat("coord", "coord-new", "<* NEVER SHOWN\n", 60, {"--verbose"});
  // Its new keys are at the relay once they are uploaded.
  REQUIRE(rekeyed->wait_for_stderr("key upload", 30s));

  auto host = stack.chat("host-1", "host", intake(std::string(kPlanted) + " Mohamed"));
  REQUIRE(host->wait_for_exit(60s) == 0);
  // The other coordinator is told of the key change and gets the case.
  INFO("coord2: " << coord2->stdout_text() << "\nbot: " << stack.bot.process->stderr_text());
  REQUIRE(coord2->wait_for_exit(30s) == 0);
  std::this_thread::sleep_for(2s);
  rekeyed->send_signal(SIGTERM);
  (void)rekeyed->wait_for_exit(5s);
  INFO(rekeyed->stdout_text() << rekeyed->stderr_text() << stack.bot.process->stderr_text());
  CHECK(rekeyed->stdout_text().find(kPlanted) == std::string::npos);
  const auto listed = stack.bot_command({"staff", "list"});
  CHECK_THAT(listed.out, Catch::Matchers::Contains("coord\tcoordinator\t-\ten\tsuspended"));
}

TEST_CASE("confidentiality: a verification with a wrong fingerprint never shows the right one") {
  Stack stack;
  stack.start({{"coord", "coordinator", {}}, {"ref-vottem", "referent", {"--centres", "vottem"}}});
  // The referent writes first (their key is known, not pinned); the coordinator tries a guess.
  auto referent = stack.chat("ref-vottem", "referent", "> hello\n<* not active\n");
  REQUIRE(referent->wait_for_exit(30s) == 0);
  const auto fingerprint = gvo::test::run_to_completion(
      kChat, {"--data", "referent", "--fingerprint"}, stack.dir.path());
  REQUIRE(fingerprint.exit_code == 0);
  std::string held = fingerprint.out.substr(0, fingerprint.out.find('\n'));
  REQUIRE(held.size() > 20);
  auto coord = stack.chat("coord", "coord",
                          stack.enrol_script("coord") +
                              "> verify ref-vottem 12345 67890 12345 67890 12345 67890\n"
                              "<* That is not the fingerprint\n");
  REQUIRE(coord->wait_for_exit(30s) == 0);
  INFO(coord->stdout_text());
  // Neither the whole fingerprint nor its first group is in the answer.
  CHECK(coord->stdout_text().find(held.substr(0, 5)) == std::string::npos);
  // The admin's command does not show it either; both attempts are recorded.
  const auto refused = stack.bot_command({"staff", "verify", "ref-vottem", "11111 22222"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find(held.substr(0, 5)) == std::string::npos);
  // The right one, read out by the referent, verifies.
  const auto verified = stack.bot_command({"staff", "verify", "ref-vottem", held});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
}

// A member is removed while a message to them waits in the outbox (the relay was down when the
// deadline alert was queued): it is never delivered, not even once the relay is back, while the
// member who stays gets it.
TEST_CASE("confidentiality: staff remove drops what was queued for the member") {
  Stack stack;
  // 16 March 2026: the 5-day deadline of an arrest on 12 March is the 17th; its alert is due at
  // 09:00 in Brussels (08:00 UTC), 90 seconds after the bot's clock starts.
  const auto started = std::chrono::steady_clock::now();
  stack.start({{"coord", "coordinator", {}}, {"coord2", "coordinator", {}}},
              R"(, "test_clock_start": "2026-03-16T07:58:30Z")");
  auto coord = stack.chat(
      "coord", "coord",
      stack.enrol_script("coord") + "<* New case\n<* the 5-day deadline falls on\n", 240);
  auto coord2 = stack.chat("coord2", "coord2",
                           stack.enrol_script("coord2") + "<* New case\n<* NEVER SHOWN\n", 240);
  REQUIRE(coord->wait_for_stdout("You are enrolled", 30s));
  REQUIRE(coord2->wait_for_stdout("You are enrolled", 30s));
  auto host = stack.chat("host-1", "host", intake(std::string(kPlanted) + " Mohamed"));
  REQUIRE(host->wait_for_exit(60s) == 0);
  REQUIRE(coord2->wait_for_stdout("New case", 30s));  // the positive control: active until now
  REQUIRE(coord->wait_for_stdout("New case", 30s));

  // The relay goes down before the alert is due; the bot queues it for both.
  stack.relay.process->send_signal(SIGKILL);
  REQUIRE(stack.relay.process->wait_for_exit(5s).has_value());
  std::printf("staff remove test: the relay went down %lld s after the bot started\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count()));
  if (stack.bot.process->stderr_text().find("deadline alert") != std::string::npos) {
    WARN("the machine was too slow: the alert was due before the relay went down; not judged");
    return;
  }
  REQUIRE(stack.bot.process->wait_for_stderr("a deadline alert went to the coordinators", 120s));
  const auto removed = stack.bot_command({"staff", "remove", "coord2"});
  INFO(removed.err);
  REQUIRE(removed.exit_code == 0);
  stack.start_relay();

  // The member who stays gets the alert; the removed one never does: not in what their client
  // took in, nor waiting for them at the relay.
  REQUIRE(coord->wait_for_exit(120s) == 0);
  std::this_thread::sleep_for(2s);  // anything still on its way would arrive now
  auto relay_db = gvo::storage::Database::open(stack.dir.file("relay/relay.db"),
                                               gvo::storage::OpenMode::read_only);
  REQUIRE(relay_db.ok());
  auto waiting = relay_db->prepare("SELECT count(*) FROM envelopes WHERE destination = 'coord2'");
  REQUIRE(waiting.ok());
  REQUIRE(waiting->step().value_or(false));
  CHECK(waiting->column_int64(0) == 0);
  coord2->send_signal(SIGTERM);
  (void)coord2->wait_for_exit(5s);
  INFO(coord2->stdout_text());
  CHECK(coord2->stdout_text().find("deadline falls on") == std::string::npos);
  CHECK_THAT(stack.bot.process->stderr_text(), !Catch::Matchers::Contains(kPlanted));
}

// The detained person's consent decides what the referent of their centre gets; coordinators get
// everything. One referent's client reads all three cases as the relay delivered them.
TEST_CASE("confidentiality: the referent gets names only with the person's consent") {
  Stack stack;
  stack.start({{"coord", "coordinator", {}}, {"ref-vottem", "referent", {"--centres", "vottem"}}});
  auto coord =
      stack.chat("coord", "coord",
                 stack.enrol_script("coord") + "<* ZORGLUBYES\n<* ZORGLUBNOTASKED\n<* ZORGLUBNO\n");
  auto referent = stack.chat("ref-vottem", "referent",
                             stack.enrol_script("ref-vottem") + "<* ZORGLUBYES\n<* NEVER SHOWN\n");
  REQUIRE(coord->wait_for_stdout("You are enrolled", 30s));
  REQUIRE(referent->wait_for_stdout("You are enrolled", 30s));
  const std::vector<std::pair<std::string, std::string>> hosts{
      {"ZORGLUBYES", "yes"}, {"ZORGLUBNOTASKED", "not asked"}, {"ZORGLUBNO", "no"}};
  for (const auto& [name, consent] : hosts) {
    auto host = stack.chat("host-" + consent.substr(0, 3), "host-" + consent.substr(0, 3),
                           intake(name + " Mohamed", consent));
    INFO(name << ": " << host->stdout_text());
    REQUIRE(host->wait_for_exit(60s) == 0);
  }
  REQUIRE(coord->wait_for_exit(30s) == 0);  // the coordinator got all three names
  REQUIRE(referent->wait_for_stdout("ZORGLUBYES", 30s));
  std::this_thread::sleep_for(2s);  // anything still on its way would arrive now
  referent->send_signal(SIGTERM);
  (void)referent->wait_for_exit(5s);
  const std::string seen = referent->stdout_text();
  INFO(seen);
  CHECK(seen.find("ZORGLUBNOTASKED") == std::string::npos);
  CHECK(seen.find("ZORGLUBNO ") == std::string::npos);
  CHECK(seen.find("ZORGLUBNO\n") == std::string::npos);
  // Not asked: the referent learns a case exists at their centre, and nothing that names them.
  CHECK(std::count(seen.begin(), seen.end(), '\n') > 0);
  CHECK_THAT(seen, Catch::Matchers::Contains("not recorded"));
}

// A member whose keys are gone from the relay (their account reset): the bot's message to them
// waits, and their bundle is asked for again with backoff, not every second; the row stays.
TEST_CASE("confidentiality: a recipient without a usable bundle is retried with backoff") {
  Stack stack;
  stack.start({{"coord", "coordinator", {}}, {"coord2", "coordinator", {}}},
              R"(, "log": {"level": "debug"})");
  for (const char* member : {"coord", "coord2"}) {
    auto chat = stack.chat(member, member, stack.enrol_script(member));
    REQUIRE(chat->wait_for_exit(30s) == 0);
  }
  // coord2 re-registered and never uploaded keys (or the relay lost them): their account is
  // there, with no bundle to build a session from.
  exec_on(stack.dir.file("relay/relay.db"),
          "UPDATE accounts SET identity_key = NULL, registration_id = 1 WHERE id = 'coord2'; "
          "DELETE FROM pre_keys WHERE account = 'coord2'");
  auto host = stack.chat("host-1", "host", intake(std::string(kPlanted) + " Mohamed"));
  REQUIRE(host->wait_for_exit(60s) == 0);
  const bool fetched = stack.bot.process->wait_for_stderr("bundle fetch: status 404", 30s);
  INFO(stack.bot.process->stderr_text());
  REQUIRE(fetched);
  const auto first = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(12s);  // the span whose tries are counted
  const std::string log = stack.bot.process->stderr_text();
  std::size_t fetches = 0;
  for (auto at = log.find("bundle fetch: status 404"); at != std::string::npos;
       at = log.find("bundle fetch: status 404", at + 1)) {
    ++fetches;
  }
  INFO(fetches << " fetches in "
               << std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now() - first)
                      .count()
               << " s");
  CHECK(fetches >= 2);  // tried again
  CHECK(fetches <= 6);  // 1, 2, 4, 8 s apart (and a quarter more at most), not every second
  // The message stays in the outbox for an operator to see.
  auto db = gvo::storage::Database::open(stack.dir.file("bot/gvo-bot.db"),
                                         gvo::storage::OpenMode::read_only);
  REQUIRE(db.ok());
  auto waiting = db->prepare("SELECT count(*) FROM outbox WHERE audience = 'staff'");
  REQUIRE(waiting.ok());
  REQUIRE(waiting->step().value_or(false));
  CHECK(waiting->column_int64(0) >= 1);
}

namespace {

std::string file_text(const std::string& path) {
  const auto bytes = gvo::test::read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

// Whether any of the files (absent ones are empty) holds text, byte for byte.
bool any_file_holds(const gvo::test::TempDir& dir, const std::vector<std::string>& names,
                    const std::string& text) {
  for (const auto& name : names) {
    if (file_text(dir.file(name)).find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// As someone who seizes the server would find it, key included, after a host was forgotten and
// their case erased: the planted name and contact open nowhere (the bot's own export, with the
// key), and no byte of them is in the bot's database or WAL, the relay's, or either log.
TEST_CASE("erasure: after forget-me and erase, nothing planted is left, even with the key") {
  Stack stack;
  stack.start({{"coord", "coordinator", {}}});
  const std::string contact = "kwanzer.planted@example.org";
  auto coord = stack.chat("coord", "coord", stack.enrol_script("coord") + "<* New case\n", 90);
  REQUIRE(coord->wait_for_stdout("You are enrolled", 30s));
  std::string script = intake(std::string(kPlanted) + " Vexlarind");
  const std::string no_details = "<* Anything else that can help the lawyer\n> no\n";
  script.replace(script.find(no_details), no_details.size(),
                 "<* Anything else that can help the lawyer\n> reach me at " + contact + "\n");
  auto host = stack.chat("host-1", "host", script);
  REQUIRE(host->wait_for_exit(60s) == 0);
  REQUIRE(coord->wait_for_exit(60s) == 0);
  const std::string out = coord->stdout_text();
  const auto at = out.find("New case ");
  REQUIRE(at != std::string::npos);
  const std::string reference = out.substr(at + 9, 9);
  INFO("reference " << reference);

  // The positive control: with the key, the bot's own export holds both.
  const auto before = stack.bot_command({"cases", "export", "-o", "before.json"});
  INFO(before.err);
  REQUIRE(before.exit_code == 0);
  const std::string exported = file_text(stack.dir.file("before.json"));
  REQUIRE(exported.find(kPlanted) != std::string::npos);
  REQUIRE(exported.find(contact) != std::string::npos);

  // The host asks to be forgotten: the case stays, with what was written about the person.
  host = stack.chat("host-1", "host",
                    "> forget me\n<* Do you want to stop\n> yes\n<* with nothing about you\n");
  REQUIRE(host->wait_for_exit(60s) == 0);
  const auto forgotten = stack.bot_command({"cases", "export", "-o", "forgotten.json"});
  REQUIRE(forgotten.exit_code == 0);
  const std::string kept = file_text(stack.dir.file("forgotten.json"));
  CHECK(kept.find(kPlanted) != std::string::npos);

  // The coordinator erases the case.
  coord = stack.chat("coord", "coord",
                     "> erase " + reference + " confirm\n<* Case " + reference + " is erased\n");
  REQUIRE(coord->wait_for_exit(60s) == 0);
  std::this_thread::sleep_for(1s);  // the WAL truncation follows the commit
  const auto after = stack.bot_command({"cases", "export", "-o", "after.json"});
  REQUIRE(after.exit_code == 0);
  const std::string left = file_text(stack.dir.file("after.json"));
  CHECK(left.find(kPlanted) == std::string::npos);
  CHECK(left.find(reference) == std::string::npos);

  const std::vector<std::string> files = {"bot/gvo-bot.db", "bot/gvo-bot.db-wal", "relay/relay.db",
                                          "relay/relay.db-wal"};
  REQUIRE(file_text(stack.dir.file("bot/gvo-bot.db")).size() > 4096);  // read, not absent
  REQUIRE_FALSE(file_text(stack.dir.file("relay/relay.db")).empty());
  for (const std::string& planted : {std::string(kPlanted), contact, std::string("Vexlarind")}) {
    INFO(planted);
    CHECK_FALSE(any_file_holds(stack.dir, files, planted));
    CHECK_THAT(stack.bot.process->stderr_text(), !Catch::Matchers::Contains(planted));
    CHECK_THAT(stack.relay.process->stderr_text(), !Catch::Matchers::Contains(planted));
  }
}

// A person the bot removed (forgotten, or nothing held them any more) still has a session with
// it: their next message cannot be read. They are asked to write it again, which starts a new
// session, and are then answered: a host who comes back is never ignored.
TEST_CASE("erasure: someone the bot has no session with any more is asked to write again") {
  Stack stack;
  stack.start({});
  auto host = stack.chat("host-1", "host", "> hello\n<* How long have you been without news\n");
  REQUIRE(host->wait_for_exit(60s) == 0);
  exec_on(stack.dir.file("bot/gvo-bot.db"), "DELETE FROM signal_sessions");
  host = stack.chat(
      "host-1", "host",
      "> 3 days\n<* Please send it again\n> 3 days\n<* Do you know where the person is\n");
  INFO(host->stdout_text() << host->stderr_text());
  CHECK(host->wait_for_exit(60s) == 0);
  CHECK(stack.bot.process->stderr_text().find("answered: write it again") != std::string::npos);
}
