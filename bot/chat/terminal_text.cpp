#include "bot/chat/terminal_text.hpp"

#include <cstdint>
#include <cstdio>

namespace gvo::chat {
namespace {

// Code points that reorder or hide text: marks, embeddings, overrides, isolates.
bool is_bidirectional_control(std::uint32_t code) {
  return code == 0x061C || code == 0x200E || code == 0x200F || (code >= 0x202A && code <= 0x202E) ||
         (code >= 0x2066 && code <= 0x2069);
}

std::string byte_escape(unsigned char byte) {
  char text[5];
  std::snprintf(text, sizeof text, "\\x%02x", byte);
  return text;
}

std::string code_point_escape(std::uint32_t code) {
  char text[12];
  std::snprintf(text, sizeof text, "<U+%04X>", static_cast<unsigned>(code));
  return text;
}

// The length of the UTF-8 sequence at text[at] and its code point; 0 when it is not one
// (overlong forms and surrogates included).
std::size_t decode(std::string_view text, std::size_t at, std::uint32_t& code) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char first = byte(0);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  if (first >= 0xC2 && first <= 0xDF) {
    length = 2, code = first & 0x1Fu, minimum = 0x80;
  } else if (first >= 0xE0 && first <= 0xEF) {
    length = 3, code = first & 0x0Fu, minimum = 0x800;
  } else if (first >= 0xF0 && first <= 0xF4) {
    length = 4, code = first & 0x07u, minimum = 0x10000;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3Fu);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::string visible_text(std::string_view text) {
  std::string shown;
  shown.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte < 0x80) {
      const bool control = (byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7F;
      shown += control ? byte_escape(byte) : std::string(1, static_cast<char>(byte));
      ++at;
      continue;
    }
    std::uint32_t code = 0;
    const std::size_t length = decode(text, at, code);
    if (length == 0) {
      shown += byte_escape(byte);
      ++at;
      continue;
    }
    if ((code >= 0x80 && code <= 0x9F) || is_bidirectional_control(code)) {
      shown += code_point_escape(code);
    } else {
      shown.append(text.substr(at, length));
    }
    at += length;
  }
  return shown;
}

}  // namespace gvo::chat
