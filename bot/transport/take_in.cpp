#include "bot/transport/take_in.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/log/log.hpp"
#include "storage/inbox.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {
namespace {

namespace asio = boost::asio;

// A message that arrives while messages come in bursts waits this long for the rest of its burst:
// they share one fsync instead of paying one each, and a staff message within it is seen, and
// taken, first. One that comes while they come one at a time (each alone in its batch, with a
// quiet spell before it) is taken at once.
constexpr auto kGather = std::chrono::milliseconds(3);
// Batches of at most this many messages mean they come one at a time: no gathering.
constexpr std::size_t kAloneBatch = 1;
// Before the first batch of a connection, the messages stored for the bot meanwhile come at once.
constexpr std::size_t kUnknownBatch = std::numeric_limits<std::size_t>::max();
// While frames keep coming, this many turns in a row are given to reading them before a batch is
// taken in (the relay keeps up to 64 deliveries in flight): a staff message behind a burst of
// strangers' is seen, and taken first.
constexpr int kYieldTurns = 64;
constexpr std::size_t kMostPerCommit = 256;
constexpr std::int64_t kFirstRetryMs = 50;
// Unreadable messages: the first ones are logged one by one, then one line in a thousand.
constexpr std::uint64_t kUnreadableLoggedEach = 20;

}  // namespace

std::string peer_log_name(const storage::Store& store, const std::string& address) {
  const auto hash = store.sealer().blind_index("log peer", address);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string name = "peer ";
  for (std::size_t i = 0; i < 4; ++i) {
    name += kDigits[hash[i] >> 4];
    name += kDigits[hash[i] & 0x0f];
  }
  return name;
}

class TakeIn::Impl : public std::enable_shared_from_this<TakeIn::Impl> {
 public:
  Impl(asio::io_context& io, storage::Store& store, Hooks hooks, std::string log_prefix,
       Clock clock)
      : io_(io),
        store_(store),
        hooks_(std::move(hooks)),
        prefix_(std::move(log_prefix)),
        clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }),
        gap_timer_(io),
        retry_timer_(io) {}

  void arrive(Arrival arrival) {
    if (stopped_) return;
    const bool priority = arrival.priority;
    // Quiet: nothing came in the gather's time before this one.
    const auto now = std::chrono::steady_clock::now();
    const bool quiet = now - last_arrival_ >= kGather;
    last_arrival_ = now;
    waiting_.push_back(Waiting{std::move(arrival)});
    arrived_ = true;
    if (priority) {
      priority_waiting_ = true;
      return run_soon();
    }
    if (gap_armed_ || run_posted_) return;
    // Messages come one at a time (alone in their batches, and a quiet spell before each): this
    // one is taken at once (the next turn).
    if (last_batch_ <= kAloneBatch && quiet) return run_soon();
    // They come in bursts (or the connection is new: what was stored meanwhile comes now): the
    // rest of this one's burst is given a moment to come in, so that it commits once and a staff
    // message within it is seen, and taken, first.
    gap_armed_ = true;
    gap_timer_.expires_after(kGather);
    gap_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      auto self = weak.lock();
      if (!self) return;
      self->gap_armed_ = false;
      if (!error) self->run_soon();
    });
  }

  void drop_unacknowledged() {
    last_batch_ = kUnknownBatch;  // the next connection begins with what was stored meanwhile
    waiting_.erase(
        std::remove_if(waiting_.begin(), waiting_.end(),
                       [](const Waiting& each) { return bool(each.arrival.acknowledge); }),
        waiting_.end());
    status_.waiting = waiting_.size();
  }

  void resume_kept() {
    storage::Inbox inbox(store_);
    auto kept = inbox.due(std::numeric_limits<std::int64_t>::max(), 100000);
    if (!kept) {
      log::error(prefix_ + ": kept messages cannot be read (" + storage::describe(kept.error()) +
                 "); tried again at the next connection");
      return;
    }
    std::set<std::int64_t> known;
    for (const auto& each : waiting_) known.insert(each.arrival.kept_id);
    std::deque<Waiting> older;
    for (auto& message : kept.value()) {
      if (known.count(message.id) != 0) continue;
      Arrival arrival;
      arrival.peer = std::move(message.address);
      arrival.sent_at_ms = message.sent_at_ms;
      arrival.text = std::move(message.text);
      arrival.text_kind = message.kind;
      arrival.kept_id = message.id;
      older.push_back(Waiting{std::move(arrival)});
    }
    if (older.empty()) return;
    // Kept messages came before anything waiting in memory that is not kept yet.
    for (auto& each : waiting_) older.push_back(std::move(each));
    waiting_ = std::move(older);
    status_.waiting = waiting_.size();
    run_soon();
  }

  void set_longest_retry(std::chrono::milliseconds longest) { longest_retry_ms_ = longest.count(); }

  void stop() {
    stopped_ = true;
    gap_timer_.cancel();
    retry_timer_.cancel();
  }

  const TakeInStatus& status() const { return status_; }

 private:
  struct Waiting {
    Arrival arrival;
  };
  // How one message of a batch went.
  enum class Outcome { taken, duplicate, unreadable, sessionless, settled, declined, failed };
  struct Taken {
    std::size_t index;
    Outcome outcome;
    Inbound inbound;
    std::function<void()> then;
  };
  struct PeerRetry {
    int attempts = 0;
    std::int64_t due_ms = 0;
  };

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch())
        .count();
  }

  void run_soon() {
    if (run_posted_ || stopped_) return;
    run_posted_ = true;
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->run_posted_ = false;
        self->run();
      }
    });
  }

  // One batch: what is waiting and may be taken now, in one transaction.
  void run() {
    if (stopped_ || waiting_.empty()) return;
    if (std::exchange(arrived_, false) && !priority_waiting_ && yielded_ < kYieldTurns) {
      ++yielded_;  // more came in the last turn: read it first
      return run_soon();
    }
    yielded_ = 0;
    priority_waiting_ = false;
    // Staff first; each sender's messages keep their order (a sender is staff or not).
    const auto first_other =
        std::find_if(waiting_.begin(), waiting_.end(),
                     [](const Waiting& each) { return !each.arrival.priority; });
    if (std::any_of(first_other, waiting_.end(),
                    [](const Waiting& each) { return each.arrival.priority; })) {
      ++status_.taken_first;
      std::stable_partition(waiting_.begin(), waiting_.end(),
                            [](const Waiting& each) { return each.arrival.priority; });
    }
    const std::int64_t now = now_ms();
    auto group = store_.db().begin_group();
    if (!group) return failed_batch(storage::describe(group.error()), now);

    std::set<std::string> blocked;  // senders with a message that waits: nothing after it goes
    std::set<std::string> failed;   // of those, the ones whose message failed in this batch
    std::vector<Taken> taken;
    std::string failure;
    std::vector<std::pair<std::size_t, std::int64_t>> kept_now;  // (index, inbox row) this batch
    for (std::size_t i = 0; i < waiting_.size() && taken.size() < kMostPerCommit; ++i) {
      const Arrival& arrival = waiting_[i].arrival;
      if (blocked.count(arrival.peer) != 0) continue;
      if (const auto retry = retries_.find(arrival.peer);
          retry != retries_.end() && retry->second.due_ms > now) {
        blocked.insert(arrival.peer);
        continue;
      }
      Taken one{i, Outcome::failed, {}, {}};
      std::string why;
      const auto unit = take_one(arrival, one, why, now);
      if (unit && one.outcome != Outcome::failed) {
        taken.push_back(std::move(one));
        continue;
      }
      if (failure.empty()) failure = unit ? why : storage::describe(unit.error());
      blocked.insert(arrival.peer);
      failed.insert(arrival.peer);
      ++status_.failed_tries;
    }
    // What waits and nobody would bring again (signal-cli's) is kept, sealed, in this commit.
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
      const Arrival& arrival = waiting_[i].arrival;
      if (arrival.acknowledge || arrival.kept_id != 0 || blocked.count(arrival.peer) == 0 ||
          arrival.key_change || !arrival.unreadable.empty())
        continue;
      auto kept = storage::Inbox(store_).hold(arrival.peer, arrival.sent_at_ms, arrival.text,
                                              arrival.text_kind, now, now);
      if (kept) kept_now.emplace_back(i, kept.value());
    }
    if (hooks_.before_commit) hooks_.before_commit();
    if (auto committed = group->commit(); !committed) {
      if (hooks_.commit_failed) hooks_.commit_failed();
      return failed_batch(storage::describe(committed.error()), now);
    }
    ++status_.commits;
    last_batch_ = taken.size();
    for (const auto& [index, id] : kept_now) {
      waiting_[index].arrival.kept_id = id;
      ++status_.kept;
    }
    settle(taken);
    // Only a failure moves a sender's next try back: one still waiting for its try keeps it.
    for (const auto& peer : failed) note_failure(peer, now);
    if (!failure.empty()) {
      storage_failed(failure);
    } else if (failing_) {
      failing_ = false;
      log::notice(prefix_ + ": messages are taken in again (" + std::to_string(failed_in_episode_) +
                  " tries had failed)");
      failed_in_episode_ = 0;
      if (hooks_.storage_failing) hooks_.storage_failing(false);
    }
    if (hooks_.after_commit) hooks_.after_commit();
    schedule_next(now);
  }

  // The message in a savepoint of the batch's transaction; the transport's reading of it in a
  // savepoint of its own, undone when the message cannot be read (a ciphertext that cannot be
  // read now never will be: whatever the attempt wrote goes, unless the reading says it stays).
  storage::Result<void> take_one(const Arrival& arrival, Taken& one, std::string& why,
                                 std::int64_t now) {
    auto unit = store_.db().transact([&]() -> storage::Result<void> {
      storage::Peers peers(store_);
      auto known = peers.find(arrival.peer);
      if (!known) return std::move(known).error();
      if (known.value() && !arrival.key_change) {
        auto seen = seen_before(*known.value(), arrival.sent_at_ms);
        if (!seen) return std::move(seen).error();
        if (seen.value()) {
          one.outcome = Outcome::duplicate;
          return forget_kept(arrival);
        }
      }
      Reading reading;
      const auto read = store_.db().transact([&]() -> storage::Result<void> {
        reading = hooks_.read(arrival);
        const bool unread =
            reading.kind == Reading::Kind::unreadable || reading.kind == Reading::Kind::sessionless;
        if (reading.kind == Reading::Kind::failed || reading.kind == Reading::Kind::declined ||
            (unread && !reading.wrote))
          return storage::fail(storage::Errc::sql_failed, "not read");
        return {};
      });
      one.then = std::move(reading.then);
      switch (reading.kind) {
        case Reading::Kind::failed:
          why = reading.why;
          return storage::fail(storage::Errc::sql_failed, reading.why);
        case Reading::Kind::unreadable:
          one.outcome = Outcome::unreadable;
          log_unreadable(arrival.peer, reading.why);
          return {};
        case Reading::Kind::sessionless:
          one.outcome = Outcome::sessionless;
          log_unreadable(arrival.peer, reading.why);
          // They are asked to write again (a new session), in this savepoint.
          if (hooks_.sessionless) {
            if (auto told = hooks_.sessionless(arrival.peer); !told) {
              why = "the owner: " + storage::describe(told.error());
              return told;
            }
          }
          return {};
        case Reading::Kind::declined:
          one.outcome = Outcome::declined;
          return {};
        case Reading::Kind::nothing:
          if (!read) return read;
          one.outcome = Outcome::settled;
          return forget_kept(arrival);
        case Reading::Kind::text:
          if (!read) return read;
          break;
      }
      auto peer = known.value() ? storage::Result<storage::PeerId>(*known.value())
                                : peers.find_or_add(arrival.peer, now / 1000);
      if (!peer) return std::move(peer).error();
      auto fresh = storage::first_time_seen(store_, peer.value(), arrival.sent_at_ms, now / 1000);
      if (!fresh) return std::move(fresh).error();
      if (!fresh.value()) {
        one.outcome = Outcome::duplicate;
        return forget_kept(arrival);
      }
      one.inbound =
          Inbound{arrival.peer, arrival.sent_at_ms, std::move(reading.text), reading.text_kind};
      if (hooks_.received) {
        if (auto done = hooks_.received(one.inbound); !done) {
          why = "the owner: " + storage::describe(done.error());
          return done;
        }
      }
      one.outcome = Outcome::taken;
      return forget_kept(arrival);
    });
    if (!unit) one.outcome = Outcome::failed;
    return unit;
  }

  storage::Result<void> forget_kept(const Arrival& arrival) {
    if (arrival.kept_id == 0) return {};
    return storage::Inbox(store_).remove(arrival.kept_id);
  }

  storage::Result<bool> seen_before(storage::PeerId peer, std::int64_t sent_at_ms) {
    auto seen =
        store_.db().prepare("SELECT 1 FROM inbound_seen WHERE peer_id = ?1 AND sent_at_ms = ?2");
    if (!seen) return std::move(seen).error();
    return seen->bind(1, peer).bind(2, sent_at_ms).step();
  }

  // After the commit: the transport told, the owner's after-commit work, in order.
  void settle(const std::vector<Taken>& taken) {
    std::vector<std::size_t> done;
    for (const auto& one : taken) {
      Arrival& arrival = waiting_[one.index].arrival;
      if (arrival.acknowledge && one.outcome != Outcome::declined) arrival.acknowledge();
      retries_.erase(arrival.peer);
      if (one.then) one.then();
      done.push_back(one.index);
      switch (one.outcome) {
        case Outcome::taken:
          ++status_.received;
          if (hooks_.committed) hooks_.committed(one.inbound);
          break;
        case Outcome::duplicate:
          ++status_.duplicates;
          break;
        default:
          break;
      }
    }
    std::sort(done.begin(), done.end());
    for (auto it = done.rbegin(); it != done.rend(); ++it)
      waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(*it));
    status_.waiting = waiting_.size();
  }

  // Nothing of the batch committed: every message in it waits, and is tried again.
  void failed_batch(const std::string& why, std::int64_t now) {
    // The senders that were tried (not those still waiting for their next try).
    std::set<std::string> peers;
    for (const auto& each : waiting_) {
      const auto retry = retries_.find(each.arrival.peer);
      if (retry == retries_.end() || retry->second.due_ms <= now) peers.insert(each.arrival.peer);
    }
    for (const auto& peer : peers) note_failure(peer, now);
    status_.failed_tries += waiting_.size();
    storage_failed(why);
    schedule_next(now);
  }

  void note_failure(const std::string& peer, std::int64_t now) {
    PeerRetry& retry = retries_[peer];
    const std::int64_t base =
        std::min<std::int64_t>(kFirstRetryMs << std::min(retry.attempts, 16), longest_retry_ms_);
    std::uniform_int_distribution<std::int64_t> jitter(0, base / 4);
    retry.due_ms = now + base + jitter(random_);
    ++retry.attempts;
  }

  void storage_failed(const std::string& why) {
    ++failed_in_episode_;
    if (failing_) return;
    failing_ = true;
    log::error(prefix_ + ": messages cannot be taken in now (" + why +
               "); they wait, in order, and are tried again");
    if (hooks_.storage_failing) hooks_.storage_failing(true);
  }

  void log_unreadable(const std::string& peer, const std::string& why) {
    ++status_.unreadable;
    if (status_.unreadable > kUnreadableLoggedEach && status_.unreadable % 1000 != 0) return;
    log::notice(prefix_ + ": a message from " + peer_log_name(store_, peer) +
                " could not be read (" + why + "); " + std::to_string(status_.unreadable) +
                " unreadable so far, dropped");
  }

  // What is waiting goes on: now if some of it may, else when the first retry is due.
  void schedule_next(std::int64_t now) {
    status_.waiting = waiting_.size();
    if (waiting_.empty()) return;
    std::int64_t next = 0;
    for (const auto& each : waiting_) {
      const auto retry = retries_.find(each.arrival.peer);
      const std::int64_t due = retry == retries_.end() ? now : retry->second.due_ms;
      if (due <= now) return run_soon();
      if (next == 0 || due < next) next = due;
    }
    retry_timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, next - now)));
    retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (auto self = weak.lock(); self && !error) self->run_soon();
    });
  }

  asio::io_context& io_;
  storage::Store& store_;
  Hooks hooks_;
  std::string prefix_;
  Clock clock_;
  asio::steady_timer gap_timer_;
  asio::steady_timer retry_timer_;
  std::deque<Waiting> waiting_;
  std::map<std::string, PeerRetry> retries_;
  std::int64_t longest_retry_ms_ = 2000;
  std::minstd_rand random_{std::random_device{}()};
  bool run_posted_ = false;
  bool gap_armed_ = false;
  bool arrived_ = false;
  bool priority_waiting_ = false;
  int yielded_ = 0;
  std::size_t last_batch_ = kUnknownBatch;  // messages the last batch took (bursts or not)
  std::chrono::steady_clock::time_point last_arrival_{};
  bool failing_ = false;
  std::uint64_t failed_in_episode_ = 0;
  bool stopped_ = false;
  TakeInStatus status_;
};

TakeIn::TakeIn(asio::io_context& io, storage::Store& store, Hooks hooks, std::string log_prefix,
               Clock clock)
    : impl_(std::make_shared<Impl>(io, store, std::move(hooks), std::move(log_prefix),
                                   std::move(clock))) {}
TakeIn::~TakeIn() { impl_->stop(); }
void TakeIn::arrive(Arrival arrival) { impl_->arrive(std::move(arrival)); }
void TakeIn::drop_unacknowledged() { impl_->drop_unacknowledged(); }
void TakeIn::resume_kept() { impl_->resume_kept(); }
void TakeIn::set_longest_retry(std::chrono::milliseconds longest) {
  impl_->set_longest_retry(longest);
}
void TakeIn::stop() { impl_->stop(); }
const TakeInStatus& TakeIn::status() const { return impl_->status(); }

}  // namespace gvo::transport
