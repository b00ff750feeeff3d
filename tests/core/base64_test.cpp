#include "bot/core/base64.hpp"

#include <catch2/catch.hpp>

using gvo::core::base64_decode;
using gvo::core::base64_encode;

TEST_CASE("base64 follows RFC 4648's test vectors both ways") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    const std::string text(plain);
    const std::vector<std::uint8_t> bytes(text.begin(), text.end());
    CHECK(base64_encode(bytes) == encoded);
    CHECK(base64_decode(encoded) == bytes);
  }
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  CHECK(base64_decode(base64_encode(all)) == all);
}

TEST_CASE("base64 that is not canonical is refused") {
  for (const char* bad :
       {"Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm9v!", "Zm 9", "====", "Zg==Zg=="}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad).has_value());
  }
}
