#include "bot/log/log.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace gvo::log {
namespace {

struct Settings {
  Level level = Level::info;
  std::string program = "gvo-bot";
  // journald sets JOURNAL_STREAM for a service's stderr; a pipe or file gets prefixes too.
  bool prefixes = std::getenv("JOURNAL_STREAM") != nullptr || isatty(STDERR_FILENO) == 0;
};

Settings& settings() {
  static Settings instance;
  return instance;
}

// The prefixes of sd-daemon(3): <3> error, <4> warning, <5> notice, <6> info, <7> debug.
char priority_digit(Level level) {
  switch (level) {
    case Level::error:
      return '3';
    case Level::warning:
      return '4';
    case Level::notice:
      return '5';
    case Level::info:
      return '6';
    case Level::debug:
      return '7';
  }
  return '6';
}

std::string_view name_of(Level level) {
  switch (level) {
    case Level::error:
      return "error";
    case Level::warning:
      return "warning";
    case Level::notice:
      return "notice";
    case Level::info:
      return "info";
    case Level::debug:
      return "debug";
  }
  return "info";
}

void write_line(Level level, std::string_view text) {
  const Settings& current = settings();
  if (static_cast<int>(level) > static_cast<int>(current.level)) return;
  std::string line;
  line.reserve(text.size() + current.program.size() + 16);
  if (current.prefixes) {
    line += '<';
    line += priority_digit(level);
    line += '>';
  }
  line += current.program;
  line += ": ";
  if (!current.prefixes && level != Level::info) {
    line += name_of(level);
    line += ": ";
  }
  // A line stays a line: a newline inside would let one entry pose as several.
  for (char c : text) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written <= 0) return;  // nowhere to report a failure to log
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

}  // namespace

void set_level(Level level) { settings().level = level; }
void set_program_name(std::string_view name) { settings().program = std::string(name); }

void error(std::string_view line) { write_line(Level::error, line); }
void warning(std::string_view line) { write_line(Level::warning, line); }
void notice(std::string_view line) { write_line(Level::notice, line); }
void info(std::string_view line) { write_line(Level::info, line); }
void debug(std::string_view line) { write_line(Level::debug, line); }

}  // namespace gvo::log
