// Base64 (RFC 4648, with padding) for bytes carried in JSON. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gvo::core {

std::string base64_encode(const std::vector<std::uint8_t>& bytes);
// Nothing when text is not canonical base64 (wrong characters, length or padding).
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace gvo::core
