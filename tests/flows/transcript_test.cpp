// Runs every conversation in tests/transcripts/*.txt through the engine
// (tests/transcripts/README.md describes the format): what the person writes, what the bot must
// answer, timers on a fake clock, resumes from saved state, flow upgrades, and the results expected
// at the end.
#include <algorithm>
#include <filesystem>
#include <regex>

#include <catch2/catch.hpp>

#include "tests/flows/flow_fixture.hpp"

namespace {

using namespace gvo;

struct PendingTimer {
  flows::TimerKind kind;
  flows::TimePoint due;
  int wait;
};

class Conversation {
 public:
  Conversation(std::string file) : file_(std::move(file)) {}

  void run() {
    std::istringstream lines(test::read_text(file_));
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      INFO(file_ << ":" << number << ": " << line);
      execute(line);
    }
    INFO(file_ << ": end");
    REQUIRE(started_);
  }

 private:
  void execute(const std::string& line) {
    const auto space = line.find(' ');
    const std::string op = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
    if (op == "flow:") return start(arg);
    if (op == "now:") {
      now_ = test::utc(arg);
      return;
    }
    REQUIRE(started_);
    if (op == ">") return send(arg);
    if (op == ">*") {  // ">* 5000 a": a message of 5000 times "a"
      const auto count = std::stoul(arg.substr(0, arg.find(' ')));
      const std::string unit = arg.substr(arg.find(' ') + 1);
      std::string text;
      for (std::size_t i = 0; i < count; ++i) text += unit;
      return send(text);
    }
    if (op == ">hex") {  // ">hex ff fe 41": raw bytes, valid UTF-8 or not
      std::istringstream bytes(arg);
      std::string text;
      unsigned value = 0;
      while (bytes >> std::hex >> value) text += static_cast<char>(value);
      return send(text);
    }
    if (op == "<") return expect(arg);
    if (op == "<~") return expect_pattern(arg);
    if (op == "<!") return refuse(arg);
    if (op == "~") return advance(arg);
    if (op == "@") return command(arg);
    if (op == "=") return check_result(arg);
    if (op == "!") return check_action(arg);
    FAIL("unknown transcript line");
  }

  void start(const std::string& flow_name) {
    const auto& world = test::flow_world();
    library_ = std::make_unique<flows::FlowLibrary>();
    library_->add(*world.library.latest("demo"));
    if (flow_name != "demo")
      library_->add(
          test::load_flow_file(test::source_path("tests/transcripts/" + flow_name + ".json")));
    const flows::Flow* flow = library_->latest("demo");
    REQUIRE(flow != nullptr);
    session_ = flows::Engine::new_session(*flow);
    started_ = true;
  }

  const flows::Flow& flow() const {
    const flows::Flow* flow = library_->find(session_.flow_id, session_.flow_version);
    REQUIRE(flow != nullptr);
    return *flow;
  }

  void apply(const std::vector<flows::Action>& actions) {
    for (const auto& action : actions) {
      if (const auto* reply = std::get_if<flows::Reply>(&action)) {
        replies_.push_back(reply->text);
      } else if (const auto* timer = std::get_if<flows::ScheduleTimer>(&action)) {
        timers_.push_back({timer->kind, timer->due, timer->wait});
      } else if (std::holds_alternative<flows::CancelTimers>(action)) {
        timers_.clear();
      } else if (const auto* emitted = std::get_if<flows::FlowAction>(&action)) {
        actions_.push_back(emitted->name);
      } else if (std::holds_alternative<flows::HumanRequested>(action)) {
        actions_.push_back("human");
      } else if (std::holds_alternative<flows::ForgetMe>(action)) {
        actions_.push_back("forget_me");
      } else if (std::holds_alternative<flows::Finished>(action)) {
        actions_.push_back("finished");
      }
    }
  }

  void send(const std::string& text) {
    replies_.clear();
    matched_ = 0;
    apply(test::flow_world().engine->step(flow(), session_, flows::Message{text}, now_));
  }

  std::string all_replies() const {
    std::string text;
    for (const auto& reply : replies_) text += "[" + reply + "]\n";
    return text;
  }

  // The expected text is in one of the replies not yet matched, in order.
  void expect(const std::string& text) {
    INFO("replies:\n" << all_replies());
    for (std::size_t i = matched_; i < replies_.size(); ++i) {
      if (replies_[i].find(text) != std::string::npos) {
        matched_ = i;
        return;
      }
    }
    FAIL("no reply contains: " << text);
  }

  void expect_pattern(const std::string& pattern) {
    INFO("replies:\n" << all_replies());
    const std::regex expression(pattern);
    for (std::size_t i = matched_; i < replies_.size(); ++i) {
      if (std::regex_search(replies_[i], expression)) {
        matched_ = i;
        return;
      }
    }
    FAIL("no reply matches: " << pattern);
  }

  void refuse(const std::string& text) {
    INFO("replies:\n" << all_replies());
    for (const auto& reply : replies_) CHECK(reply.find(text) == std::string::npos);
  }

  // "~ 61m", "~ 2h", "~ 1d": the clock moves on and due timers fire in order.
  void advance(const std::string& amount) {
    REQUIRE(amount.size() >= 2);
    const long count = std::stol(amount.substr(0, amount.size() - 1));
    const char unit = amount.back();
    const long minutes = unit == 'm' ? count : unit == 'h' ? count * 60 : count * 1440;
    now_ += std::chrono::minutes(minutes);
    replies_.clear();
    matched_ = 0;
    for (;;) {
      auto due = std::min_element(timers_.begin(), timers_.end(),
                                  [](const auto& a, const auto& b) { return a.due < b.due; });
      if (due == timers_.end() || due->due > now_) break;
      const PendingTimer fired = *due;
      timers_.erase(due);
      apply(test::flow_world().engine->step(flow(), session_,
                                            flows::TimerFired{fired.kind, fired.wait}, now_));
    }
  }

  void command(const std::string& what) {
    if (what == "resume") {  // the bot restarts: the session comes back from its saved form
      const std::string saved = flows::to_json(session_);
      auto restored = flows::session_from_json(saved);
      REQUIRE(restored.ok());
      REQUIRE(flows::to_json(restored.value()) == saved);
      session_ = std::move(restored).value();
      return;
    }
    if (what.rfind("upgrade ", 0) == 0) {  // a newer flow version is deployed mid-session
      const std::string name = what.substr(8);
      library_->add(test::load_flow_file(test::source_path("tests/transcripts/" + name + ".json")));
      return;
    }
    if (what.rfind("version ", 0) == 0) {
      CHECK(session_.flow_version == std::stoi(what.substr(8)));
      return;
    }
    if (what == "new session") {  // the same person starts again later on the latest version
      session_ = flows::Engine::new_session(*library_->latest(session_.flow_id));
      return;
    }
    FAIL("unknown @ command: " << what);
  }

  // "= name: value", "= name: skipped", "= name: (none)", "= state: finished", "= language: fr"
  void check_result(const std::string& what) {
    const auto colon = what.find(": ");
    REQUIRE(colon != std::string::npos);
    const std::string name = what.substr(0, colon);
    const std::string expected = what.substr(colon + 2);
    if (name == "state") {
      CHECK(flows::to_string(session_.state) == expected);
      return;
    }
    if (name == "language") {
      CHECK(session_.language == expected);
      return;
    }
    const bool key = name.size() > 4 && name.compare(name.size() - 4, 4, ".key") == 0;
    const auto it = session_.results.find(key ? name.substr(0, name.size() - 4) : name);
    if (expected == "(none)") {
      CHECK(it == session_.results.end());
      return;
    }
    REQUIRE(it != session_.results.end());
    if (expected == "skipped") {
      CHECK(it->second.skipped);
      return;
    }
    CHECK((key ? it->second.key : it->second.value) == expected);
  }

  void check_action(const std::string& name) {
    INFO("actions so far: " << actions_.size());
    CHECK(std::find(actions_.begin(), actions_.end(), name) != actions_.end());
  }

  std::string file_;
  bool started_ = false;
  std::unique_ptr<flows::FlowLibrary> library_;
  flows::Session session_;
  flows::TimePoint now_ = test::utc("2026-11-26T09:00:00");
  std::vector<std::string> replies_;
  std::size_t matched_ = 0;
  std::vector<PendingTimer> timers_;
  std::vector<std::string> actions_;
};

std::vector<std::string> transcript_files() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(test::source_path("tests/transcripts"))) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("there are at least 25 transcripts") { CHECK(transcript_files().size() >= 25); }

TEST_CASE("every transcript runs as written") {
  for (const std::string& file : transcript_files()) {
    DYNAMIC_SECTION(std::filesystem::path(file).filename().string()) { Conversation(file).run(); }
  }
}
