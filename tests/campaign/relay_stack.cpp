#include "tests/campaign/relay_stack.hpp"

#include <cstdio>
#include <fstream>
#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <signal.h>

namespace gvo::campaign {

namespace {

using namespace std::chrono_literals;

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBot = GVO_BOT_PATH;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RelayStack::RelayStack(StackOptions options) : options_(std::move(options)) {
  // Provisioned before the relay first opens its folder: the bot's name and the coordinator's.
  const auto relay_command = [&](const std::vector<std::string>& args) {
    auto done = test::run_to_completion(kRelay, args, dir_.path());
    if (done.exit_code != 0) throw std::runtime_error("gvo-relay " + args.at(0) + ": " + done.err);
    return first_line(done.out);
  };
  const std::string bot_claim = relay_command({"accounts", "add", kBotAccount, "--data", "relay"});
  if (options_.coordinator)
    coordinator_claim_ = relay_command({"accounts", "add", kCoordinator, "--data", "relay"});
  start_relay_process();
  test::write_text(dir_.file("bot.json"),
                   "{\"data_dir\": \"bot\", \"sealing\": {\"create_key\": true}, \"relay\": "
                   "{\"port\": " +
                       std::to_string(port_) + "}, \"log\": {\"level\": \"" + options_.log_level +
                       "\"}" + options_.bot_settings + "}");
  auto must = [&](const std::vector<std::string>& args) {
    auto done = bot_command(args);
    if (done.exit_code != 0)
      throw std::runtime_error("gvo-bot " + args.at(0) + ": " + done.err + done.out);
    return first_line(done.out);
  };
  must({"init"});
  must({"relay-claim", bot_claim});
  if (options_.coordinator)
    coordinator_enrolment_ =
        must({"staff", "add", kCoordinator, "coordinator", "--language", "en"});
  start_bot();
}

RelayStack::~RelayStack() {
  if (relay_.process) relay_.process->send_signal(SIGCONT);
}

void RelayStack::start_relay_process() {
  const std::string listen = "127.0.0.1:" + std::to_string(port_);
  relay_ =
      test::start_ready(kRelay,
                        {"--listen", listen, "--port-file", "port", "--data", "relay",
                         "--max-connections-per-address", "0", "--new-accounts-per-address", "0",
                         "--new-accounts-per-minute", "0", "--pre-keys-per-requester", "0"},
                        dir_.path(), "relay" + std::to_string(++relay_starts_));
  if (port_ == 0) {
    std::ifstream(dir_.file("port")) >> port_;
    if (port_ == 0) throw std::runtime_error("the relay wrote no port");
  }
}

transport::RelayAccount RelayStack::account(const std::string& name) const {
  transport::RelayAccount account;
  account.port = port_;
  account.account = name;
  account.secret = "secret of " + name + " in the campaign";
  return account;
}

void RelayStack::start_bot() {
  if (bot_.process) old_bot_logs_ += bot_.process->stderr_text();
  std::vector<std::string> args{"--config", "bot.json"};
  std::string program = kBot;
  if (!options_.bot_wrapper.empty()) {
    program = options_.bot_wrapper.front();
    std::vector<std::string> wrapped(options_.bot_wrapper.begin() + 1, options_.bot_wrapper.end());
    wrapped.push_back(kBot);
    wrapped.insert(wrapped.end(), args.begin(), args.end());
    args = std::move(wrapped);
  }
  bot_ = test::start_ready(program, args, dir_.path(), "bot" + std::to_string(++bot_starts_));
}

void RelayStack::kill_bot() {
  bot_.process->send_signal(SIGKILL);
  if (!bot_.process->wait_for_exit(10s)) throw std::runtime_error("the bot did not die");
}

int RelayStack::terminate_bot() {
  bot_.process->send_signal(SIGTERM);
  return bot_.process->wait_for_exit(10s).value_or(-1);
}

bool RelayStack::bot_running() { return !bot_.process->wait_for_exit(0ms).has_value(); }

void RelayStack::start_relay() { start_relay_process(); }

void RelayStack::kill_relay() {
  relay_.process->send_signal(SIGCONT);
  relay_.process->send_signal(SIGKILL);
  if (!relay_.process->wait_for_exit(10s)) throw std::runtime_error("the relay did not die");
}

void RelayStack::stop_relay() { relay_.process->send_signal(SIGSTOP); }
void RelayStack::continue_relay() { relay_.process->send_signal(SIGCONT); }

void RelayStack::terminate_relay() {
  relay_.process->send_signal(SIGCONT);
  relay_.process->send_signal(SIGTERM);
  (void)relay_.process->wait_for_exit(10s);
}

pid_t RelayStack::bot_pid() const { return bot_.process->pid(); }
pid_t RelayStack::relay_pid() const { return relay_.process->pid(); }

std::string RelayStack::bot_log() const {
  return old_bot_logs_ + (bot_.process ? bot_.process->stderr_text() : std::string());
}

test::Completed RelayStack::bot_command(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--config", "bot.json"});
  return test::run_to_completion(kBot, args, dir_.path());
}

RelayPeer::RelayPeer(boost::asio::io_context& io, const std::string& database,
                     transport::RelayAccount account, OnMessage on_message)
    : on_message_(std::move(on_message)) {
  auto key = storage::SealingKey::generate();
  auto store = storage::Store::open(database, storage::Sealer({std::move(key).value()}),
                                    storage::OpenMode::create_if_missing);
  if (!store) throw std::runtime_error(storage::describe(store.error()));
  store_ = std::make_unique<storage::Store>(std::move(store).value());
  if (!store_->db().exec("PRAGMA synchronous=OFF").ok())
    throw std::runtime_error("synchronous=OFF");
  auto endpoint = signal::Endpoint::open(*store_, now_ms());
  if (!endpoint) throw std::runtime_error("endpoint of " + account.account);
  endpoint_ = std::move(endpoint).value();
  transport::Messenger::Handlers handlers;
  handlers.received = [](const transport::Inbound&) -> storage::Result<void> { return {}; };
  handlers.committed = [this](const transport::Inbound& inbound) {
    if (inbound.peer == kBotAccount) on_message_(inbound.text);
  };
  handlers.identity_changed = [](const std::string&) -> storage::Result<bool> { return true; };
  handlers.ready = [this] { ready_ = true; };
  transport::RelayTimings timings;
  timings.first_backoff = 100ms;
  timings.max_backoff = 1000ms;
  timings.idle_timeout = 5000ms;
  messenger_ = std::make_unique<transport::Messenger>(io, *store_, *endpoint_, std::move(account),
                                                      handlers, timings);
}

RelayPeer::~RelayPeer() { stop(); }

void RelayPeer::start() {
  started_ = true;
  messenger_->start();
}

void RelayPeer::stop() {
  if (started_) messenger_->stop();
  started_ = false;
}

void RelayPeer::say(const std::string& text) {
  if (!messenger_->send(kBotAccount, text).ok()) throw std::runtime_error("a host's send failed");
  messenger_->flush();
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  return true;
}

Coordinator::Coordinator(boost::asio::io_context& io, const RelayStack& stack)
    : enrolment_(stack.coordinator_enrolment()) {
  auto account = stack.account(kCoordinator);
  account.claim = stack.coordinator_claim();
  peer_ = std::make_unique<RelayPeer>(
      io, stack.dir().file("coordinator.db"), account, [this](const std::string& text) {
        ++messages_;
        if (text.find("You are enrolled") != std::string::npos) enrolled_ = true;
        static const std::regex notice("New case ([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})");
        std::smatch found;
        if (std::regex_search(text, found, notice)) ++new_cases_[found[1].str()];
      });
}

void Coordinator::enrol(boost::asio::io_context& io) {
  peer_->start();
  if (!run_until(
          io, [this] { return peer_->ready(); }, 20s))
    throw std::runtime_error("the coordinator did not connect");
  peer_->say("enrol " + enrolment_);
  if (!run_until(
          io, [this] { return enrolled_; }, 20s))
    throw std::runtime_error("the coordinator was not enrolled");
}

std::vector<ExportedCase> export_cases_with(
    const std::function<test::Completed(const std::vector<std::string>&)>& bot_command,
    const std::string& folder) {
  const std::string file = folder + "/cases-" + std::to_string(now_ms()) + ".json";
  const auto done = bot_command({"cases", "export", "--output", file});
  if (done.exit_code != 0) throw std::runtime_error("cases export: " + done.err);
  std::ifstream in(file);
  const auto root = nlohmann::json::parse(in);
  std::vector<ExportedCase> cases;
  for (const auto& document : root.at("cases")) {
    ExportedCase exported;
    exported.reference = document.value("reference", "");
    for (const auto& [name, field] : document.at("fields").items()) {
      const std::string value =
          field.is_object() && field.contains("value") && field["value"].is_string()
              ? field["value"].get<std::string>()
              : "";
      exported.fields[name] = value;
    }
    exported.registered_name = exported.fields["registered_name"];
    cases.push_back(std::move(exported));
  }
  return cases;
}

std::vector<ExportedCase> export_cases(const RelayStack& stack) {
  return export_cases_with(
      [&](const std::vector<std::string>& args) { return stack.bot_command(args); },
      stack.dir().path());
}

void Verdict::check(const std::string& what, bool ok) {
  std::printf("  %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures_;
}

}  // namespace gvo::campaign
