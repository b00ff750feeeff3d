#include "bot/cases/once_in_a_while.hpp"

#include <iterator>

namespace gvo::cases {

OnceInAWhile::Verdict OnceInAWhile::ask(const std::string& address, TimePoint now) {
  if (now - window_ >= std::chrono::minutes(1)) {
    window_ = now;
    in_window_ = 0;
  }
  const auto told = told_.find(address);
  if (told != told_.end() && now - told->second < again_) return Verdict::told_lately;
  if (in_window_ >= most_per_minute_) return Verdict::too_many;
  if (told == told_.end() && told_.size() >= most_remembered_) {
    for (auto it = told_.begin(); it != told_.end();)
      it = now - it->second >= again_ ? told_.erase(it) : std::next(it);
    if (told_.size() >= most_remembered_) return Verdict::too_many;
  }
  return Verdict::tell;
}

void OnceInAWhile::told(const std::string& address, TimePoint now) {
  told_[address] = now;
  ++in_window_;
}

}  // namespace gvo::cases
