// Who was told something lately, so that an answer not needed each time ("write it again", "I
// cannot see reactions") goes to a person once in a while, and to few people a minute in all,
// within a bound on memory. Time comes in; addresses stay in memory only. Pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

namespace gvo::cases {

class OnceInAWhile {
 public:
  using Clock = std::chrono::system_clock;
  using TimePoint = Clock::time_point;

  OnceInAWhile(Clock::duration again, int most_per_minute, std::size_t most_remembered)
      : again_(again), most_per_minute_(most_per_minute), most_remembered_(most_remembered) {}

  enum class Verdict {
    tell,         // nobody told them lately: tell them, then call told()
    told_lately,  // told within `again`
    too_many,     // too many told this minute, or too many remembered: not now
  };
  Verdict ask(const std::string& address, TimePoint now);
  void told(const std::string& address, TimePoint now);

 private:
  Clock::duration again_;
  int most_per_minute_;
  std::size_t most_remembered_;
  std::map<std::string, TimePoint> told_;
  TimePoint window_{};
  int in_window_ = 0;
};

}  // namespace gvo::cases
