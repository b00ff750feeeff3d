#include "bot/relay/claim_code.hpp"

namespace gvo::relay {
namespace {

// Crockford's base32: no I, L, O or U, which are misread.
constexpr std::string_view kDigits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kCodeDigits = kClaimCodeBits / 5;
constexpr std::size_t kGroup = 4;

}  // namespace

std::string format_claim_code(std::uint64_t bits) {
  std::string code;
  for (std::size_t i = 0; i < kCodeDigits; ++i) {
    if (i > 0 && i % kGroup == 0) code += '-';
    const std::size_t shift = 5 * (kCodeDigits - 1 - i);
    code += kDigits[(bits >> shift) & 0x1f];
  }
  return code;
}

std::optional<std::string> canonical_claim_code(std::string_view typed) {
  std::string code;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (kDigits.find(c) == std::string_view::npos || code.size() == kCodeDigits) {
      return std::nullopt;
    }
    code += c;
  }
  if (code.size() != kCodeDigits) return std::nullopt;
  return code;
}

}  // namespace gvo::relay
