// Two endpoints, each with its own sealed database, talk through libsignal-protocol-c: X3DH from
// a bundle, a pre-key message first, then ordinary messages both ways; replays, damage, changed
// identities and restarts behave as they must.
#include "bot/signal/endpoint.hpp"

#include <vector>

#include <catch2/catch.hpp>

#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
using signal::Address;
using signal::Endpoint;
using signal::Errc;
using signal::MessageKind;

constexpr std::int64_t kNow = 1795683600000;

struct Party {
  std::string path;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Endpoint> endpoint;

  Party(const std::string& file, storage::SealingKey key) : path(file) { open(std::move(key)); }

  void open(storage::SealingKey key) {
    endpoint.reset();
    store.reset();
    auto opened = storage::Store::open(path, storage::Sealer({std::move(key)}),
                                       storage::OpenMode::create_if_missing);
    REQUIRE(opened.ok());
    store = std::make_unique<storage::Store>(std::move(opened).value());
    auto made = Endpoint::open(*store, kNow);
    INFO((made.ok() ? std::string() : signal::describe(made.error())));
    REQUIRE(made.ok());
    endpoint = std::move(made).value();
  }

  // A bundle as the relay would hand it out: one one-time pre-key, once.
  signal::KeyBundle bundle(std::size_t pre_keys = 1) {
    auto upload = endpoint->new_keys_for_upload(pre_keys);
    REQUIRE(upload.ok());
    signal::KeyBundle bundle;
    bundle.registration_id = upload->registration_id;
    bundle.identity_key = upload->identity_key;
    bundle.signed_pre_key = upload->signed_pre_key;
    if (!upload->pre_keys.empty()) bundle.pre_key = upload->pre_keys.front();
    return bundle;
  }
};

std::string text(const signal::Result<std::string>& result) {
  INFO((result.ok() ? std::string() : signal::describe(result.error())));
  REQUIRE(result.ok());
  return result.value();
}

}  // namespace

TEST_CASE("a session starts from a bundle with a pre-key message, then messages flow both ways") {
  test::TempDir dir;
  Party alice(dir.file("alice.db"), test::new_sealing_key());
  Party bob(dir.file("bob.db"), test::new_sealing_key());
  const Address to_bob{"bob"};
  const Address to_alice{"alice"};

  CHECK(alice.endpoint->encrypt(to_bob, "too early").code() == Errc::no_session);
  REQUIRE(alice.endpoint->start_session(to_bob, bob.bundle()).ok());
  CHECK(alice.endpoint->has_session(to_bob).value());
  CHECK(bob.endpoint->unused_pre_keys().value() == 1);

  auto first = alice.endpoint->encrypt(to_bob, "Bonjour, mon ami a été arrêté");
  REQUIRE(first.ok());
  CHECK(first->kind == MessageKind::prekey);
  CHECK(text(bob.endpoint->decrypt(to_alice, first.value())) == "Bonjour, mon ami a été arrêté");
  CHECK(bob.endpoint->unused_pre_keys().value() == 0);  // the one-time pre-key is used up

  // 100 messages each way, alternating, every one in order.
  for (int i = 0; i < 100; ++i) {
    const std::string from_bob = "bot " + std::to_string(i);
    auto reply = bob.endpoint->encrypt(to_alice, from_bob);
    REQUIRE(reply.ok());
    CHECK(reply->kind == MessageKind::whisper);
    CHECK(text(alice.endpoint->decrypt(to_bob, reply.value())) == from_bob);
    const std::string from_alice = "host " + std::to_string(i) + " محمد";
    auto next = alice.endpoint->encrypt(to_bob, from_alice);
    REQUIRE(next.ok());
    CHECK(next->kind == MessageKind::whisper);
    CHECK(text(bob.endpoint->decrypt(to_alice, next.value())) == from_alice);
  }
}

namespace {

// Every copy of `message` with one byte changed (bit 0x40), in order.
std::vector<signal::Ciphertext> each_byte_damaged(const signal::Ciphertext& message) {
  std::vector<signal::Ciphertext> copies;
  for (std::size_t i = 0; i < message.bytes.size(); ++i) {
    copies.push_back(message);
    copies.back().bytes[i] ^= 0x40;
  }
  return copies;
}

}  // namespace

TEST_CASE("replays, damage and wrong kinds are refused and change nothing") {
  test::TempDir dir;
  Party alice(dir.file("alice.db"), test::new_sealing_key());
  Party bob(dir.file("bob.db"), test::new_sealing_key());
  REQUIRE(alice.endpoint->start_session({"bob"}, bob.bundle()).ok());
  auto first = alice.endpoint->encrypt({"bob"}, "one");
  REQUIRE(first.ok());
  CHECK(text(bob.endpoint->decrypt({"alice"}, first.value())) == "one");
  CHECK(bob.endpoint->decrypt({"alice"}, first.value()).code() == Errc::duplicate_message);

  // Until Bob answers, Alice's messages are pre-key messages. Part of their envelope is not
  // authenticated (the pre-key id may be dropped; a changed identity key reads as a new identity),
  // so a damaged copy may be refused for several reasons, or open: but never as another text.
  auto second = alice.endpoint->encrypt({"bob"}, "two");
  REQUIRE(second.ok());
  REQUIRE(second->kind == MessageKind::prekey);
  bool opened = false;
  for (const auto& damaged : each_byte_damaged(second.value())) {
    auto result = bob.endpoint->decrypt({"alice"}, damaged);
    if (!result.ok()) continue;
    CHECK(result.value() == "two");
    opened = true;
  }
  auto real = bob.endpoint->decrypt({"alice"}, second.value());
  if (opened) {
    CHECK(real.code() == Errc::duplicate_message);
  } else {
    CHECK(text(real) == "two");
  }

  // Once Bob has answered, Alice sends ordinary messages: every byte is authenticated, so each
  // damaged copy is refused and the session does not move.
  CHECK(text(alice.endpoint->decrypt({"bob"}, bob.endpoint->encrypt({"alice"}, "back").value())) ==
        "back");
  auto third = alice.endpoint->encrypt({"bob"}, "three");
  REQUIRE(third.ok());
  REQUIRE(third->kind == MessageKind::whisper);
  for (const auto& damaged : each_byte_damaged(third.value())) {
    const Errc code = bob.endpoint->decrypt({"alice"}, damaged).code();
    CHECK((code == Errc::invalid_message || code == Errc::invalid_key));
  }
  signal::Ciphertext truncated = third.value();
  truncated.bytes.resize(10);
  CHECK(bob.endpoint->decrypt({"alice"}, truncated).code() == Errc::invalid_message);
  CHECK(bob.endpoint->decrypt({"alice"}, signal::Ciphertext{MessageKind::whisper, {}}).code() ==
        Errc::invalid_message);
  signal::Ciphertext wrong_kind = third.value();
  wrong_kind.kind = MessageKind::prekey;
  CHECK_FALSE(bob.endpoint->decrypt({"alice"}, wrong_kind).ok());
  // Nothing above moved the session: the real message still opens.
  CHECK(text(bob.endpoint->decrypt({"alice"}, third.value())) == "three");
  // A message from someone with no session.
  auto stranger = alice.endpoint->encrypt({"bob"}, "four");
  CHECK(bob.endpoint->decrypt({"mallory"}, stranger.value()).code() != Errc::duplicate_message);
}

TEST_CASE("a bundle with a bad signature is refused") {
  test::TempDir dir;
  Party alice(dir.file("alice.db"), test::new_sealing_key());
  Party bob(dir.file("bob.db"), test::new_sealing_key());
  signal::KeyBundle bundle = bob.bundle();
  bundle.signed_pre_key.signature[5] ^= 0x01;
  CHECK(alice.endpoint->start_session({"bob"}, bundle).code() == Errc::invalid_key);
  CHECK_FALSE(alice.endpoint->has_session({"bob"}).value());
  bundle.identity_key.resize(10);
  CHECK(alice.endpoint->start_session({"bob"}, bundle).code() == Errc::invalid_key);
}

TEST_CASE("a peer whose identity key changed is refused until the change is accepted") {
  test::TempDir dir;
  Party alice(dir.file("alice.db"), test::new_sealing_key());
  Party bob(dir.file("bob.db"), test::new_sealing_key());
  REQUIRE(alice.endpoint->start_session({"bob"}, bob.bundle()).ok());
  CHECK(text(bob.endpoint->decrypt({"alice"}, alice.endpoint->encrypt({"bob"}, "hi").value())) ==
        "hi");

  // Alice loses her phone: a new identity under the same account.
  Party new_alice(dir.file("alice2.db"), test::new_sealing_key());
  REQUIRE(new_alice.endpoint->start_session({"bob"}, bob.bundle()).ok());
  auto from_new = new_alice.endpoint->encrypt({"bob"}, "it is me, new phone");
  REQUIRE(from_new.ok());
  CHECK(bob.endpoint->decrypt({"alice"}, from_new.value()).code() == Errc::untrusted_identity);
  REQUIRE(bob.endpoint->forget_identity({"alice"}).ok());
  CHECK(text(bob.endpoint->decrypt({"alice"}, from_new.value())) == "it is me, new phone");
}

TEST_CASE("keys and sessions survive a restart, the identity's private key is stored sealed") {
  test::TempDir dir;
  const storage::SealingKey alice_key = test::new_sealing_key();
  Party alice(dir.file("alice.db"), alice_key);
  Party bob(dir.file("bob.db"), test::new_sealing_key());
  const storage::Bytes identity = alice.endpoint->identity_key();
  const std::uint32_t registration = alice.endpoint->registration_id();
  REQUIRE(alice.endpoint->start_session({"bob"}, bob.bundle()).ok());
  CHECK(text(bob.endpoint->decrypt({"alice"}, alice.endpoint->encrypt({"bob"}, "a").value())) ==
        "a");

  alice.open(alice_key);  // the process restarts
  CHECK(alice.endpoint->identity_key() == identity);
  CHECK(alice.endpoint->registration_id() == registration);
  auto after = alice.endpoint->encrypt({"bob"}, "after the restart");
  REQUIRE(after.ok());
  CHECK(text(bob.endpoint->decrypt({"alice"}, after.value())) == "after the restart");

  // Pre-key ids are never reused.
  auto more = alice.endpoint->new_keys_for_upload(3);
  auto again = alice.endpoint->new_keys_for_upload(3);
  REQUIRE(more.ok());
  REQUIRE(again.ok());
  CHECK(again->pre_keys.front().id == more->pre_keys.back().id + 1);

  // The stored private key is sealed: no row holds it in clear (a 32-byte scalar cannot be found
  // directly, so check that every stored private column is a sealed value of the right size).
  auto query = alice.store->db().prepare("SELECT length(private_key) FROM signal_identity");
  REQUIRE(query->step().value());
  CHECK(query->column_int64(0) == 32 + 41);
  auto sessions = alice.store->db().prepare("SELECT address FROM signal_sessions");
  REQUIRE(sessions->step().value());
  CHECK(sessions->column_blob(0).size() == 32);  // a keyed hash, not "bob"
}

TEST_CASE("the signed pre-key rotates when old, the one before still opens late messages") {
  test::TempDir dir;
  Party alice(dir.file("alice.db"), test::new_sealing_key());
  Party bob(dir.file("bob.db"), test::new_sealing_key());
  constexpr std::int64_t kWeek = 7LL * 24 * 3600 * 1000;
  const std::int64_t now = kNow + 1000;
  CHECK_FALSE(bob.endpoint->rotate_signed_pre_key(now, kWeek).value());  // still fresh
  const signal::KeyBundle old_bundle = bob.bundle();  // built on signed pre-key 1
  REQUIRE(bob.endpoint->rotate_signed_pre_key(now + kWeek + 1, kWeek).value());
  const auto upload = bob.endpoint->new_keys_for_upload(0);
  REQUIRE(upload.ok());
  CHECK(upload->signed_pre_key.id == old_bundle.signed_pre_key.id + 1);
  CHECK(upload->signed_pre_key.public_key != old_bundle.signed_pre_key.public_key);
  // A session started on the old bundle, arriving after the rotation, still opens.
  REQUIRE(alice.endpoint->start_session({"bob"}, old_bundle).ok());
  auto late = alice.endpoint->encrypt({"bob"}, "sent before the rotation was seen");
  CHECK(text(bob.endpoint->decrypt({"alice"}, late.value())) ==
        "sent before the rotation was seen");
  // Two rotations later the first key is gone.
  REQUIRE(bob.endpoint->rotate_signed_pre_key(now + 3 * kWeek, kWeek).value());
  REQUIRE(bob.endpoint->rotate_signed_pre_key(now + 5 * kWeek, kWeek).value());
  auto count = bob.store->db().prepare("SELECT count(*) FROM signal_signed_pre_keys");
  REQUIRE(count->step().value());
  CHECK(count->column_int64(0) == 2);
}
