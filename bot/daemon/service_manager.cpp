#include "bot/daemon/service_manager.hpp"

#include <string>

#include <systemd/sd-daemon.h>

namespace gvo::daemon {

void notify_ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  (void)sd_notify(0, message.c_str());
}

void notify_stopping() { (void)sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

}  // namespace gvo::daemon
