// A case's whole life over real processes on loopback (gvo-relay, gvo-bot and gvo-chat clients,
// issue 15): two coordinators, the referents of Vottem and Merksplas and two hosts. The case is
// filed, assigned, acknowledged, located, moved to Merksplas on a host's news and a
// coordinator's correction, taken on by a lawyer, a flight is announced, the person released and
// the case closed; a coordinator answers the host through the bot and the host's answer comes
// back. People act one after the other (each a gvo-chat run on its own folder: what reaches them
// meanwhile waits at the relay); at the end everything each person received is checked: what
// they must have got, and what they must never get.
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <regex>

#include <catch2/catch.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBot = GVO_BOT_PATH;
const std::string kChat = GVO_CHAT_PATH;
// The detained person's name: distinctive, so that it can be looked for in what each person got.
constexpr const char* kName = "TRAORE Zoumana";

class Life {
 public:
  Life() {
    relay_ = gvo::test::start_ready(
        kRelay, {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay"}, dir_.path(),
        "relay");
    std::ifstream(dir_.file("port")) >> port_;
    REQUIRE_FALSE(port_.empty());
    gvo::test::write_text(dir_.file("bot.json"),
                          "{\"data_dir\": \"bot\", \"sealing\": {\"create_key\": true}, "
                          "\"relay\": {\"port\": " +
                              port_ + "}}");
    REQUIRE(bot_command({"init"}).exit_code == 0);
  }

  gvo::test::Completed bot_command(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", "bot.json"});
    return gvo::test::run_to_completion(kBot, args, dir_.path());
  }

  void add_staff(const std::string& address, const std::string& role, const std::string& language,
                 const std::vector<std::string>& options = {}) {
    std::vector<std::string> args{"staff", "add", address, role, "--language", language};
    args.insert(args.end(), options.begin(), options.end());
    const auto added = bot_command(args);
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    codes_[address] = added.out.substr(0, added.out.find('\n'));
    roles_[address] = role;
  }

  void start_bot() {
    bot_ = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir_.path(), "bot");
  }

  // One run of a person's client: the script's lines, with {A} the case's reference; what it
  // printed is added to what that person received.
  void run(const std::string& who, std::string script) {
    for (auto at = script.find("{A}"); at != std::string::npos; at = script.find("{A}"))
      script.replace(at, 3, reference_);
    if (codes_.count(who) != 0 && enrolled_.count(who) == 0) {
      // "You are enrolled as coordinator", "Vous êtes inscrit comme coordinator"...
      script = "> enrol " + codes_.at(who) + "\n<* " + roles_.at(who) + "\n" + script;
      enrolled_[who] = true;
    }
    const std::string file = who + "-" + std::to_string(++runs_) + ".txt";
    gvo::test::write_text(dir_.file(file), script);
    gvo::test::ChildProcess chat(kChat,
                                 {"--relay", "127.0.0.1:" + port_, "--data", who, "--account", who,
                                  "--script", file, "--timeout", "20"},
                                 dir_.path());
    const auto status = chat.wait_for_exit(60s);
    received_[who] += chat.stdout_text();
    INFO(who << " ran " << file << ":\n"
             << script << "\nreceived:\n"
             << chat.stdout_text() << "\n"
             << chat.stderr_text());
    REQUIRE(status == 0);
  }

  // The reference the bot gave who last (8 symbols of the reference alphabet, a dash between).
  std::string read_reference(const std::string& who) {
    const std::string& got = received_[who];
    std::smatch found;
    const auto given = got.rfind("Its reference: ");
    REQUIRE(given != std::string::npos);
    const std::string tail = got.substr(given);
    REQUIRE(std::regex_search(tail, found, std::regex("[2-9A-Z]{4}-[2-9A-Z]{4}")));
    return found.str();
  }
  void use_reference(const std::string& reference) { reference_ = reference; }

  const std::string& reference() const { return reference_; }
  const std::string& received(const std::string& who) { return received_[who]; }

 private:
  gvo::test::TempDir dir_;
  gvo::test::ReadyDaemon relay_;
  gvo::test::ReadyDaemon bot_;
  std::string port_;
  std::map<std::string, std::string> codes_;
  std::map<std::string, std::string> roles_;
  std::map<std::string, bool> enrolled_;
  std::map<std::string, std::string> received_;
  std::string reference_;
  int runs_ = 0;
};

std::string intake(const std::string& opening, const std::string& name) {
  return "> " + opening +
         "\n<* How long have you been without news\n> 3 days\n"
         "<* Do you know where the person is now\n> vottem\n<* LAST NAME\n> " +
         name +
         "\n<* Which nationality\n> malian\n<* When were they arrested\n> 12/3\n"
         "<* Do they want a lawyer\n> no\n<* Has the detained person agreed\n> yes\n"
         "<* Anything else that can help the lawyer\n> no\n<* Here is what I noted\n> yes\n"
         "<* Its reference: \n";
}

void check_has(const std::string& text, const std::string& part) {
  INFO(text);
  CHECK_THAT(text, Catch::Matchers::Contains(part));
}

void check_lacks(const std::string& text, const std::string& part) {
  INFO(text);
  CHECK(text.find(part) == std::string::npos);
}

}  // namespace

TEST_CASE("a case's life over the relay: filed, moved, answered, closed, each person told") {
  Life life;
  life.add_staff("coord-en", "coordinator", "en");
  life.add_staff("coord-fr", "coordinator", "fr");
  life.add_staff("ref-vottem", "referent", "en", {"--centres", "vottem"});
  life.add_staff("ref-merksplas", "referent", "en", {"--centres", "merksplas"});
  life.start_bot();
  for (const char* member : {"coord-en", "coord-fr", "ref-vottem", "ref-merksplas"})
    life.run(member, "");

  // Filed by the first host; a second host reports the same person.
  life.run("host-1", intake("Hello, my friend was arrested", kName));
  const std::string a = life.read_reference("host-1");
  life.run("host-2", intake("Hi, my cousin disappeared", kName));
  const std::string b = life.read_reference("host-2");
  REQUIRE(a != b);
  life.use_reference(a);
  // Assigned, seen and located at Vottem.
  life.run("coord-en",
           "<* New case {A}\n> assign {A} ref-vottem\n"
           "<* is assigned to ref-vottem\n");
  life.run("ref-vottem",
           "<* Case {A}\n<* is assigned to you\n> ok {A}\n<* marked as seen\n"
           "> status {A} located seen in the visiting room\n<* located\n");
  life.run("host-1", "<* GVO now knows where the person is held\n");
  // Transferred: the host says so, a coordinator confirms, the case moves to Merksplas.
  life.run("host-1", "> he was transferred to Merksplas\n<* passed it on\n");
  life.run("coord-fr",
           "<* transférée à\n> corriger {A} centre merksplas ; confirmé par le centre\n"
           "<* est maintenant\n");
  life.run("ref-vottem", "<* has left your centre\n> case {A}\n<* No case {A}\n");
  life.run("ref-merksplas", "<* Case {A}\n> ok {A}\n<* marked as seen\n");
  // A lawyer; the coordinator answers the host through the bot and the answer comes back; a
  // flight is announced.
  life.run("coord-en",
           "> status {A} lawyer\n<* a lawyer is on the case\n"
           "> reply {A} The lawyer is on it, tell him not to sign anything.\n"
           "<* Sent to 1 host(s)\n");
  life.run("host-1",
           "<* not to sign anything\n> thank you, he will not sign\n<* passed it on\n"
           "> and he has a ticket for Friday\n<* this is urgent\n");
  life.run("ref-merksplas", "<* URGENT case {A}\n");
  // Released, then closed; the second report's host is answered and its case closed.
  life.run("host-1", "> he is released!\n<* passed it on\n");
  life.use_reference(b);
  life.run("coord-en", "<* URGENT case " + a + "\n<* news from the host: released\n> close " + a +
                           " closed all done\n<* Case " + a +
                           ": closed\n> reply {A} Thank you, we follow this person under case " +
                           a + ".\n<* Sent to 1 host(s)\n> close {A} closed same person as " + a +
                           "\n<* Case {A}: closed\n");
  life.run("host-1", "<* GVO has closed this case\n");
  life.run("host-2", "<* we follow this person under case\n<* GVO has closed this case\n");
  life.use_reference(a);
  life.run("coord-fr", "> cas {A}\n<* clôturé\n");

  // Every coordinator followed it all, each in their language.
  for (const char* coordinator : {"coord-en", "coord-fr"}) {
    const std::string& got = life.received(coordinator);
    check_has(got, a);
    check_has(got, kName);
  }
  check_has(life.received("coord-en"), "the host writes: \"thank you, he will not sign\"");
  check_has(life.received("coord-en"), "The host's words: \"and he has a ticket for Friday\"");
  check_has(life.received("coord-fr"), "l'hôte écrit : « thank you, he will not sign »");
  check_has(life.received("coord-fr"), "l'hôte dit que la personne a été transférée");
  check_has(life.received("coord-fr"), "coord-en a répondu à l'hôte du cas " + a);
  // Vottem's referent had it until it left, and nothing of it after.
  const std::string& vottem = life.received("ref-vottem");
  check_has(vottem, "Someone at your centre has been reported. Case " + a);
  check_has(vottem, kName);
  REQUIRE(vottem.find("has left your centre") != std::string::npos);
  const std::string after_move = vottem.substr(vottem.find("has left your centre"));
  check_lacks(after_move, "URGENT");
  check_lacks(after_move, kName);
  check_lacks(after_move, "released");
  // Merksplas's referent got it on the move, and its flight; never the line to the host.
  const std::string& merksplas = life.received("ref-merksplas");
  check_has(merksplas, "Case " + a);
  check_has(merksplas, "URGENT case " + a);
  check_lacks(merksplas, "not to sign anything");
  // The hosts: GVO's answers, the statuses that concern them, nothing of staff's own work.
  check_has(life.received("host-1"), "Message from GVO about case " + a);
  check_has(life.received("host-2"), "Message from GVO about case " + b);
  for (const char* host : {"host-1", "host-2"}) {
    const std::string& got = life.received(host);
    check_has(got, "GVO has closed this case");
    check_lacks(got, "ref-vottem");
    check_lacks(got, "coord-en");
    check_lacks(got, "a lawyer is on the case");
  }
}
