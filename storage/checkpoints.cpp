#include "storage/checkpoints.hpp"

namespace gvo::storage {

Result<std::unique_ptr<BackgroundCheckpoints>> BackgroundCheckpoints::start(Database& db,
                                                                            const std::string& path,
                                                                            int log_pages) {
  auto own = Database::open(path, OpenMode::existing_only);
  if (!own) return std::move(own).error();
  std::unique_ptr<BackgroundCheckpoints> checkpoints(
      new BackgroundCheckpoints(db, std::move(own).value(), log_pages));
  checkpoints->thread_ = std::thread([raw = checkpoints.get()] { raw->run(); });
  db.on_wal_commit([raw = checkpoints.get()](int pages) { raw->on_commit(pages); });
  return checkpoints;
}

BackgroundCheckpoints::BackgroundCheckpoints(Database& db, Database own, int log_pages)
    : db_(db), own_(std::move(own)), log_pages_(log_pages) {}

BackgroundCheckpoints::~BackgroundCheckpoints() {
  db_.on_wal_commit(nullptr);  // back to SQLite's own checkpoints, on db's thread
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

// Called on the bot's thread after each commit: only a flag and a wake-up.
void BackgroundCheckpoints::on_commit(int log_pages) {
  if (log_pages < log_pages_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wanted_) return;
    wanted_ = true;
  }
  wake_.notify_one();
}

void BackgroundCheckpoints::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return wanted_ || stopping_; });
    const bool last = stopping_;
    wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what it can without waiting for the bot's reads or writes.
    if (own_.checkpoint_passive()) {
      ++done_;
    } else {
      ++failed_;
    }
    lock.lock();
    if (last) return;
  }
}

}  // namespace gvo::storage
