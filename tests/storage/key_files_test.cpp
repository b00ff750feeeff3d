#include "storage/key_files.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using gvo::storage::Errc;

TEST_CASE("a created key file is owner-only, readable back, and never overwritten") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("sealing.key");
  auto created = gvo::storage::create_key_file(path);
  REQUIRE(created.ok());
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto text = gvo::test::read_bytes(path);
  CHECK(text.size() == 65);
  CHECK(text.back() == '\n');

  auto read = gvo::storage::read_key_file(path);
  REQUIRE(read.ok());
  CHECK(read->id() == created->id());

  const auto again = gvo::storage::create_key_file(path);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.error().detail, Catch::Matchers::Contains("File exists"));
  CHECK(gvo::storage::read_key_file(path)->id() == created->id());
}

TEST_CASE("a key file that group or others can read is refused with the fix") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("sealing.key");
  REQUIRE(gvo::storage::create_key_file(path).ok());
  for (const mode_t mode : {0644U, 0640U, 0604U, 0660U}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    const auto key = gvo::storage::read_key_file(path);
    REQUIRE_FALSE(key.ok());
    CHECK(key.code() == Errc::key_insecure);
    CHECK_THAT(key.error().detail, Catch::Matchers::Contains("chmod 600 " + path));
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(gvo::storage::read_key_file(path).ok());
}

TEST_CASE("missing, malformed and non-file keys each say what is wrong") {
  gvo::test::TempDir dir;
  CHECK(gvo::storage::read_key_file(dir.file("absent.key")).code() == Errc::key_missing);
  gvo::test::write_text(dir.file("short.key"), "abcdef\n");
  const auto short_key = gvo::storage::read_key_file(dir.file("short.key"));
  CHECK(short_key.code() == Errc::key_malformed);
  CHECK_THAT(short_key.error().detail, Catch::Matchers::Contains("expected 64 hexadecimal digits"));
  gvo::test::write_text(dir.file("big.key"), std::string(10000, 'a'));
  CHECK(gvo::storage::read_key_file(dir.file("big.key")).code() == Errc::key_malformed);
  CHECK(gvo::storage::read_key_file(dir.path()).code() == Errc::key_malformed);
}

TEST_CASE("a systemd credential is read from $CREDENTIALS_DIRECTORY") {
  gvo::test::TempDir dir;
  auto created = gvo::storage::create_key_file(dir.file("gvo-sealing-key"));
  REQUIRE(created.ok());

  ::unsetenv("CREDENTIALS_DIRECTORY");
  const auto unset = gvo::storage::read_credential("gvo-sealing-key");
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.code() == Errc::key_missing);
  CHECK_THAT(unset.error().detail, Catch::Matchers::Contains("LoadCredential="));

  ::setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  const auto loaded = gvo::storage::read_credential("gvo-sealing-key");
  CHECK(gvo::storage::read_credential("other").code() == Errc::key_missing);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  REQUIRE(loaded.ok());
  CHECK(loaded->id() == created->id());
}
