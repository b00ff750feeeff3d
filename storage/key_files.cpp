#include "storage/key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <openssl/crypto.h>

namespace gvo::storage {
namespace {

// A key file is 64 digits and a newline; anything much larger is not a key file.
constexpr std::size_t kMaxKeyFileSize = 4096;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

enum class Permissions { owner_only, any };

Result<SealingKey> read_key(const std::string& path, Permissions required) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const Errc code = errno == ENOENT ? Errc::key_missing : Errc::key_malformed;
    return fail(code, path + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    return fail(Errc::key_malformed, path + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) return fail(Errc::key_malformed, path + ": not a regular file");
  if (required == Permissions::owner_only && (info.st_mode & 077) != 0) {
    return fail(Errc::key_insecure, path + " has mode " + octal_mode(info.st_mode) +
                                        "; make it owner-only with: chmod 600 " + path);
  }
  if (static_cast<std::size_t>(info.st_size) > kMaxKeyFileSize) {
    return fail(Errc::key_malformed, path + ": too large to be a key file");
  }
  std::string text(kMaxKeyFileSize, '\0');
  const ssize_t size = ::read(fd.get(), text.data(), text.size());
  if (size < 0) return fail(Errc::key_malformed, path + ": " + std::strerror(errno));
  text.resize(static_cast<std::size_t>(size));
  auto key = SealingKey::from_hex(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key) {
    auto error = std::move(key).error();
    error.detail = path + ": " + error.detail;
    return error;
  }
  return key;
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<SealingKey> read_key_file(const std::string& path) {
  return read_key(path, Permissions::owner_only);
}

Result<SealingKey> read_credential(const std::string& name) {
  const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
  if (directory == nullptr || *directory == '\0') {
    return fail(Errc::key_missing, "credential '" + name +
                                       "': $CREDENTIALS_DIRECTORY is not set (run under systemd "
                                       "with LoadCredential=" +
                                       name + ":/path/to/key)");
  }
  // systemd owns the mode of credential files and keeps their directory private to the service.
  return read_key(std::string(directory) + "/" + name, Permissions::any);
}

Result<SealingKey> create_key_file(const std::string& path) {
  auto key = SealingKey::generate();
  if (!key) return key;
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return fail(Errc::key_missing, "cannot create " + path + ": " + std::strerror(errno));
  std::string text = key->to_hex() + "\n";
  const ssize_t written = ::write(fd.get(), text.data(), text.size());
  OPENSSL_cleanse(text.data(), text.size());
  if (written != static_cast<ssize_t>(text.size()) || ::fsync(fd.get()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(path.c_str());
    return fail(Errc::key_missing, "cannot write " + path + ": " + why);
  }
  // The file's name must be durable too, or a crash could lose the key of a new database.
  FileDescriptor directory(
      ::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() >= 0) (void)::fsync(directory.get());
  return key;
}

}  // namespace gvo::storage
