// gvo-retention-bench: what the bot keeps about people over a long run (issue 13, "minimal
// metadata"). DAYS simulated days on an injected clock; each day HOSTS new people write as hosts
// do: most give a few answers and stop, one in FILE_EVERY files a whole intake (a case). Each
// message is taken in as a transport takes it (its sender a peer, its timestamp kept for dedup,
// in the transaction of its effects), and the desk's timers run every hour of simulated time
// (reminders, timeouts, the daily retention purge). Every 10 days it prints the rows of peers,
// inbound_seen, conversations, cases and timers. With retention they level off (after
// retention.conversation_days and retention.seen_days) instead of growing with every day: the
// figures to read are the last lines against the middle ones. Prints figures; judges nothing.
//   gvo-retention-bench [DAYS] [HOSTS] [FILE_EVERY]   (default 120 200 20)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "bot/desk/desk.hpp"
#include "bot/desk/flow_set.hpp"
#include "bot/log/log.hpp"
#include "tests/bench/reference_bits.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;

const char* const kStopsEarly[] = {"hello", "3 days", "vottem"};
const char* const kWholeIntake[] = {
    "hello", "3 days", "vottem", "BENALI Mohamed", "moroccan", "12/3", "no", "yes", "no", "yes"};

long long rows(storage::Store& store, const char* table) {
  auto query = store.db().prepare(std::string("SELECT count(*) FROM ") + table);
  if (!query || !query->step().value_or(false)) throw std::runtime_error("count failed");
  return query->column_int64(0);
}

}  // namespace

int main(int argc, char** argv) {
  const int days = argc > 1 ? std::atoi(argv[1]) : 120;
  const int hosts = argc > 2 ? std::atoi(argv[2]) : 200;
  const int file_every = argc > 3 ? std::max(1, std::atoi(argv[3])) : 20;
  if (days <= 0 || hosts <= 0) {
    std::fprintf(stderr, "usage: gvo-retention-bench [DAYS] [HOSTS] [FILE_EVERY]\n");
    return 64;
  }
  log::set_level(log::Level::warning);
  test::TempDir dir;
  auto key = storage::SealingKey::generate();
  auto opened = storage::Store::open(dir.file("bot.db"), storage::Sealer({key.value()}),
                                     storage::OpenMode::create_if_missing);
  if (!opened) throw std::runtime_error("cannot open the store");
  storage::Store store = std::move(opened).value();
  const auto flows = desk::load_flows(std::string(GVO_SOURCE_ROOT) + "/flows/defs");
  const core::RetentionConfig retention;
  desk::Desk desk(
      store, *flows, "intake",
      [](const std::string&, const std::string&, storage::Audience) -> storage::Result<void> {
        return {};
      },
      bench::counting_reference_bits(),
      [](const std::string&) { return std::optional<desk::Identity>(); }, retention);
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'773'662'400));
  auto in_one_commit = [&](auto&& work) {
    const auto done = store.db().transact([&]() -> storage::Result<void> {
      if (work()) return {};
      return storage::fail(storage::Errc::sql_failed, "the desk refused");
    });
    if (!done) throw std::runtime_error("a step failed: " + done.error().detail);
  };
  in_one_commit([&] { return desk.start(now); });
  std::int64_t sent = 0;
  auto take_in = [&](const std::string& who, const char* text) {
    in_one_commit([&] {
      const std::int64_t seconds = desk::unix_seconds(now);
      auto peer = storage::Peers(store).find_or_add(who, seconds);
      return peer &&
             storage::first_time_seen(store, peer.value(), desk::unix_millis(now) + ++sent,
                                      seconds) &&
             desk.on_message(who, text, now);
    });
  };

  std::printf("retention: conversations %d days, dedup timestamps %d days, closed cases %d days\n",
              retention.conversation_days, retention.seen_days, retention.closed_case_days);
  std::printf("%5s %9s %8s %13s %13s %7s %7s\n", "day", "messages", "peers", "inbound_seen",
              "conversations", "cases", "timers");
  long long messages = 0;
  int person = 0;
  for (int day = 1; day <= days; ++day) {
    for (int hour = 0; hour < 24; ++hour) {
      // This hour's people, each writing a minute apart.
      for (int i = 0; i < hosts / 24 + (hour < hosts % 24 ? 1 : 0); ++i) {
        const std::string who = "host-" + std::to_string(++person);
        const bool files = person % file_every == 0;
        const auto* begin = files ? std::begin(kWholeIntake) : std::begin(kStopsEarly);
        const auto* end = files ? std::end(kWholeIntake) : std::end(kStopsEarly);
        for (const auto* text = begin; text != end; ++text) {
          take_in(who, *text);
          ++messages;
          now += std::chrono::seconds(2);
        }
      }
      now += std::chrono::hours(1);
      for (auto next = desk.next_timer_ms();
           next && next.value() && *next.value() <= desk::unix_millis(now);
           next = desk.next_timer_ms()) {
        in_one_commit([&] { return desk.on_due_timers(now); });
      }
    }
    if (day % 10 == 0 || day == days) {
      if (desk.take_erase_done() && !store.db().checkpoint_truncate())
        throw std::runtime_error("checkpoint failed");
      std::printf("%5d %9lld %8lld %13lld %13lld %7lld %7lld\n", day, messages,
                  rows(store, "peers"), rows(store, "inbound_seen"), rows(store, "conversations"),
                  rows(store, "cases"), rows(store, "timers"));
      std::fflush(stdout);
    }
  }
  return 0;
}
