// What the storage tests share: a database opened for a test, a fresh sealing key.
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "storage/database.hpp"
#include "storage/sealer.hpp"

namespace gvo::test {

inline storage::Database open_test_database(const std::string& path) {
  auto db = storage::Database::open(path, storage::OpenMode::create_if_missing);
  INFO((db.ok() ? std::string() : storage::describe(db.error())));
  REQUIRE(db.ok());
  return std::move(db).value();
}

inline storage::SealingKey new_sealing_key() {
  auto key = storage::SealingKey::generate();
  REQUIRE(key.ok());
  return std::move(key).value();
}

}  // namespace gvo::test
