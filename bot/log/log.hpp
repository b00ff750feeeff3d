// One-line logs on stderr for gvo-bot and its tools. Under systemd (or whenever stderr is not a
// terminal) each line starts with an sd-daemon priority prefix such as "<3>", which journald reads.
// Never pass message text or personal data: name peers by their keyed hash, cases by reference.
// Call from the loop's thread; each line is one write(2), so lines never interleave. A leaf: it
// links nothing of ours, so every module can log.
#pragma once

#include <string_view>

namespace gvo::log {

// Most severe first: a level shows itself and every level before it.
enum class Level { error, warning, notice, info, debug };

void set_level(Level level);
void set_program_name(std::string_view name);

void error(std::string_view line);
void warning(std::string_view line);
void notice(std::string_view line);
void info(std::string_view line);
void debug(std::string_view line);

}  // namespace gvo::log
