// `gvo-relay accounts ...`: the admin's management of provisioned accounts, offline, on the
// relay's database (add, list, remove). Runs once and exits; SQLite's locks let it run while the
// relay serves.
#pragma once

#include <string>
#include <vector>

namespace gvo::relay {

extern const char* const kAccountsUsage;

// args: what follows "accounts" on the command line. Returns the exit status.
int run_accounts_command(const std::vector<std::string>& args);

}  // namespace gvo::relay
