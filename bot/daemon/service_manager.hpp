// Tells systemd (Type=notify) how the daemon is doing. Without $NOTIFY_SOCKET these do nothing.
#pragma once

#include <string_view>

namespace gvo::daemon {

void notify_ready(std::string_view status);
void notify_stopping();

}  // namespace gvo::daemon
