#include "storage/sealer.hpp"

#include <catch2/catch.hpp>

#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Bytes;
using gvo::storage::Errc;
using gvo::storage::SealedPlace;
using gvo::storage::Sealer;
using gvo::storage::SealingKey;

namespace {

const SealedPlace kPlace{"peers", "address", "17"};

// Byte offsets of the version 1 layout (see sealer.hpp).
constexpr std::size_t kKeyIdAt = 1;
constexpr std::size_t kPlaceTagAt = 5;
constexpr std::size_t kNonceAt = 13;
constexpr std::size_t kCiphertextAt = 25;

}  // namespace

TEST_CASE("sealed values open to what was sealed, in any script and size") {
  const Sealer sealer({gvo::test::new_sealing_key()});
  const std::string values[] = {"",
                                "Mohamed El Amrani",
                                "محمد العمراني",
                                "Ṭāhir ⵜⴰⵎⴰⵣⵖⴰ",
                                std::string(1 << 20, 'z'),
                                std::string("nul\0inside", 10)};
  for (const std::string& value : values) {
    auto sealed = sealer.seal(kPlace, value);
    REQUIRE(sealed.ok());
    CHECK(sealed->size() == value.size() + 41);
    auto opened = sealer.open(kPlace, sealed.value());
    REQUIRE(opened.ok());
    CHECK(opened.value() == value);
  }
}

TEST_CASE("each seal uses a fresh nonce and never shows the plaintext") {
  const Sealer sealer({gvo::test::new_sealing_key()});
  const std::string name = "Aissatou Diallo";
  auto first = sealer.seal(kPlace, name);
  auto second = sealer.seal(kPlace, name);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first.value() != second.value());
  CHECK(Bytes(first->begin() + kNonceAt, first->begin() + kCiphertextAt) !=
        Bytes(second->begin() + kNonceAt, second->begin() + kCiphertextAt));
  CHECK_FALSE(gvo::test::contains(first.value(), name));
  CHECK_FALSE(gvo::test::contains(first.value(), "Aissatou"));
}

TEST_CASE("a changed ciphertext or tag is refused as tampered") {
  const Sealer sealer({gvo::test::new_sealing_key()});
  auto sealed = sealer.seal(kPlace, "Fatou Ndiaye");
  REQUIRE(sealed.ok());
  for (std::size_t at = kNonceAt; at < sealed->size(); ++at) {
    Bytes changed = sealed.value();
    changed[at] ^= 0x01;
    const auto opened = sealer.open(kPlace, changed);
    INFO("byte " << at);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.code() == Errc::sealed_tampered);
  }
}

TEST_CASE("a value moved to another row, column or table is refused as misplaced") {
  const Sealer sealer({gvo::test::new_sealing_key()});
  auto sealed = sealer.seal(kPlace, "Bilal Haddad");
  REQUIRE(sealed.ok());
  const SealedPlace elsewhere[] = {
      {"peers", "address", "18"},  // another row
      {"peers", "lookup", "17"},   // another column
      {"cases", "address", "17"},  // another table
      {"peers", "address", "1"},   // "17" must not pass as "1" + "7"
      {"peersa", "ddress", "17"},
  };
  for (const SealedPlace& place : elsewhere) {
    INFO(place.table << "." << place.column << " row " << place.row);
    const auto opened = sealer.open(place, sealed.value());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.code() == Errc::sealed_wrong_place);
  }
  Bytes changed_tag = sealed.value();
  changed_tag[kPlaceTagAt] ^= 0x80;
  CHECK(sealer.open(kPlace, changed_tag).code() == Errc::sealed_wrong_place);
}

TEST_CASE("a value sealed under another key is refused with that key's id") {
  const SealingKey sealing_key = gvo::test::new_sealing_key();
  const Sealer sealer({sealing_key});
  const Sealer other({gvo::test::new_sealing_key()});
  auto sealed = sealer.seal(kPlace, "Youssef Benali");
  REQUIRE(sealed.ok());
  const auto opened = other.open(kPlace, sealed.value());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.code() == Errc::sealed_unknown_key);
  CHECK_THAT(opened.error().detail, Catch::Matchers::Contains(sealing_key.id_hex()));

  Bytes changed_id = sealed.value();
  changed_id[kKeyIdAt] ^= 0x01;
  CHECK(sealer.open(kPlace, changed_id).code() == Errc::sealed_unknown_key);
}

TEST_CASE("truncated values and unknown format versions are malformed") {
  const Sealer sealer({gvo::test::new_sealing_key()});
  auto sealed = sealer.seal(kPlace, "x");
  REQUIRE(sealed.ok());
  CHECK(sealer.open(kPlace, Bytes{}).code() == Errc::sealed_malformed);
  CHECK(sealer.open(kPlace, Bytes(sealed->begin(), sealed->begin() + 40)).code() ==
        Errc::sealed_malformed);
  Bytes version_two = sealed.value();
  version_two[0] = 2;
  CHECK(sealer.open(kPlace, version_two).code() == Errc::sealed_malformed);
}

TEST_CASE("after rotation the new key seals and the retired key still opens old values") {
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey current = gvo::test::new_sealing_key();
  auto old_value = Sealer({old_key}).seal(kPlace, "Samira Tahiri");
  REQUIRE(old_value.ok());
  const Sealer rotated({current, old_key});
  CHECK(rotated.current_key().id() == current.id());
  CHECK(rotated.open(kPlace, old_value.value()).value() == "Samira Tahiri");
  auto new_value = rotated.seal(kPlace, "Samira Tahiri");
  REQUIRE(new_value.ok());
  CHECK(Sealer({current}).open(kPlace, new_value.value()).ok());
  CHECK(Sealer({old_key}).open(kPlace, new_value.value()).code() == Errc::sealed_unknown_key);
}

TEST_CASE("keys read from hex keep their id, bad hex is refused") {
  const SealingKey key = gvo::test::new_sealing_key();
  auto again = SealingKey::from_hex("  " + key.to_hex() + "\n");
  REQUIRE(again.ok());
  CHECK(again->id() == key.id());
  CHECK(again->id_hex().size() == 8);
  CHECK(again->bytes() == key.bytes());
  CHECK(SealingKey::from_hex("").code() == Errc::key_malformed);
  CHECK(SealingKey::from_hex(std::string(63, 'a')).code() == Errc::key_malformed);
  CHECK(SealingKey::from_hex(std::string(65, 'a')).code() == Errc::key_malformed);
  CHECK(SealingKey::from_hex(std::string(63, 'a') + "g").code() == Errc::key_malformed);
  CHECK(SealingKey::from_hex(std::string(64, 'A')).ok());
}

TEST_CASE("blind indexes are HMAC-SHA256 as specified: a known answer") {
  // Computed outside this code (Python's hmac): indexing key = HMAC(key, "gvo-bot blind index
  // v1"); index = HMAC(indexing key, u32 length of purpose, purpose, value). Stored indexes
  // depend on it never changing.
  std::string hex;
  for (int i = 0; i < 32; ++i)
    hex += "0123456789abcdef"[i / 16] + std::string(1, "0123456789abcdef"[i % 16]);
  auto key = SealingKey::from_hex(hex);
  REQUIRE(key.ok());
  const Bytes index = Sealer({key.value()}).blind_index("peer address", "+32470123456");
  std::string got;
  for (std::uint8_t byte : index) {
    got += "0123456789abcdef"[byte >> 4];
    got += "0123456789abcdef"[byte & 15];
  }
  CHECK(got == "86fa662365fc4745d471eb7dfbebbf9f3f3088364e6f2edff0db12f4e75230da");
}

TEST_CASE("blind indexes are stable, keyed, and separate their purposes") {
  const SealingKey key = gvo::test::new_sealing_key();
  const Sealer sealer({key});
  const Bytes index = sealer.blind_index("peer address", "+32470123456");
  CHECK(index.size() == 32);
  CHECK(Sealer({key}).blind_index("peer address", "+32470123456") == index);
  CHECK(sealer.blind_index("peer address", "+32470123457") != index);
  CHECK(sealer.blind_index("case name", "+32470123456") != index);
  CHECK(Sealer({gvo::test::new_sealing_key()}).blind_index("peer address", "+32470123456") !=
        index);
}

TEST_CASE("a rotation finds what each loaded key hashed and which key sealed a value") {
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey current = gvo::test::new_sealing_key();
  const Sealer sealer({current, old_key});
  const auto all = sealer.blind_indexes_under_every_key("signal address", "+32470123456");
  REQUIRE(all.size() == 2);
  CHECK(all[0] == sealer.blind_index("signal address", "+32470123456"));  // the current key first
  CHECK(all[1] == Sealer({old_key}).blind_index("signal address", "+32470123456"));
  CHECK(all[0] != all[1]);

  auto sealed = Sealer({old_key}).seal(kPlace, "Samira Tahiri");
  REQUIRE(sealed.ok());
  CHECK(Sealer::key_id_of(sealed.value()) == std::optional<std::uint32_t>(old_key.id()));
  CHECK(sealer.has_key(old_key.id()));
  CHECK_FALSE(Sealer({current}).has_key(old_key.id()));
  CHECK_FALSE(Sealer::key_id_of(Bytes(32, 1)).has_value());  // a keyed hash, not a sealed value
  Bytes other_version = sealed.value();
  other_version[0] = 2;
  CHECK_FALSE(Sealer::key_id_of(other_version).has_value());
}
