#include "bot/cases/timer_payloads.hpp"

#include <charconv>
#include <optional>

namespace gvo::cases {
namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Reads a subject word by word: literal words and non-negative decimal numbers, one space
// between them, nothing left over (a trailing space allowed: prefixes end with one).
class SubjectReader {
 public:
  explicit SubjectReader(std::string_view text) : rest_(text) {}

  bool word(std::string_view expected) {
    if (rest_.substr(0, expected.size()) != expected) return false;
    rest_.remove_prefix(expected.size());
    return space();
  }

  template <typename Int>
  std::optional<Int> number() {
    Int value = 0;
    if (rest_.empty() || rest_.front() < '0' || rest_.front() > '9') return std::nullopt;
    const auto [end, error] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value);
    if (error != std::errc()) return std::nullopt;
    rest_.remove_prefix(static_cast<std::size_t>(end - rest_.data()));
    if (!space()) return std::nullopt;
    return value;
  }

  bool done() const { return rest_.empty(); }

 private:
  // One space after a word, or the end of the text.
  bool space() {
    if (rest_.empty()) return true;
    if (rest_.front() != ' ') return false;
    rest_.remove_prefix(1);
    return !rest_.empty() ? rest_.front() != ' ' : true;
  }

  std::string_view rest_;
};

TimerResult<TimerPayload> malformed(std::string_view kind) {
  return core::fail(TimerErrc::malformed_subject, "a " + std::string(kind) + " timer");
}

}  // namespace

std::string peer_timers_prefix(std::int64_t peer) { return "peer " + std::to_string(peer) + " "; }

std::string case_timers_prefix(std::int64_t case_id) {
  return "case " + std::to_string(case_id) + " ";
}

StoredTimer encode(const TimerPayload& timer) {
  return std::visit(
      Overloaded{
          [](const ConversationWait& wait) {
            return StoredTimer{
                wait.kind == flows::TimerKind::reminder ? kReminderTimer : kTimeoutTimer,
                peer_timers_prefix(wait.peer) + "wait " + std::to_string(wait.wait)};
          },
          [](const DeadlineAlert& alert) {
            return StoredTimer{kDeadlineTimer, case_timers_prefix(alert.case_id) + "day " +
                                                   std::to_string(alert.days)};
          },
          [](const DailyPurge&) {
            return StoredTimer{kPurgeTimer, "daily"};
          },
          [](const ForgetPeer& forget) {
            return StoredTimer{kForgetPeerTimer, peer_timers_prefix(forget.peer)};
          },
          [](const StaffNews&) {
            return StoredTimer{kStaffNewsTimer, "batch"};
          },
          [](const DailyDigest&) {
            return StoredTimer{kDigestTimer, "daily"};
          },
      },
      timer);
}

TimerResult<TimerPayload> decode(std::string_view kind, std::string_view subject) {
  SubjectReader read(subject);
  if (kind == kReminderTimer || kind == kTimeoutTimer) {
    if (!read.word("peer")) return malformed(kind);
    const auto peer = read.number<std::int64_t>();
    if (!peer || !read.word("wait")) return malformed(kind);
    const auto wait = read.number<int>();
    if (!wait || !read.done()) return malformed(kind);
    const auto timer_kind =
        kind == kReminderTimer ? flows::TimerKind::reminder : flows::TimerKind::timeout;
    return TimerPayload{ConversationWait{timer_kind, *peer, *wait}};
  }
  if (kind == kDeadlineTimer) {
    if (!read.word("case")) return malformed(kind);
    const auto id = read.number<std::int64_t>();
    if (!id || !read.word("day")) return malformed(kind);
    const auto days = read.number<int>();
    if (!days || !read.done()) return malformed(kind);
    return TimerPayload{DeadlineAlert{*id, *days}};
  }
  if (kind == kPurgeTimer) {
    if (!read.word("daily") || !read.done()) return malformed(kind);
    return TimerPayload{DailyPurge{}};
  }
  if (kind == kForgetPeerTimer) {
    if (!read.word("peer")) return malformed(kind);
    const auto peer = read.number<std::int64_t>();
    if (!peer || !read.done()) return malformed(kind);
    return TimerPayload{ForgetPeer{*peer}};
  }
  if (kind == kStaffNewsTimer) {
    if (!read.word("batch") || !read.done()) return malformed(kind);
    return TimerPayload{StaffNews{}};
  }
  if (kind == kDigestTimer) {
    if (!read.word("daily") || !read.done()) return malformed(kind);
    return TimerPayload{DailyDigest{}};
  }
  return core::fail(TimerErrc::unknown_kind, "a timer of an unknown kind");
}

}  // namespace gvo::cases
