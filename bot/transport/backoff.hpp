// Reconnection delays shared by the transports' clients: exponential backoff with full jitter,
// each wait drawn from [delay/2, delay], the delay doubling up to a ceiling, back to the first one
// once connected.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace gvo::transport {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds most)
      : first_(first), most_(most), delay_(first), random_(std::random_device{}()) {}

  std::chrono::milliseconds next() {
    std::uniform_int_distribution<long> draw(delay_.count() / 2, delay_.count());
    const auto wait = std::chrono::milliseconds(draw(random_));
    delay_ = std::min(delay_ * 2, most_);
    return wait;
  }

  void reset() { delay_ = first_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds most_;
  std::chrono::milliseconds delay_;
  std::mt19937 random_;
};

}  // namespace gvo::transport
