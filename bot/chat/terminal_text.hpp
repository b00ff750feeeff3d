// What gvo-chat shows of a received message: text that cannot drive the terminal. Control
// characters (an escape sequence could set the clipboard, OSC 52, or rewrite the screen) and
// bidirectional overrides (text that reads otherwise than it is) are shown as escapes. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gvo::chat {

// The longest line gvo-chat sends or shows, in bytes (the relay takes 64 KiB of ciphertext).
inline constexpr std::size_t kMaxLineBytes = 16 * 1024;

// text with each control character as \xNN (newline and tab kept), each bidirectional control
// and C1 control as <U+XXXX>, and each byte that is not UTF-8 as \xNN.
[[nodiscard]] std::string visible_text(std::string_view text);

}  // namespace gvo::chat
