// The desk under a flood, over a real store and the real flows, on an injected clock: 35 senders
// each at one message a second (each under its own limit) do not silence a host in the middle of
// an intake; a dropped message is answered "write again in a minute" once per window, in the
// host's language (every language for a stranger), never with silence and never twice.
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include <catch2/catch.hpp>

#include "bot/desk/desk.hpp"
#include "storage/peers.hpp"
#include "tests/flows/flow_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Sent {
  std::string address;
  std::string text;
};

class Floor {
 public:
  explicit Floor(cases::RateLimitSettings limits = {}) {
    auto key = storage::SealingKey::generate();
    REQUIRE(key.ok());
    auto store =
        storage::Store::open(dir_.file("bot.db"), storage::Sealer({std::move(key).value()}),
                             storage::OpenMode::create_if_missing);
    REQUIRE(store.ok());
    store_ = std::make_unique<storage::Store>(std::move(store).value());
    // What the desk queues is kept here (the outbox itself is not under test).
    desk_ = std::make_unique<desk::Desk>(
        *store_, test::flow_world(), "intake",
        [this](const std::string& address, const std::string& text,
               storage::Audience) -> storage::Result<void> {
          sent_.push_back({address, text});
          return {};
        },
        [this] {
          std::array<std::uint8_t, cases::kReferenceRandomBytes> random{};
          random[0] = static_cast<std::uint8_t>(++references_);
          random[1] = static_cast<std::uint8_t>(references_ >> 8);
          return random;
        },
        [](const std::string&) { return std::optional<desk::Identity>(); }, core::RetentionConfig{},
        limits);
  }

  // Messages at the same moment, in one commit (as the transport's batches do).
  void write(const std::vector<std::pair<std::string, std::string>>& messages,
             flows::TimePoint now) {
    std::vector<Timed> timed;
    for (const auto& [address, text] : messages) timed.push_back({address, text, now});
    write(timed);
  }
  struct Timed {
    std::string address;
    std::string text;
    flows::TimePoint at;
  };
  // Messages each at its own moment, in one commit.
  void write(const std::vector<Timed>& messages) {
    auto group = store_->db().begin_group();
    REQUIRE(group.ok());
    for (const auto& [address, text, at] : messages) {
      const auto done = store_->db().transact(
          [&]() -> storage::Result<void> { return desk_->on_message(address, text, at); });
      INFO((done.ok() ? std::string() : storage::describe(done.error())));
      REQUIRE(done.ok());
    }
    REQUIRE(group->commit().ok());
  }

  // Something else than words (a voice note, a sticker...), each in a commit of its own.
  void write_kind(const std::string& address, core::MessageKind kind, flows::TimePoint at) {
    const auto done = store_->db().transact(
        [&]() -> storage::Result<void> { return desk_->on_message(address, "", kind, at); });
    REQUIRE(done.ok());
  }

  std::size_t sent() const { return sent_.size(); }

  // What went to address since mark.
  std::vector<std::string> to(const std::string& address, std::size_t mark) const {
    std::vector<std::string> texts;
    for (std::size_t i = mark; i < sent_.size(); ++i) {
      if (sent_[i].address == address) texts.push_back(sent_[i].text);
    }
    return texts;
  }
  std::size_t mark() const { return sent_.size(); }
  storage::Store& store() { return *store_; }

 private:
  test::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<desk::Desk> desk_;
  std::vector<Sent> sent_;
  int references_ = 0;
};

std::string busy(const std::string& language) {
  return test::flow_world().desk.text("host.busy", language);
}

// What the host writes in the French golden transcript of a whole intake.
std::vector<std::string> french_intake() {
  std::ifstream in(test::source_path("tests/desk/transcripts/01_fr_full_intake.txt"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("host> ", 0) == 0) lines.push_back(line.substr(6));
  }
  REQUIRE(lines.size() >= 8);  // a whole intake: version 3 asks only what it was not told
  return lines;
}

// How many of the host's intake messages got a real answer (not "write again") while 35 spread
// senders each wrote once a second, the flood running alone for warm_up first.
int intake_answered_under_flood(Floor& floor, seconds warm_up) {
  const auto intake = french_intake();
  const int flooders = 35;
  flows::TimePoint now = test::utc("2026-03-16T10:00:00Z");
  const flows::TimePoint host_starts = now + warm_up;
  std::size_t next = 0;
  flows::TimePoint host_at = host_starts;
  int answered = 0;
  for (; next < intake.size(); now += seconds(1)) {
    // Spread: each flooder at its own moment of the second, the host between two of them.
    std::vector<Floor::Timed> second;
    for (int i = 0; i < flooders; ++i) {
      second.push_back({"flooder-" + std::to_string(i), "bonjour " + std::to_string(i),
                        now + milliseconds(i * 1000 / flooders)});
    }
    if (now < host_at) {
      floor.write(second);
      continue;
    }
    const auto half = second.begin() + flooders / 2;
    floor.write({second.begin(), half});
    const std::size_t mark = floor.mark();
    floor.write({{"host", intake[next], half->at - milliseconds(1)}});
    floor.write({half, second.end()});
    const auto replies = floor.to("host", mark);
    if (!replies.empty() && replies.front() != busy("fr")) ++answered;
    ++next;
    host_at = now + seconds(5);
  }
  return answered;
}

}  // namespace

TEST_CASE("flood at the desk: 35 spread senders at their limit, a host's intake is answered") {
  Floor floor;
  const int answered = intake_answered_under_flood(floor, seconds(60));
  CHECK(answered == static_cast<int>(french_intake().size()));
}

TEST_CASE("flood at the desk, control: without fair sharing the same flood silences the host") {
  cases::RateLimitSettings unfair;
  unfair.heavy_floor = 0;
  unfair.stranger_floor = 0;
  Floor floor(unfair);
  const int answered = intake_answered_under_flood(floor, seconds(60));
  CHECK(answered < static_cast<int>(french_intake().size()) / 2);
}

TEST_CASE("flood at the desk: a dropped message is answered once per window, in French") {
  cases::RateLimitSettings tight;
  tight.per_sender_burst = 3;
  tight.per_sender_per_minute = 3;
  Floor floor(tight);
  flows::TimePoint now = test::utc("2026-03-16T10:00:00Z");
  const auto intake = french_intake();
  floor.write({{"host", intake[0]}, {"host", intake[1]}, {"host", intake[2]}}, now);
  // The fourth at once is over the host's limit: told, in the language of their conversation.
  std::size_t mark = floor.mark();
  floor.write({{"host", intake[3]}}, now);
  CHECK(floor.to("host", mark) == std::vector<std::string>{busy("fr")});
  CHECK(busy("fr") != busy("en"));
  // More within the window: dropped, and not answered again.
  mark = floor.mark();
  floor.write({{"host", intake[3]}, {"host", intake[3]}, {"host", intake[3]}}, now + seconds(10));
  CHECK(floor.to("host", mark).empty());
  // After the window the conversation goes on, and a drop is told again.
  now += seconds(61);
  mark = floor.mark();
  floor.write({{"host", intake[3]}}, now);
  const auto going_on = floor.to("host", mark);
  REQUIRE_FALSE(going_on.empty());
  CHECK(going_on.front() != busy("fr"));
  floor.write({{"host", intake[4]}, {"host", intake[5]}}, now);
  mark = floor.mark();
  floor.write({{"host", intake[6]}}, now);
  CHECK(floor.to("host", mark) == std::vector<std::string>{busy("fr")});
}

TEST_CASE("flood at the desk: a stranger dropped is told in every language, and kept nowhere") {
  cases::RateLimitSettings full;
  full.everyone_burst = 2;
  full.everyone_per_minute = 1;
  full.stranger_floor = 0;
  full.heavy_floor = 0;
  Floor floor(full);
  const flows::TimePoint now = test::utc("2026-03-16T10:00:00Z");
  floor.write({{"first", "bonjour"}, {"second", "hello"}}, now);
  const std::size_t mark = floor.mark();
  floor.write({{"stranger", "hallo"}}, now);
  const auto told = floor.to("stranger", mark);
  REQUIRE(told.size() == 1);
  for (const std::string language : {"fr", "nl", "en", "ar"})
    CHECK_THAT(told.front(), Catch::Matchers::Contains(busy(language)));
  // The desk wrote nothing of them (the transport's outbox keeps the answer, and only that).
  auto peer = storage::Peers(floor.store()).find("stranger");
  REQUIRE(peer.ok());
  CHECK_FALSE(peer.value().has_value());
}

// The attacker's side of "never silent" (issue 19): a thousand cheap accounts each sending a
// voice note, and one account sending stickers as fast as it can, make the bot write no more
// than the same flood of words would (the same rate limits), and leave nothing of them stored.
TEST_CASE("flood at the desk: voice notes from a thousand strangers and a sticker storm") {
  cases::RateLimitSettings limits;
  Floor floor(limits);
  const flows::TimePoint now = test::utc("2026-03-16T10:00:00Z");
  for (int i = 0; i < 1000; ++i) {
    floor.write_kind("stranger-" + std::to_string(i), core::MessageKind::voice_note,
                     now + milliseconds(i));
  }
  const std::size_t answered = floor.sent();
  // Within one second: everyone's burst, plus "write again" answers within their own budget.
  CHECK(answered >= 1);
  CHECK(answered < 1000);
  auto peers = storage::Peers(floor.store()).find("stranger-0");
  REQUIRE(peers.ok());
  CHECK_FALSE(peers.value().has_value());
  auto rows = floor.store().db().prepare("SELECT count(*) FROM peers");
  REQUIRE(rows.ok());
  REQUIRE(rows->step().value_or(false));
  CHECK(rows->column_int64(0) == 0);
  // One account, 300 stickers in a minute: no more answers than its own limit lets words through
  // (its burst, and what refills in that minute), never one answer for each.
  const std::size_t mark = floor.mark();
  const flows::TimePoint later = now + std::chrono::hours(1);
  for (int i = 0; i < 300; ++i)
    floor.write_kind("storm", core::MessageKind::sticker, later + milliseconds(i * 200));
  const auto told = floor.to("storm", mark);
  CHECK(told.size() >= 1);
  CHECK(told.size() <=
        static_cast<std::size_t>(limits.per_sender_burst + limits.per_sender_per_minute) + 2);
  CHECK(told.size() < 300);
}

TEST_CASE("the busy answer is in desk.json in every language") {
  const auto& desk = test::flow_world().desk;
  const auto found = desk.messages.find("host.busy");
  REQUIRE(found != desk.messages.end());
  for (const auto& language : desk.languages) CHECK(found->second.count(language) == 1);
}
