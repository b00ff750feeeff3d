// Checkpoints on a thread of their own. In WAL mode, SQLite copies the log back into the database
// file from time to time (a checkpoint: writes and an fsync of the database file, tens of
// milliseconds here). By default the connection that commits does it, after its commit, so one
// message in a few hundred waits for it. BackgroundCheckpoints takes that work off the bot's
// thread: the bot's connection only reports how long its log has grown, and a second connection,
// on a second thread, copies the log while the bot goes on committing (WAL allows both at once).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/database.hpp"

namespace gvo::storage {

class BackgroundCheckpoints {
 public:
  // SQLite's own threshold: a checkpoint once the log holds this many pages.
  static constexpr int kDefaultLogPages = 1000;

  // Takes the checkpoints of db (the connection to the file at path) onto a thread with a
  // connection of its own. db must outlive this object.
  static Result<std::unique_ptr<BackgroundCheckpoints>> start(Database& db, const std::string& path,
                                                              int log_pages = kDefaultLogPages);
  BackgroundCheckpoints(const BackgroundCheckpoints&) = delete;
  BackgroundCheckpoints& operator=(const BackgroundCheckpoints&) = delete;
  // A last checkpoint; then db checkpoints itself again, as by default.
  ~BackgroundCheckpoints();

  // Checkpoints done, and those that failed (the next one tries again).
  std::uint64_t done() const { return done_; }
  std::uint64_t failed() const { return failed_; }

 private:
  BackgroundCheckpoints(Database& db, Database own, int log_pages);
  void on_commit(int log_pages);
  void run();

  Database& db_;
  Database own_;  // used on thread_ only
  const int log_pages_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::thread thread_;
};

}  // namespace gvo::storage
