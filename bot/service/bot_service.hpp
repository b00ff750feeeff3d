// The running bot: opens the sealed store, loads the flows, connects the transport the
// configuration names, and runs the loop until SIGINT or SIGTERM. Wires the desk to the shared
// message pipeline (bot/transport: take-in and outbox pump), rings the persisted timers, and does
// the work that waits for a commit (the WAL truncated after an erasure, a removed person
// forgotten by signal-cli too). One thread, the loop's.
#pragma once

#include "bot/core/config.hpp"

namespace gvo::service {

// Runs the bot; what the process exits with (0 after SIGINT/SIGTERM). Start-up problems are
// thrown as daemon::StartupError, as the other commands do.
int run_bot(const core::Config& config);

}  // namespace gvo::service
