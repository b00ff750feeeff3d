// The shared message pipeline over a real store, with the transport replaced by what it would
// do: the take-in keeps each sender's order through failures of the owner and of the database,
// acknowledges only after the commit and keeps what nobody would bring again; the outbox pump
// keeps each recipient's order, one row in flight per recipient, never resends a row it could not
// delete, and wakes for the earliest row due.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "bot/transport/outbox_pump.hpp"
#include "bot/transport/take_in.hpp"
#include "storage/inbox.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace gvo;

namespace {

struct Bench {
  test::TempDir dir;
  boost::asio::io_context io;
  std::unique_ptr<storage::Store> store;

  Bench() { open(); }

  void open() {
    auto opened =
        storage::Store::open(dir.file("bot.db"), storage::Sealer({test::new_sealing_key()}),
                             storage::OpenMode::create_if_missing);
    REQUIRE(opened.ok());
    store = std::make_unique<storage::Store>(std::move(opened).value());
  }

  // Writes fail as on a read-only database, until allowed again.
  void refuse_writes(bool refused) {
    REQUIRE(store->db().exec(refused ? "PRAGMA query_only=1" : "PRAGMA query_only=0").ok());
  }

  template <typename Done>
  bool run_until(Done done, std::chrono::milliseconds deadline = 5s) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(5ms);
    }
    return done();
  }

  void settle(std::chrono::milliseconds spell) {
    run_until([] { return false; }, spell);
  }

  int rows(const char* table) {
    auto query = store->db().prepare(std::string("SELECT count(*) FROM ") + table);
    REQUIRE(query.ok());
    REQUIRE(query->step().value_or(false));
    return static_cast<int>(query->column_int64(0));
  }
};

transport::Arrival relayed(const std::string& peer, std::int64_t sent_at, const std::string& text,
                           std::vector<std::string>& acks) {
  transport::Arrival arrival;
  arrival.peer = peer;
  arrival.sent_at_ms = sent_at;
  arrival.text = text;
  arrival.acknowledge = [&acks, text] { acks.push_back(text); };
  return arrival;
}

transport::Reading read_text(const transport::Arrival& arrival) {
  transport::Reading reading;
  reading.kind = transport::Reading::Kind::text;
  reading.text = arrival.text;
  return reading;
}

}  // namespace

TEST_CASE("take-in: a sender whose message fails waits, in order, and the others go on") {
  Bench bench;
  std::vector<std::string> taken, acks;
  int refusals = 3;  // the owner refuses A's first message three times
  transport::TakeIn::Hooks hooks;
  hooks.read = read_text;
  hooks.received = [&](const transport::Inbound& inbound) -> storage::Result<void> {
    if (inbound.text == "A1" && refusals-- > 0)
      return storage::fail(storage::Errc::sql_failed, "refused for the test");
    // What the owner writes commits with the message.
    if (auto queued = storage::Outbox(*bench.store).queue(inbound.peer, "re " + inbound.text, 1);
        !queued) {
      return queued;
    }
    taken.push_back(inbound.text);
    return {};
  };
  transport::TakeIn take_in(bench.io, *bench.store, hooks, "test");
  take_in.arrive(relayed("a", 1, "A1", acks));
  take_in.arrive(relayed("b", 1, "B1", acks));
  take_in.arrive(relayed("a", 2, "A2", acks));
  take_in.arrive(relayed("b", 2, "B2", acks));
  REQUIRE(bench.run_until([&] { return taken.size() == 2; }));
  // B's went; none of A's, not even A2, which the owner would have taken.
  CHECK(taken == std::vector<std::string>{"B1", "B2"});
  CHECK(acks == std::vector<std::string>{"B1", "B2"});
  take_in.arrive(relayed("a", 3, "A3", acks));
  REQUIRE(bench.run_until([&] { return taken.size() == 5; }));
  CHECK(taken == std::vector<std::string>{"B1", "B2", "A1", "A2", "A3"});
  CHECK(acks == taken);
  // Nothing of a refused try committed: one reply per message.
  CHECK(bench.rows("outbox") == 5);
  CHECK(take_in.status().failed_tries >= 3);
}

TEST_CASE(
    "take-in: while the database refuses writes nothing is acknowledged or lost, then all "
    "is taken in once, in order") {
  Bench bench;
  std::vector<std::string> taken, acks;
  bool failing_said = false, recovered_said = false;
  transport::TakeIn::Hooks hooks;
  hooks.read = read_text;
  hooks.received = [&](const transport::Inbound& inbound) -> storage::Result<void> {
    if (auto queued = storage::Outbox(*bench.store).queue(inbound.peer, inbound.text, 1); !queued)
      return queued;
    taken.push_back(inbound.text);
    return {};
  };
  hooks.storage_failing = [&](bool failing) { (failing ? failing_said : recovered_said) = true; };
  transport::TakeIn take_in(bench.io, *bench.store, hooks, "test");
  bench.refuse_writes(true);
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    const std::string text = std::string(1, static_cast<char>('a' + i % 4)) + std::to_string(i);
    expected.push_back(text);
    take_in.arrive(relayed(text.substr(0, 1), i, text, acks));
  }
  bench.settle(300ms);
  CHECK(failing_said);
  CHECK(acks.empty());
  CHECK(take_in.status().waiting == 20);
  // Writes fail before the owner is reached (the sender's peer row, say).
  const std::size_t tried = taken.size();
  taken.clear();
  bench.refuse_writes(false);
  REQUIRE(bench.run_until([&] { return acks.size() == 20; }, 5s));
  CHECK(recovered_said);
  CHECK(bench.rows("outbox") == 20);
  CHECK(bench.rows("inbound_seen") == 20);
  // Each sender's in the order sent (senders interleave freely).
  for (const char sender : std::string("abcd")) {
    std::vector<std::string> mine, wanted;
    for (const auto& text : acks)
      if (text[0] == sender) mine.push_back(text);
    for (const auto& text : expected)
      if (text[0] == sender) wanted.push_back(text);
    CHECK(mine == wanted);
  }
  CHECK(tried == 0);  // nothing the owner did in a failed try survived it
  CHECK(take_in.status().failed_tries > 0);
}

TEST_CASE(
    "take-in: an unreadable message is acknowledged and leaves nothing, and a redelivered one "
    "is a duplicate") {
  Bench bench;
  std::vector<std::string> taken, acks;
  transport::TakeIn::Hooks hooks;
  hooks.read = [](const transport::Arrival& arrival) {
    transport::Reading reading;
    if (arrival.text == "garbage") {
      reading.kind = transport::Reading::Kind::unreadable;
      reading.why = "invalid_message";
      return reading;
    }
    return read_text(arrival);
  };
  hooks.received = [&](const transport::Inbound& inbound) -> storage::Result<void> {
    taken.push_back(inbound.text);
    return {};
  };
  transport::TakeIn take_in(bench.io, *bench.store, hooks, "test");
  take_in.arrive(relayed("stranger", 5, "garbage", acks));
  REQUIRE(bench.run_until([&] { return acks.size() == 1; }));
  CHECK(bench.rows("peers") == 0);
  CHECK(take_in.status().unreadable == 1);
  take_in.arrive(relayed("host", 7, "hello", acks));
  take_in.arrive(relayed("host", 7, "hello", acks));
  REQUIRE(bench.run_until([&] { return acks.size() == 3; }));
  CHECK(taken == std::vector<std::string>{"hello"});
  CHECK(take_in.status().duplicates == 1);
}

TEST_CASE("take-in: staff are taken before strangers waiting, each sender in its order") {
  Bench bench;
  std::vector<std::string> taken, acks;
  transport::TakeIn::Hooks hooks;
  hooks.read = read_text;
  hooks.received = [&](const transport::Inbound& inbound) -> storage::Result<void> {
    taken.push_back(inbound.text);
    return {};
  };
  transport::TakeIn take_in(bench.io, *bench.store, hooks, "test");
  for (int i = 0; i < 10; ++i) take_in.arrive(relayed("s", i, "s" + std::to_string(i), acks));
  auto staff = relayed("coordinator", 1, "help", acks);
  staff.priority = true;
  take_in.arrive(std::move(staff));
  REQUIRE(bench.run_until([&] { return taken.size() == 11; }));
  CHECK(taken.front() == "help");
  CHECK(std::is_sorted(taken.begin() + 1, taken.end(), [](const auto& a, const auto& b) {
    return std::stoi(a.substr(1)) < std::stoi(b.substr(1));
  }));
  CHECK(take_in.status().taken_first == 1);
}

TEST_CASE(
    "take-in: what nobody would bring again is kept, sealed, and taken in after a restart "
    "before what comes next") {
  Bench bench;
  std::vector<std::string> taken;
  bool refuse = true;
  transport::TakeIn::Hooks hooks;
  hooks.read = read_text;
  hooks.received = [&](const transport::Inbound& inbound) -> storage::Result<void> {
    if (refuse) return storage::fail(storage::Errc::sql_failed, "refused for the test");
    taken.push_back(inbound.text);
    return {};
  };
  auto cli = [](const std::string& peer, std::int64_t sent_at, const std::string& text) {
    transport::Arrival arrival;  // no acknowledge: signal-cli's
    arrival.peer = peer;
    arrival.sent_at_ms = sent_at;
    arrival.text = text;
    return arrival;
  };
  {
    transport::TakeIn take_in(bench.io, *bench.store, hooks, "test");
    take_in.arrive(cli("host", 1, "PLANTED-FIRST"));
    take_in.arrive(cli("host", 2, "second"));
    REQUIRE(bench.run_until([&] { return take_in.status().kept == 2; }));
    CHECK(bench.rows("inbox") == 2);
  }
  // Sealed: the text is not in the file in clear.
  for (const char* file : {"bot.db", "bot.db-wal"}) {
    std::ifstream in(bench.dir.file(file), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.find("PLANTED-FIRST") == std::string::npos);
  }
  refuse = false;
  transport::TakeIn again(bench.io, *bench.store, hooks, "test");
  again.arrive(cli("host", 3, "third"));
  again.resume_kept();
  REQUIRE(bench.run_until([&] { return taken.size() == 3; }));
  CHECK(taken == std::vector<std::string>{"PLANTED-FIRST", "second", "third"});
  CHECK(bench.rows("inbox") == 0);
}

namespace {

// A transport that records what it is handed and answers as the test says.
class FakeAdapter : public transport::PumpAdapter {
 public:
  std::vector<std::string> sent;  // bodies, in the order handed over
  std::map<std::string, int> in_flight;
  int most_in_flight_to_one = 0;
  std::function<transport::SendOutcome(const std::string& body)> answer = [](const std::string&) {
    return transport::SendOutcome::of(transport::SendOutcome::Kind::delivered);
  };
  bool answer_later = false;
  std::vector<std::function<void()>> later;
  storage::Store* store = nullptr;

  bool connected() const override { return true; }
  Key key_for(const std::string&, const storage::Outbox::Waiting&) override { return {}; }
  bool refresh_key(const std::string&) override { return false; }
  storage::Result<void> seal(const storage::Outbox::Waiting&, const std::string&) override {
    return {};
  }
  void send(const storage::Outbox::Waiting& row, const std::string& address, bool,
            std::function<void(transport::SendOutcome)> done) override {
    auto body = storage::Outbox(*store).body(row.id);
    REQUIRE(body.ok());
    sent.push_back(body.value());
    most_in_flight_to_one = std::max(most_in_flight_to_one, ++in_flight[address]);
    auto finish = [this, address, text = body.value(), done] {
      --in_flight[address];
      done(answer(text));
    };
    if (answer_later) {
      later.push_back(finish);
    } else {
      finish();
    }
  }
};

void queue(storage::Store& store, const std::string& to, const std::string& text) {
  REQUIRE(storage::Outbox(store).queue(to, text, 1).ok());
}

}  // namespace

TEST_CASE(
    "pump: one row in flight per recipient, and a refused row holds back its recipient only") {
  Bench bench;
  FakeAdapter adapter;
  adapter.store = bench.store.get();
  adapter.answer_later = true;
  transport::OutboxPump pump(bench.io, *bench.store, adapter, {}, "test", 16);
  for (int i = 1; i <= 3; ++i) {
    queue(*bench.store, "a", "a" + std::to_string(i));
    queue(*bench.store, "b", "b" + std::to_string(i));
  }
  int refusals = 2;
  adapter.answer = [&](const std::string& body) {
    using Kind = transport::SendOutcome::Kind;
    if (body == "a1" && refusals-- > 0) return transport::SendOutcome::of(Kind::retry_after, 30);
    return transport::SendOutcome::of(Kind::delivered);
  };
  pump.flush();
  // Answers come one turn after each send, in any order the relay gives them.
  REQUIRE(bench.run_until([&] {
    for (auto& finish : std::exchange(adapter.later, {})) finish();
    return bench.rows("outbox") == 0;
  }));
  CHECK(adapter.most_in_flight_to_one == 1);
  std::vector<std::string> to_a, to_b;
  for (const auto& body : adapter.sent) (body[0] == 'a' ? to_a : to_b).push_back(body);
  CHECK(to_a == std::vector<std::string>{"a1", "a1", "a1", "a2", "a3"});
  CHECK(to_b == std::vector<std::string>{"b1", "b2", "b3"});
  // b's went while a1 waited.
  const auto first_b3 = std::find(adapter.sent.begin(), adapter.sent.end(), "b3");
  const auto first_a2 = std::find(adapter.sent.begin(), adapter.sent.end(), "a2");
  CHECK(first_b3 < first_a2);
}

TEST_CASE(
    "pump: a row sent while the database refuses writes is not sent again, and leaves "
    "once it can") {
  Bench bench;
  FakeAdapter adapter;
  adapter.store = bench.store.get();
  adapter.answer_later = true;
  transport::OutboxPump pump(bench.io, *bench.store, adapter, {}, "test", 16);
  queue(*bench.store, "a", "only");
  pump.flush();
  REQUIRE(bench.run_until([&] { return adapter.later.size() == 1; }));
  // The disk fills while it is on its way: it is delivered, and cannot leave the outbox.
  bench.refuse_writes(true);
  adapter.later.front()();
  adapter.later.clear();
  for (int i = 0; i < 5; ++i) {
    pump.flush();
    bench.settle(100ms);
  }
  CHECK(adapter.sent == std::vector<std::string>{"only"});
  CHECK(bench.rows("outbox") == 1);
  bench.refuse_writes(false);
  REQUIRE(bench.run_until([&] { return bench.rows("outbox") == 0; }, 5s));
  CHECK(adapter.sent.size() == 1);
}

TEST_CASE("pump: a later postponement never pushes back the wake-up for an earlier row") {
  Bench bench;
  FakeAdapter adapter;
  adapter.store = bench.store.get();
  using Kind = transport::SendOutcome::Kind;
  int a_tries = 0;
  adapter.answer = [&](const std::string& body) {
    if (body == "a" && a_tries++ == 0) return transport::SendOutcome::of(Kind::retry_after, 100);
    if (body == "b") return transport::SendOutcome::of(Kind::retry_after, 60 * 1000);
    return transport::SendOutcome::of(Kind::delivered);
  };
  transport::OutboxPump pump(bench.io, *bench.store, adapter, {}, "test", 16);
  queue(*bench.store, "a", "a");
  queue(*bench.store, "b", "b");
  pump.flush();
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(bench.run_until([&] { return a_tries == 2; }, 3s));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("pump: the gate's drop removes the row unsent, its wait keeps it") {
  Bench bench;
  FakeAdapter adapter;
  adapter.store = bench.store.get();
  transport::OutboxPump::Gate gate =
      [](const std::string& address, storage::Audience,
         const std::optional<storage::Bytes>&) -> storage::Result<storage::Clearance> {
    if (address == "dropped") return storage::Clearance::drop;
    if (address == "waiting") return storage::Clearance::wait;
    return storage::Clearance::send;
  };
  transport::OutboxPump pump(bench.io, *bench.store, adapter, gate, "test", 16);
  queue(*bench.store, "dropped", "secret");
  queue(*bench.store, "waiting", "later");
  queue(*bench.store, "fine", "hello");
  pump.flush();
  REQUIRE(bench.run_until([&] { return adapter.sent.size() == 1; }));
  bench.settle(100ms);
  CHECK(adapter.sent == std::vector<std::string>{"hello"});
  CHECK(pump.status().withheld == 1);
  CHECK(bench.rows("outbox") == 1);  // the waiting one
}

TEST_CASE(
    "take-in: while messages come one at a time each is taken at once, and a new connection "
    "gathers again") {
  Bench bench;
  std::vector<std::string> taken, acks;
  transport::TakeIn::Hooks hooks;
  hooks.read = read_text;
  hooks.received = [&](const transport::Inbound& inbound) -> storage::Result<void> {
    taken.push_back(inbound.text);
    return {};
  };
  transport::TakeIn take_in(bench.io, *bench.store, hooks, "test");
  // Turns of the loop without waiting: a timer (the gather) never fires in them.
  const auto turns = [&] {
    for (int i = 0; i < 10; ++i) {
      bench.io.restart();
      bench.io.poll();
    }
  };
  // The first message of a connection: what was stored meanwhile may follow, so it gathers.
  take_in.arrive(relayed("a", 1, "first", acks));
  turns();
  CHECK(taken.empty());
  REQUIRE(bench.run_until([&] { return taken.size() == 1; }));
  // That batch took one: the next is taken without waiting.
  take_in.arrive(relayed("a", 2, "second", acks));
  turns();
  CHECK(taken == std::vector<std::string>{"first", "second"});
  // A new connection: gathering again.
  take_in.drop_unacknowledged();
  take_in.arrive(relayed("a", 3, "third", acks));
  turns();
  CHECK(taken.size() == 2);
  REQUIRE(bench.run_until([&] { return taken.size() == 3; }));
}

TEST_CASE(
    "pump: what is prepared in the take-in's transaction leaves only after its commit, and "
    "nothing of it after a rollback") {
  Bench bench;
  FakeAdapter adapter;
  adapter.store = bench.store.get();
  transport::OutboxPump pump(bench.io, *bench.store, adapter, {}, "test", 16);
  {
    auto group = bench.store->db().begin_group();
    REQUIRE(group.ok());
    queue(*bench.store, "a", "rolled back");
    pump.prepare();
    CHECK(adapter.sent.empty());
    pump.prepared(false);  // the group is dropped: rolled back
  }
  bench.settle(50ms);
  CHECK(adapter.sent.empty());
  CHECK(pump.status().in_flight == 0);
  {
    auto group = bench.store->db().begin_group();
    REQUIRE(group.ok());
    queue(*bench.store, "a", "kept");
    pump.prepare();
    CHECK(adapter.sent.empty());
    REQUIRE(group->commit().ok());
    pump.prepared(true);
  }
  CHECK(adapter.sent == std::vector<std::string>{"kept"});
  REQUIRE(bench.run_until([&] { return bench.rows("outbox") == 0; }));
  CHECK(adapter.sent == std::vector<std::string>{"kept"});
}

namespace {

// A transport that seals a recipient's later rows with the first (the relay's).
class SealingAdapter : public FakeAdapter {
 public:
  std::vector<std::string> sealed;  // bodies, in the order sealed
  bool seals_ahead() const override { return true; }
  storage::Result<void> seal(const storage::Outbox::Waiting& row, const std::string&) override {
    auto body = storage::Outbox(*store).body(row.id);
    REQUIRE(body.ok());
    sealed.push_back(body.value());
    // As the relay's: the ciphertext is kept in the row, which is then sealed.
    auto mark = store->db().prepare("UPDATE outbox SET ciphertext = x'00' WHERE id = ?1");
    REQUIRE(mark.ok());
    return mark->bind(1, row.id).run();
  }
};

}  // namespace

TEST_CASE(
    "pump: a recipient's later rows are sealed with the first, each cleared by the gate, and "
    "still leave one at a time in order") {
  Bench bench;
  SealingAdapter adapter;
  adapter.store = bench.store.get();
  adapter.answer_later = true;
  int gate_asked = 0;
  transport::OutboxPump::Gate gate =
      [&](const std::string&, storage::Audience audience,
          const std::optional<storage::Bytes>&) -> storage::Result<storage::Clearance> {
    ++gate_asked;
    return audience == storage::Audience::staff ? storage::Clearance::wait
                                                : storage::Clearance::send;
  };
  transport::OutboxPump pump(bench.io, *bench.store, adapter, gate, "test", 16);
  queue(*bench.store, "a", "a1");
  queue(*bench.store, "a", "a2");
  queue(*bench.store, "a", "a3");
  REQUIRE(storage::Outbox(*bench.store).queue("a", "a4", 1, storage::Audience::staff).ok());
  queue(*bench.store, "a", "a5");
  pump.flush();
  REQUIRE(bench.run_until([&] { return adapter.later.size() == 1; }));
  // One turn sealed a1 and, behind it, a2 and a3; a4 waits for the gate, and a5 behind it.
  CHECK(adapter.sealed == std::vector<std::string>{"a1", "a2", "a3"});
  CHECK(adapter.sent == std::vector<std::string>{"a1"});
  CHECK(gate_asked == 4);
  // The rest leave one at a time, each cleared again as it leaves.
  for (int i = 0; i < 2; ++i) {
    for (auto& finish : std::exchange(adapter.later, {})) finish();
    REQUIRE(bench.run_until([&] { return adapter.later.size() == 1; }));
  }
  CHECK(adapter.sent == std::vector<std::string>{"a1", "a2", "a3"});
  CHECK(adapter.most_in_flight_to_one == 1);
}
