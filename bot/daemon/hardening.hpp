// What each of our programs does to itself first, whoever starts it (systemd or a shell): no core
// file and no ptrace attach by other processes of the same user, since its memory holds the
// sealing key, account secrets and, while it works, people's messages. Called once from main.
#pragma once

#include <string>

namespace gvo::daemon {

// Turns core dumps off (RLIMIT_CORE 0, not raisable again) and marks the process not dumpable.
// SIGXFSZ is ignored: a file that may not grow fails the write instead of ending the process.
// Returns what could not be done, for a warning; empty when all was.
std::string harden_process();

}  // namespace gvo::daemon
