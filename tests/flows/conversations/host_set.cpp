#include "tests/flows/conversations/host_set.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "bot/cases/case.hpp"
#include "bot/desk/desk.hpp"
#include "flows/conversation.hpp"
#include "storage/cases.hpp"
#include "storage/conversations.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace gvo::test {
namespace {

using Json = nlohmann::json;

std::vector<std::string> strings(const Json& json, const char* key) {
  std::vector<std::string> list;
  if (!json.contains(key)) return list;
  const Json& value = json.at(key);
  if (value.is_string()) return {value.get<std::string>()};
  for (const auto& item : value) list.push_back(item.get<std::string>());
  return list;
}

// A host's key, else the file's "defaults" one.
std::string field(const Json& json, const Json& defaults, const char* key) {
  if (json.contains(key)) return json.at(key).get<std::string>();
  if (defaults.contains(key)) return defaults.at(key).get<std::string>();
  throw std::runtime_error(std::string("no \"") + key + "\" for host " + json.value("id", "?"));
}

Host host_from(const Json& json, const Json& defaults, const std::string& file) {
  Host host;
  host.id = json.at("id").get<std::string>();
  host.language = field(json, defaults, "language");
  host.opening = strings(json, "opening");
  if (host.opening.empty()) throw std::runtime_error(file + ": " + host.id + ": no opening");
  if (json.contains("answers")) {
    for (const auto& [result, lines] : json.at("answers").items()) {
      host.answers[result] = lines.is_string() ? std::vector<std::string>{lines.get<std::string>()}
                                               : lines.get<std::vector<std::string>>();
    }
  }
  host.yes = field(json, defaults, "yes");
  host.no = field(json, defaults, "no");
  host.dont_know = field(json, defaults, "dont_know");
  host.skip = field(json, defaults, "skip");
  host.language_name = field(json, defaults, "language_name");
  host.opening_has_facts = json.value("opening_has_facts", false);
  for (const auto& [result, value] : json.at("expected").items()) {
    host.expected[result] = value.get<std::string>();
  }
  return host;
}

// Lowercase (ASCII), trimmed of spaces and final punctuation: how values are compared.
std::string plain(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const auto keep = [](char c) { return c != ' ' && c != '.' && c != '!' && c != '?' && c != ','; };
  while (!text.empty() && !keep(text.back())) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && text[start] == ' ') ++start;
  return text.substr(start);
}

std::size_t word_count(const std::string& text) {
  std::istringstream words(text);
  std::string word;
  std::size_t count = 0;
  while (words >> word) ++count;
  return count;
}

bool contains_word(const std::string& text, const std::string& word) {
  const std::string padded = " " + plain(text) + " ";
  return padded.find(" " + plain(word) + " ") != std::string::npos;
}

const flows::Node* asking_node(const flows::Flow& flow, const std::string& result) {
  const auto it = flow.ask_node_of_result.find(result);
  return it == flow.ask_node_of_result.end() ? nullptr : flow.node(it->second);
}

// A centre the host named: its first number in the advice, no other centre's.
void judge_advice(const flows::CentreDirectory& centres, HostRun& run) {
  const auto expected = run.host->expected.find("centre");
  if (expected == run.host->expected.end()) return;
  const flows::Centre* named = centres.find(expected->second);
  if (named == nullptr) return;  // unknown, police station
  const auto shown = [&](const flows::Centre& centre) {
    return !centre.phones.empty() &&
           std::any_of(run.advice.begin(), run.advice.end(), [&](const std::string& reply) {
             return reply.find(centre.phones.front()) != std::string::npos;
           });
  };
  if (!shown(*named)) run.problems.push_back("advice: no phone of " + named->id);
  for (const auto& other : centres.centres) {
    if (other.id != named->id && shown(other)) {
      run.problems.push_back("advice: the phone of " + other.id + " although " + named->id +
                             " is known");
    }
  }
}

void judge(const flows::Flow& flow, const HostSet& set, HostRun& run) {
  const Host& host = *run.host;
  if (run.asked_language) run.problems.push_back("the bot asked which language");
  if (run.language != host.language) {
    run.problems.push_back("the conversation is in '" + run.language + "', the host writes '" +
                           host.language + "'");
  }
  if (!run.filed) {
    run.problems.push_back("no case filed after " + std::to_string(run.bot_turns) +
                           " messages (last waiting at " + run.last_node + ")");
    return;
  }
  for (const auto& [result, expected] : host.expected) {
    const auto it = run.results.find(result);
    if (it == run.results.end() || it->second.skipped) {
      run.problems.push_back(result + ": nothing stored, expected '" + expected + "'");
    } else if (plain(it->second.value) != plain(expected)) {
      run.problems.push_back(result + ": stored '" + it->second.value + "', expected '" + expected +
                             "'");
    }
  }
  for (const auto& [result, answer] : run.results) {
    const flows::Node* node = asking_node(flow, result);
    if (node == nullptr || answer.skipped) continue;
    const auto kind = node->answer.kind;
    if (kind == flows::AnswerKind::choice || kind == flows::AnswerKind::yes_no ||
        kind == flows::AnswerKind::centre) {
      continue;  // their values are the flow's own words
    }
    for (const auto& word : set.absence_words) {
      if (plain(answer.value) == plain(word)) {
        run.problems.push_back(result + ": '" + answer.value + "' stored as a value");
      }
    }
    if (kind == flows::AnswerKind::name) {
      if (word_count(answer.value) > 5) {
        run.problems.push_back(result + ": a sentence in a name field: '" + answer.value + "'");
        continue;
      }
      for (const auto& word : set.sentence_words) {
        if (contains_word(answer.value, word)) {
          run.problems.push_back(result + ": a sentence in a name field: '" + answer.value + "'");
          break;
        }
      }
    }
  }
}

// At the summary: the number of the first line the host sees wrong and has another line for
// (lines numbered as the engine numbers them: the summary's results that were answered or
// skipped on this path), once a line; else yes.
std::string summary_answer(const flows::FlowLibrary& library, const Host& host,
                           const flows::Session& session,
                           const std::map<std::string, std::size_t>& times_asked,
                           std::set<std::string>& corrected) {
  const flows::Flow* flow = library.find(session.flow_id, session.flow_version);
  const flows::Node* summary = flow != nullptr ? flow->node(session.node) : nullptr;
  if (summary == nullptr) return host.yes;
  int line = 0;
  for (const auto& result : summary->results) {
    const auto answer = session.results.find(result);
    if (answer == session.results.end()) continue;
    ++line;
    const auto expected = host.expected.find(result);
    if (expected == host.expected.end() || corrected.count(result) != 0) continue;
    const auto lines = host.answers.find(result);
    const auto asked = times_asked.find(result);
    const std::size_t used = asked == times_asked.end() ? 0 : asked->second;
    if (lines == host.answers.end() || used >= lines->second.size()) continue;
    if (answer->second.skipped || plain(answer->second.value) != plain(expected->second)) {
      corrected.insert(result);
      return std::to_string(line);
    }
  }
  return host.yes;
}

// What one host message did, however it was carried.
struct Step {
  std::vector<std::string> replies;
  std::optional<flows::Session> session;  // the conversation after it, while it goes on
  flows::Language language;
  bool filed = false;                            // a case was filed in this step
  std::map<std::string, flows::Answer> results;  // the filed case's answers
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual Step send(const std::string& text, flows::TimePoint now) = 0;
};

// The engine as the desk calls it: converse with the saved session, read back every time.
class EngineChannel : public Channel {
 public:
  explicit EngineChannel(const FlowWorld& world) : world_(world) {}

  Step send(const std::string& text, flows::TimePoint now) override {
    Step step;
    auto reaction =
        flows::converse(*world_.engine, world_.library, "intake",
                        flows::going_on(world_.library, saved_), flows::Message{text}, now, {});
    saved_ = reaction.state;
    step.replies = std::move(reaction.replies);
    step.language = reaction.language;
    step.session = flows::going_on(world_.library, saved_);
    for (const auto& action : reaction.actions) {
      if (action.name == "create_case") {
        step.filed = true;
        step.results = action.results;
      }
    }
    return step;
  }

 private:
  const FlowWorld& world_;
  std::optional<std::string> saved_;
};

// The real desk on a SQLite store of its own: the host is a peer, what it receives is what the
// desk sends it, the conversation is the one the desk saved, a filing is a case in the store.
class DeskChannel : public Channel {
 public:
  DeskChannel(const FlowWorld& world, flows::TimePoint now) : world_(world) {
    auto key = storage::SealingKey::generate();
    must(key.ok(), "sealing key");
    auto store =
        storage::Store::open(dir_.file("bot.db"), storage::Sealer({std::move(key).value()}),
                             storage::OpenMode::create_if_missing);
    must(store.ok(), "store");
    store_ = std::make_unique<storage::Store>(std::move(store).value());
    desk_ = std::make_unique<desk::Desk>(
        *store_, world_, "intake",
        [this](const std::string& address, const std::string& text,
               storage::Audience) -> storage::Result<void> {
          if (address == kHost) received_.push_back(text);
          return {};
        },
        [this] {
          std::array<std::uint8_t, cases::kReferenceRandomBytes> bits{};
          for (auto& bit : bits) bit = static_cast<std::uint8_t>(random_() & 0xff);
          return bits;
        },
        [](const std::string& address) -> std::optional<desk::Identity> {
          const storage::Bytes identity(address.begin(), address.end());
          return desk::Identity{identity, "fp " + address};
        });
    transact([&] { return desk_->start(now); });
  }

  Step send(const std::string& text, flows::TimePoint now) override {
    received_.clear();
    storage::PeerId peer{};
    transact([&]() -> storage::Result<void> {
      const std::int64_t seconds = desk::unix_seconds(now);
      auto found = storage::Peers(*store_).find_or_add(kHost, seconds);
      if (!found) return std::move(found).error();
      peer = found.value();
      auto seen = storage::first_time_seen(*store_, peer, desk::unix_millis(now), seconds);
      if (!seen) return std::move(seen).error();
      return desk_->on_message(kHost, text, now);
    });
    Step step;
    step.replies = received_;
    auto saved = storage::Conversations(*store_).load(peer);
    must(saved.ok(), "conversation");
    step.session = flows::going_on(world_.library, saved.value());
    if (step.session) step.language = step.session->language;
    storage::CaseStore cases(*store_);
    auto all = cases.all();
    must(all.ok(), "cases");
    if (!all->empty()) {
      auto row = cases.get(all->back());
      must(row.ok(), "case");
      auto intake = flows::session_from_json(row->intake);
      must(intake.ok(), "case intake");
      step.filed = true;
      step.results = intake->results;
      step.language = intake->language;
    }
    return step;
  }

 private:
  static constexpr const char* kHost = "+32470000001";

  static void must(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("desk channel: ") + what + " failed");
  }

  template <typename Body>
  void transact(Body body) {
    const auto done = store_->db().transact([&]() -> storage::Result<void> { return body(); });
    if (!done.ok()) {
      throw std::runtime_error("desk channel: " + storage::describe(done.error()));
    }
  }

  const FlowWorld& world_;
  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<desk::Desk> desk_;
  std::mt19937 random_{16};
  std::vector<std::string> received_;
};

}  // namespace

HostSet load_host_set(const std::string& folder) {
  HostSet set;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const Json json = Json::parse(read_text(path.string()));
    if (json.contains("now")) set.now = json.at("now").get<std::string>();
    for (const auto& word : strings(json, "absence_words")) set.absence_words.push_back(word);
    for (const auto& word : strings(json, "sentence_words")) set.sentence_words.push_back(word);
    if (!json.contains("hosts")) continue;
    const Json defaults = json.value("defaults", Json::object());
    for (const auto& host : json.at("hosts")) {
      set.hosts.push_back(host_from(host, defaults, path.string()));
    }
  }
  if (set.now.empty()) throw std::runtime_error(folder + ": no \"now\" in any file");
  return set;
}

HostRun play(const FlowWorld& world, const HostSet& set, const Host& host, Carrier carrier,
             int max_turns) {
  HostRun run;
  run.host = &host;
  const flows::Flow* latest = world.library.latest("intake");
  if (latest == nullptr) throw std::runtime_error("no intake flow loaded");
  std::unique_ptr<Channel> channel;
  if (carrier == Carrier::engine) {
    channel = std::make_unique<EngineChannel>(world);
  } else {
    channel = std::make_unique<DeskChannel>(world, utc(set.now));
  }
  flows::TimePoint now = utc(set.now);
  std::map<std::string, std::size_t> times_asked;
  std::set<std::string> corrected;  // summary lines the host asked to correct
  std::size_t opening = 0;
  std::optional<flows::Session> session;
  bool started = false;
  while (run.bot_turns < max_turns) {
    if (started && !session) break;  // the conversation ended without a filing
    if (session) {
      run.last_node = session->node;
      run.asked_language |= session->state == flows::SessionState::choosing_language;
    }
    std::string text;
    if (opening < host.opening.size()) {
      text = host.opening[opening++];
    } else {
      switch (session->state) {
        case flows::SessionState::choosing_language:
          text = host.language_name;
          break;
        case flows::SessionState::answering: {
          const flows::Flow* flow = world.library.find(session->flow_id, session->flow_version);
          const flows::Node* node = flow != nullptr ? flow->node(session->node) : nullptr;
          const std::string result = node != nullptr ? node->result : std::string();
          const auto lines = host.answers.find(result);
          const std::size_t n = times_asked[result]++;
          // Its lines in turn; when none is left (or every one was refused) "I don't know",
          // then the skip word the bot offers after refusals.
          const std::size_t count = lines == host.answers.end() ? 0 : lines->second.size();
          if (n < count) {
            text = lines->second[n];
          } else {
            text = n == count ? host.dont_know : host.skip;
          }
          break;
        }
        case flows::SessionState::confirming: {
          // A host says no to a value it did not mean (and answers again when asked again).
          const flows::Flow* flow = world.library.find(session->flow_id, session->flow_version);
          const flows::Node* node = flow != nullptr ? flow->node(session->node) : nullptr;
          const auto expected =
              node != nullptr ? host.expected.find(node->result) : host.expected.end();
          const bool wrong = session->pending && expected != host.expected.end() &&
                             plain(session->pending->value) != plain(expected->second);
          text = wrong ? host.no : host.yes;
          break;
        }
        case flows::SessionState::reviewing:
          text = summary_answer(world.library, host, *session, times_asked, corrected);
          break;
        default:  // a stop to cancel
          text = host.yes;
          break;
      }
    }
    run.transcript.push_back("> " + text);
    ++run.bot_turns;
    Step step = channel->send(text, now);
    started = true;
    now += std::chrono::seconds(40);
    for (const auto& reply : step.replies) run.transcript.push_back("< " + reply);
    run.language = step.language;
    session = std::move(step.session);
    if (step.filed) {
      run.filed = true;
      run.results = std::move(step.results);
      run.advice = std::move(step.replies);
      break;
    }
  }
  judge(*latest, set, run);
  if (run.filed) judge_advice(world.validators->centres(), run);
  return run;
}

double median_turns(const std::vector<HostRun>& runs) {
  std::vector<int> turns;
  for (const auto& run : runs) {
    if (run.filed) turns.push_back(run.bot_turns);
  }
  if (turns.empty()) return 0;
  std::sort(turns.begin(), turns.end());
  const std::size_t middle = turns.size() / 2;
  return turns.size() % 2 == 1 ? turns[middle] : (turns[middle - 1] + turns[middle]) / 2.0;
}

}  // namespace gvo::test
