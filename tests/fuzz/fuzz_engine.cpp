// A whole conversation from fuzzed bytes: each line is a message, a line "\x01" fires the
// reminder, "\x02" the timeout, "\x03" saves and restores the session. Invariants: no crash,
// the session always survives its own JSON, replies are valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gvo::flows;
  const auto& world = gvo::fuzz::world();
  Session session = Engine::new_session(world.demo);
  TimePoint now = std::chrono::system_clock::from_time_t(1795683600);  // 2026-11-26 09:00 UTC
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  for (int turn = 0; start <= input.size() && turn < 64; ++turn) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    const std::string line = input.substr(start, end - start);
    start = end + 1;
    now += std::chrono::minutes(30);
    std::vector<Action> actions;
    if (line == "\x01" || line == "\x02") {
      const TimerKind kind = line == "\x01" ? TimerKind::reminder : TimerKind::timeout;
      actions = world.engine->step(world.demo, session, TimerFired{kind, session.wait}, now);
    } else if (line == "\x03") {
      auto restored = session_from_json(to_json(session));
      if (!restored) __builtin_trap();
      session = std::move(restored).value();
    } else {
      actions = world.engine->step(world.demo, session, Message{line}, now);
    }
    for (const auto& action : actions) {
      if (const auto* reply = std::get_if<Reply>(&action)) {
        if (!is_valid_utf8(reply->text)) __builtin_trap();
      }
    }
  }
  return 0;
}
