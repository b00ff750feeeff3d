#include "bot/transport/outbox_pump.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/log/log.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kPageRows = 64;
// At most this many pages a turn: rows queued far behind others wait for the next turns.
constexpr int kPagesPerTurn = 16;
constexpr std::int64_t kGateWaitMs = 1000;
// Storage that failed is tried again this often (not with the row's backoff: the row did nothing
// wrong), so that messages go on within a second of it working again.
constexpr std::int64_t kStorageRetryMs = 500;
// A pause of every send is at least this long, whatever the adapter says: a wrong hint (a wait
// of zero or less) cannot turn into a resend loop.
constexpr std::int64_t kShortestHoldMs = 1000;
// Rows behind a recipient's first one sealed with it, at most.
constexpr std::size_t kSealAhead = 16;

}  // namespace

class OutboxPump::Impl : public std::enable_shared_from_this<OutboxPump::Impl> {
 public:
  Impl(asio::io_context& io, storage::Store& store, PumpAdapter& adapter, Gate gate,
       std::string log_prefix, std::size_t window, Clock clock)
      : io_(io),
        store_(store),
        adapter_(adapter),
        gate_(std::move(gate)),
        prefix_(std::move(log_prefix)),
        window_(std::max<std::size_t>(1, window)),
        clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }),
        wake_timer_(io),
        sweep_timer_(io) {}

  void flush() {
    if (flush_posted_ || stopped_) return;
    flush_posted_ = true;
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->flush_posted_ = false;
        self->pump();
      }
    });
  }

  void prepare() {
    if (stopped_ || !adapter_.connected() || !store_.db().in_transaction()) return;
    const std::int64_t now = now_ms();
    if (now < paused_until_ms_) return;
    look_through(now, prepared_);
  }

  void prepared(bool committed) {
    std::vector<Cleared> cleared = std::move(prepared_);
    prepared_.clear();
    if (!committed) {
      // Rolled back: nothing of it was sealed. Tried again on the pump's next turn.
      for (const auto& each : cleared) {
        busy_.erase(each.row.peer);
        --status_.in_flight;
      }
      if (!cleared.empty()) flush();
      return;
    }
    if (!cleared.empty()) storage_works();
    for (auto& each : cleared) hand_over(each);
  }

  void resume(const std::string& address, std::optional<SendOutcome> failure) {
    const auto it = waiting_for_.find(address);
    if (it == waiting_for_.end()) return flush();
    const storage::Outbox::Waiting row = it->second;
    waiting_for_.erase(it);
    busy_.erase(row.peer);
    if (failure) apply(row, *failure);
    flush();
  }

  void disconnected() {
    ++generation_;  // answers still to come for the old connection change nothing
    busy_.clear();
    waiting_for_.clear();
    status_.in_flight = 0;
  }

  void stop() {
    stopped_ = true;
    wake_timer_.cancel();
    sweep_timer_.cancel();
  }

  const PumpStatus& status() const { return status_; }

 private:
  enum class Busy { in_flight, waiting };

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch())
        .count();
  }

  // Reads the outbox a page at a time, past the rows that wait behind a recipient's first one,
  // until the window is full: a long answer to one person does not hold back a reply to another.
  // What the gate decides and the adapter seals for the rows of one turn commits once (one
  // fsync), before any of them leaves.
  void pump() {
    if (stopped_ || !adapter_.connected()) return;
    const std::int64_t now = now_ms();
    if (now < paused_until_ms_) return wake_at(paused_until_ms_);
    auto group = store_.db().begin_group();
    if (!group) {
      storage_failed("the outbox cannot be written: " + storage::describe(group.error()));
      return wake_at(now + kStorageRetryMs);
    }
    std::vector<Cleared> cleared;
    look_through(now, cleared);
    if (auto committed = group->commit(); !committed) {
      storage_failed("what the gate decided could not be committed: " +
                     storage::describe(committed.error()));
      for (const auto& each : cleared) {
        busy_.erase(each.row.peer);
        --status_.in_flight;
        retry_at_[each.row.peer] = now + kStorageRetryMs;
      }
      return wake_at(now + kStorageRetryMs);
    }
    if (!cleared.empty()) storage_works();
    for (auto& each : cleared) hand_over(each);
  }

  struct Cleared {
    storage::Outbox::Waiting row;
    std::string address;
    bool more = false;
  };

  void look_through(std::int64_t now, std::vector<Cleared>& cleared) {
    storage::Outbox outbox(store_);
    std::set<storage::PeerId> seen;  // recipients whose first waiting row was looked at
    std::int64_t after_id = 0;
    for (int page = 0; page < kPagesPerTurn && room(); ++page) {
      auto rows = outbox.waiting(kPageRows, after_id);
      if (!rows)
        return storage_failed("the outbox cannot be read: " + storage::describe(rows.error()));
      if (rows->empty()) break;
      after_id = rows->back().id;
      for (const auto& row : rows.value()) {
        if (handed_over_.count(row.id) != 0) continue;  // sent; its removal is on its way
        if (!seen.insert(row.peer).second || busy_.count(row.peer) != 0) continue;
        if (const auto retry = retry_at_.find(row.peer); retry != retry_at_.end()) {
          if (retry->second > now) {
            wake_at(retry->second);
            continue;
          }
          retry_at_.erase(retry);
        }
        if (row.due_ms > now) {
          wake_at(row.due_ms);
          continue;
        }
        if (!room()) break;
        start(row, now, cleared);
      }
    }
  }

  bool room() const {
    if (one_at_a_time_ && status_.in_flight > 0) return false;
    return status_.in_flight < window_;
  }

  // The gate, then the adapter's sealing, in a savepoint of the turn's transaction.
  void start(const storage::Outbox::Waiting& row, std::int64_t now, std::vector<Cleared>& cleared) {
    auto address = storage::Peers(store_).address(row.peer);
    if (!address) {
      storage_failed("a recipient cannot be read: " + storage::describe(address.error()));
      retry_at_[row.peer] = now + kStorageRetryMs;
      return;
    }
    const PumpAdapter::Key key = adapter_.key_for(address.value(), row);
    if (key.pending) return wait_for(address.value(), row);
    storage::Clearance clearance = storage::Clearance::send;
    const auto decided = store_.db().transact([&]() -> storage::Result<void> {
      if (gate_) {
        auto verdict = gate_(address.value(), row.audience, key.key);
        if (!verdict) return std::move(verdict).error();
        clearance = verdict.value();
      }
      switch (clearance) {
        case storage::Clearance::drop:
          return storage::Outbox(store_).remove(row.id);
        case storage::Clearance::wait:
          return {};
        case storage::Clearance::send:
          break;
      }
      return adapter_.seal(row, address.value());
    });
    if (!decided) {
      storage_failed("a message could not be prepared: " + storage::describe(decided.error()));
      retry_at_[row.peer] = now + kStorageRetryMs;
      return wake_at(now + kStorageRetryMs);
    }
    if (clearance == storage::Clearance::drop) {
      ++status_.withheld;
      log::notice(prefix_ + ": a message was withheld: its recipient may not receive it now (" +
                  std::to_string(status_.withheld) + " so far)");
      return flush();  // the recipient's next row may go
    }
    if (clearance == storage::Clearance::wait) {
      if (adapter_.refresh_key(address.value())) return wait_for(address.value(), row);
      if (!storage::Outbox(store_).delay(row.id, now + kGateWaitMs))
        retry_at_[row.peer] = now + kGateWaitMs;
      return wake_at(now + kGateWaitMs);
    }
    bool more = false;
    if (adapter_.wants_more()) {
      const auto behind = storage::Outbox(store_).more_after(row.peer, row.id);
      more = behind && behind.value();
    }
    if (adapter_.seals_ahead()) seal_ahead(row, address.value(), key, now);
    busy_[row.peer] = Busy::in_flight;
    ++status_.in_flight;
    cleared.push_back({row, std::move(address).value(), more});
  }

  // The rows due behind a recipient's first one, sealed in the same transaction (each cleared by
  // the gate, which is asked again when it leaves); the first the gate does not clear, and all
  // after it, wait for their own turn. A failure undoes that row's sealing alone.
  void seal_ahead(const storage::Outbox::Waiting& first, const std::string& address,
                  const PumpAdapter::Key& key, std::int64_t now) {
    auto behind = storage::Outbox(store_).unsealed_after(first.peer, first.id, kSealAhead);
    if (!behind) return;
    for (const auto& row : behind.value()) {
      if (row.due_ms > now) return;
      bool cleared = true;
      const auto sealed = store_.db().transact([&]() -> storage::Result<void> {
        if (gate_) {
          auto verdict = gate_(address, row.audience, key.key);
          if (!verdict) return std::move(verdict).error();
          cleared = verdict.value() == storage::Clearance::send;
          if (!cleared) return {};
        }
        return adapter_.seal(row, address);
      });
      if (!sealed || !cleared) return;
    }
  }

  void hand_over(const Cleared& each) {
    adapter_.send(each.row, each.address, each.more,
                  [weak = weak_from_this(), row = each.row, address = each.address,
                   generation = generation_](SendOutcome outcome) {
                    auto self = weak.lock();
                    if (!self || generation != self->generation_) return;
                    self->on_done(row, address, std::move(outcome));
                  });
  }

  void wait_for(const std::string& address, const storage::Outbox::Waiting& row) {
    busy_[row.peer] = Busy::waiting;
    waiting_for_[address] = row;
  }

  void on_done(const storage::Outbox::Waiting& row, const std::string& address,
               SendOutcome outcome) {
    if (status_.in_flight > 0) --status_.in_flight;
    busy_.erase(row.peer);
    if (outcome.kind == SendOutcome::Kind::delivered && outcome.hold_recipient)
      wait_for(address, row);
    apply(row, outcome);
    flush();
  }

  void apply(const storage::Outbox::Waiting& row, const SendOutcome& outcome) {
    const std::int64_t now = now_ms();
    using Kind = SendOutcome::Kind;
    switch (outcome.kind) {
      case Kind::delivered:
        ++status_.sent;
        one_at_a_time_ = false;
        return remove_soon(row.id);
      case Kind::undeliverable:
        ++status_.undeliverable;
        log::notice(prefix_ + ": a message was dropped: " + outcome.why + " (" +
                    std::to_string(status_.undeliverable) + " so far)");
        return remove_soon(row.id);
      case Kind::retry_after:
        return postpone(row, now + std::max<std::int64_t>(outcome.wait_ms, 1));
      case Kind::failed:
        return postpone(row, now + backoff_ms(row.attempts));
      case Kind::hold_all:
        ++status_.retried;
        one_at_a_time_ = true;
        paused_until_ms_ =
            std::max(paused_until_ms_, now + std::max(outcome.wait_ms, kShortestHoldMs));
        return;
      case Kind::lost:
      case Kind::again:
        return;
    }
  }

  // A failed try, counted (the count sets the backoff); held in memory when even that cannot be
  // written, so that the row is not sent again at once.
  void postpone(const storage::Outbox::Waiting& row, std::int64_t due_ms) {
    ++status_.retried;
    if (auto done = storage::Outbox(store_).postpone(row.id, due_ms); !done) {
      storage_failed("a retry could not be recorded: " + storage::describe(done.error()));
      retry_at_[row.peer] = due_ms;
    }
    wake_at(due_ms);
  }

  // Rows handed over leave the outbox in one transaction a turn. Until that commits they are
  // never sent again (a full disk must not make the bot resend in a loop); a crash before it
  // sends them again once, never loses them.
  void remove_soon(std::int64_t id) {
    handed_over_.insert(id);
    to_remove_.push_back(id);
    if (to_remove_.size() > 1 || sweep_armed_) return;
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->sweep();
    });
  }

  void sweep() {
    if (to_remove_.empty()) return;
    storage::Outbox outbox(store_);
    const auto removed = store_.db().transact_without_sync([&]() -> storage::Result<void> {
      for (std::int64_t id : to_remove_) {
        if (auto gone = outbox.remove(id); !gone) return gone;
      }
      return {};
    });
    if (!removed) {
      storage_failed("sent messages cannot leave the outbox: " +
                     storage::describe(removed.error()));
      sweep_armed_ = true;
      sweep_timer_.expires_after(std::chrono::milliseconds(kStorageRetryMs));
      sweep_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
        if (auto self = weak.lock(); self && !error) {
          self->sweep_armed_ = false;
          self->sweep();
        }
      });
      return;
    }
    storage_works();
    for (std::int64_t id : to_remove_) handed_over_.erase(id);
    to_remove_.clear();
  }

  // 1 s, 2 s, 4 s ... up to 10 minutes, with up to a quarter more at random.
  std::int64_t backoff_ms(int attempts) {
    const std::int64_t base = std::min<std::int64_t>(1000LL << std::min(attempts, 20), 600 * 1000);
    std::uniform_int_distribution<std::int64_t> jitter(0, base / 4);
    return base + jitter(random_);
  }

  // One wake-up for the earliest row due: a later one never pushes it back.
  void wake_at(std::int64_t due_ms) {
    if (wake_armed_ && wake_due_ms_ <= due_ms) return;
    wake_armed_ = true;
    wake_due_ms_ = due_ms;
    wake_timer_.expires_after(
        std::chrono::milliseconds(std::max<std::int64_t>(1, due_ms - now_ms())));
    wake_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      auto self = weak.lock();
      if (!self || error) return;  // cancelled: a nearer wake-up replaced this one
      self->wake_armed_ = false;
      self->pump();
    });
  }

  void storage_failed(const std::string& why) {
    if (std::exchange(storage_failing_, true)) return;
    log::error(prefix_ + ": " + why + "; messages wait in the outbox and are tried again");
  }

  void storage_works() {
    if (std::exchange(storage_failing_, false))
      log::notice(prefix_ + ": the outbox can be written again; messages go on");
  }

  asio::io_context& io_;
  storage::Store& store_;
  PumpAdapter& adapter_;
  Gate gate_;
  std::string prefix_;
  std::size_t window_;
  Clock clock_;
  asio::steady_timer wake_timer_;
  asio::steady_timer sweep_timer_;
  std::map<storage::PeerId, Busy> busy_;
  // Rows waiting for the adapter (a session, a reading of a key, a typing indicator), by address.
  std::map<std::string, storage::Outbox::Waiting> waiting_for_;
  std::map<storage::PeerId, std::int64_t> retry_at_;  // when storage could not record a retry
  std::set<std::int64_t> handed_over_;
  std::vector<std::int64_t> to_remove_;
  std::vector<Cleared> prepared_;  // cleared in the caller's transaction, not yet committed
  std::minstd_rand random_{std::random_device{}()};
  std::uint64_t generation_ = 0;
  std::int64_t paused_until_ms_ = 0;
  std::int64_t wake_due_ms_ = 0;
  bool wake_armed_ = false;
  bool sweep_armed_ = false;
  bool flush_posted_ = false;
  bool one_at_a_time_ = false;
  bool storage_failing_ = false;
  bool stopped_ = false;
  PumpStatus status_;
};

OutboxPump::OutboxPump(asio::io_context& io, storage::Store& store, PumpAdapter& adapter, Gate gate,
                       std::string log_prefix, std::size_t window, Clock clock)
    : impl_(std::make_shared<Impl>(io, store, adapter, std::move(gate), std::move(log_prefix),
                                   window, std::move(clock))) {}
OutboxPump::~OutboxPump() { impl_->stop(); }
void OutboxPump::flush() { impl_->flush(); }
void OutboxPump::prepare() { impl_->prepare(); }
void OutboxPump::prepared(bool committed) { impl_->prepared(committed); }
void OutboxPump::resume(const std::string& address, std::optional<SendOutcome> failure) {
  impl_->resume(address, std::move(failure));
}
void OutboxPump::disconnected() { impl_->disconnected(); }
void OutboxPump::stop() { impl_->stop(); }
const PumpStatus& OutboxPump::status() const { return impl_->status(); }

}  // namespace gvo::transport
