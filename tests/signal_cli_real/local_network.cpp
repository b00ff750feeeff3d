#include "tests/signal_cli_real/local_network.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <signal.h>

namespace gvo::test::real {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// One HTTP/1.0 GET to 127.0.0.1:port; the body of a 200 answer. Throws otherwise.
std::string http_get(unsigned short port, const std::string& path, std::chrono::seconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  timeval limit{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("the control port does not answer");
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error("the control request was not sent");
  }
  std::string answer;
  char chunk[4096];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;)
    answer.append(chunk, static_cast<std::size_t>(n));
  ::close(fd);
  const auto body = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos)
    throw std::runtime_error("control " + path + ": " + answer.substr(0, 300));
  return answer.substr(body + 4);
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

bool is_socket(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

}  // namespace

std::string url_encoded(const std::string& text) {
  std::string out;
  for (const char each : text) {
    const auto c = static_cast<unsigned char>(each);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> prepared(const std::string& build_dir) {
  std::ifstream file(build_dir + "/signal_cli_real/ready.env");
  if (!file) return std::nullopt;
  std::map<std::string, std::string> values;
  for (std::string line; std::getline(file, line);) {
    const auto equals = line.find('=');
    if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  for (const char* needed : {"JAVA_HOME", "SIGNAL_CLI_CLASSPATH", "MOCK_CERTS", "MOCK_TRUSTSTORE",
                             "NODE_PATH", "NETWORK_JS", "NODE"}) {
    if (values[needed].empty()) return std::nullopt;
  }
  return values;
}

LocalNetwork::LocalNetwork(std::map<std::string, std::string> prepared,
                           const std::vector<std::string>& users)
    : prepared_(std::move(prepared)),
      socket_(dir_.file("signal-cli.sock")),
      config_dir_(dir_.file("signal-cli")) {
  const auto start = Clock::now();
  ::mkdir(dir_.file("cdn3").c_str(), 0700);
  ::mkdir(dir_.file("updates2").c_str(), 0700);
  std::vector<std::string> args = {prepared_.at("NETWORK_JS")};
  args.insert(args.end(), users.begin(), users.end());
  mock_ = std::make_unique<ChildProcess>(
      prepared_.at("NODE"), args, dir_.path(),
      std::vector<std::string>{"NODE_PATH=" + prepared_.at("NODE_PATH"),
                               "GVO_NETWORK_DIR=" + dir_.path()});
  if (!mock_->wait_for_stdout("}", 30s))
    throw std::runtime_error("the mock server did not start:\n" + mock_->stderr_text());
  const Json ports = Json::parse(mock_->stdout_text());
  signal_port_ = ports.at("signal").get<unsigned short>();
  control_port_ = ports.at("control").get<unsigned short>();
  users_ = control("/state").at("users");
  started_in = since(start);

  // signal-cli links to the bot's account: it prints the sgnl:// address its "phone" accepts.
  const auto link_start = Clock::now();
  ChildProcess link(prepared_.at("JAVA_HOME") + "/bin/java",
                    java_args({"-c", config_dir_, "link", "-n", "gvo-bot"}), dir_.path());
  if (!link.wait_for_stdout("sgnl://", 60s))
    throw std::runtime_error("signal-cli link gave no address:\n" + link.stderr_text());
  std::string uri = link.stdout_text();
  uri = uri.substr(uri.find("sgnl://"));
  uri = uri.substr(0, uri.find_first_of(" \r\n"));
  bot_number_ = control("/link?uri=" + url_encoded(uri)).at("number").get<std::string>();
  const auto linked = link.wait_for_exit(90s);
  if (!linked || *linked != 0)
    throw std::runtime_error("signal-cli link did not finish:\n" + link.stderr_text());
  linked_in = since(link_start);
  start_daemon();
}

LocalNetwork::~LocalNetwork() {
  if (daemon_) stop_daemon();
  if (mock_) {
    mock_->send_signal(SIGTERM);
    (void)mock_->wait_for_exit(5s);
  }
}

std::vector<std::string> LocalNetwork::java_args(const std::vector<std::string>& args) const {
  // Small on two shared cores; the patched server configuration ahead of signal-cli's jars.
  std::vector<std::string> all = {
      "--enable-native-access=ALL-UNNAMED",
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Dgvo.mock.url=https://127.0.0.1:" + std::to_string(signal_port_),
      "-Dgvo.mock.truststore=" + prepared_.at("MOCK_TRUSTSTORE"),
      "-Dgvo.mock.certs=" + prepared_.at("MOCK_CERTS"),
      "-classpath",
      prepared_.at("SIGNAL_CLI_CLASSPATH"),
      "org.asamk.signal.Main"};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

std::string LocalNetwork::aci(const std::string& user) const {
  return users_.at(user).at("aci").get<std::string>();
}

void LocalNetwork::start_daemon() {
  // As deploy/signal-cli.service: a socket file left by a killed signal-cli is removed first
  // (signal-cli would exit 3, "Address already in use").
  if (exists(socket_)) ::unlink(socket_.c_str());
  // As the unit runs it: manual receive mode, no send log, attachments and stories ignored.
  std::vector<std::string> args = {"--disable-send-log",
                                   "--trust-new-identities",
                                   "on-first-use",
                                   "-a",
                                   bot_number_,
                                   "-c",
                                   config_dir_,
                                   "daemon",
                                   "--socket",
                                   socket_,
                                   "--receive-mode=manual",
                                   "--ignore-attachments",
                                   "--ignore-stories"};
  // GVO_SIGNAL_CLI_VERBOSE=1: signal-cli's debug log, to look into a failure.
  if (const char* verbose = std::getenv("GVO_SIGNAL_CLI_VERBOSE"); verbose && *verbose == '1')
    args.insert(args.begin(), "--verbose");
  daemon_ = std::make_unique<ChildProcess>(prepared_.at("JAVA_HOME") + "/bin/java", java_args(args),
                                           dir_.path());
  const auto end = Clock::now() + 60s;
  while (!is_socket(socket_) && Clock::now() < end) {
    if (daemon_->wait_for_exit(200ms))
      throw std::runtime_error("signal-cli's daemon exited:\n" + daemon_->stderr_text());
  }
  if (!is_socket(socket_))
    throw std::runtime_error("signal-cli's daemon made no socket:\n" + daemon_->stderr_text());
}

void LocalNetwork::kill_daemon() {
  daemon_->send_signal(SIGKILL);
  (void)daemon_->wait_for_exit(10s);
}

void LocalNetwork::stop_daemon() {
  daemon_->send_signal(SIGTERM);
  if (!daemon_->wait_for_exit(10s)) kill_daemon();
}

bool LocalNetwork::daemon_running() const { return daemon_ && is_socket(socket_); }

std::string LocalNetwork::daemon_log() const { return daemon_ ? daemon_->stderr_text() : ""; }

std::string LocalNetwork::network_log() const { return mock_ ? mock_->stderr_text() : ""; }

Json LocalNetwork::control(const std::string& path_and_query, std::chrono::seconds timeout) {
  return Json::parse(http_get(control_port_, path_and_query, timeout));
}

void LocalNetwork::send(const std::string& from, const std::string& text) {
  control("/send?from=" + url_encoded(from) + "&text=" + url_encoded(text));
}

void LocalNetwork::send_other(const std::string& from, const std::string& kind,
                              const std::string& text) {
  control("/send?from=" + url_encoded(from) + "&kind=" + url_encoded(kind) +
          "&text=" + url_encoded(text));
}

std::vector<std::string> LocalNetwork::inbox(const std::string& user, std::size_t since,
                                             std::chrono::milliseconds wait) {
  const Json got = control("/inbox?of=" + url_encoded(user) + "&since=" + std::to_string(since) +
                               "&wait=" + std::to_string(wait.count()),
                           std::chrono::duration_cast<std::chrono::seconds>(wait) + 30s);
  std::vector<std::string> texts;
  for (const auto& message : got) texts.push_back(message.value("text", ""));
  return texts;
}

int LocalNetwork::sends_to(const std::string& user) {
  return control("/sends?to=" + url_encoded(user)).at("sends").get<int>();
}

void LocalNetwork::fault(const std::string& query) { control("/fault?" + query); }

}  // namespace gvo::test::real
