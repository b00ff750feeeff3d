// The contract with signal-cli: every published wire example (tests/core/signal_cli_fixtures/)
// reads into our types as signal-cli meant it, and our requests are what its parser expects.
#include "bot/core/signal_cli_rpc.hpp"

#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace gvo::core::signal_cli;
using gvo::core::kind_named;
using gvo::core::kind_of_attachment;
using gvo::core::MessageKind;

namespace {

std::vector<std::string> fixture(const std::string& name) {
  std::ifstream file(std::string(GVO_SOURCE_ROOT) + "/tests/core/signal_cli_fixtures/" + name);
  REQUIRE(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

Frame frame(const std::string& line) {
  auto read = read_line(line);
  INFO(line);
  REQUIRE(read.ok());
  return std::move(read).value();
}

}  // namespace

TEST_CASE("signal-cli fixtures: requests and responses") {
  const auto lines = fixture("requests-responses.jsonl");
  REQUIRE(lines.size() == 11);
  for (int request : {0, 2, 4, 5, 7, 8, 10}) {
    CHECK(std::holds_alternative<Other>(frame(lines[static_cast<std::size_t>(request)])));
  }
  const auto sent = std::get<Response>(frame(lines[1]));
  CHECK(sent.id == "4");
  CHECK_FALSE(sent.error);
  const auto result = read_send_result(sent.result);
  REQUIRE(result.ok());
  CHECK(result->timestamp == 999);
  CHECK(result->results.empty());  // the old shape: no per-recipient results
  const auto subscribed = std::get<Response>(frame(lines[6]));
  CHECK(subscribed.id == "\"id\"");  // a string id comes back as a string
  CHECK(subscribed.result == "0");
  const auto linked = std::get<Response>(frame(lines[9]));
  CHECK(linked.result.find("sgnl://linkdevice") != std::string::npos);
}

TEST_CASE("signal-cli fixtures: both notification shapes and every kind of envelope") {
  const auto lines = fixture("notifications.jsonl");
  REQUIRE(lines.size() == 6);
  const auto automatic = std::get<Envelope>(frame(lines[0]));
  CHECK(automatic.kind == Envelope::Kind::data);
  CHECK(automatic.text == std::optional<std::string>("foobar"));
  CHECK(automatic.source_uuid == "uuid");
  CHECK(automatic.source_number == std::optional<std::string>("+33123456789"));
  CHECK(automatic.timestamp == 1631458508784);
  CHECK_FALSE(automatic.subscription);
  const auto wrapped = std::get<Envelope>(frame(lines[1]));
  CHECK(wrapped.kind == Envelope::Kind::sync);  // the account's own devices: never user input
  CHECK(wrapped.subscription == std::optional<std::int64_t>(0));
  CHECK(wrapped.account == "+33123456789");
  // Lines 3-6 are params payloads: wrapped as the automatic notification carries them.
  const std::vector<Envelope::Kind> kinds = {Envelope::Kind::typing, Envelope::Kind::sync,
                                             Envelope::Kind::receipt, Envelope::Kind::typing};
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const auto envelope = std::get<Envelope>(
        frame(R"({"jsonrpc":"2.0","method":"receive","params":)" + lines[i] + "}"));
    CHECK(envelope.kind == kinds[i - 2]);
    CHECK_FALSE(envelope.text);
    CHECK_FALSE(envelope.source_uuid.empty());
  }
}

TEST_CASE("signal-cli fixtures: errors, rate limits with their delay, identity failures") {
  const auto lines = fixture("errors.jsonl");
  REQUIRE(lines.size() == 4);
  CHECK_FALSE(read_line(lines[0]).ok());  // no method, no result: not something signal-cli sends
  const auto invalid = std::get<Response>(frame(lines[1]));
  REQUIRE(invalid.error);
  CHECK(invalid.error->code == static_cast<int>(ErrorCode::invalid_request));
  CHECK(invalid.id == "null");
  const auto limited = std::get<Response>(frame(lines[2]));
  REQUIRE(limited.error);
  CHECK(limited.error->code == static_cast<int>(ErrorCode::rate_limit));
  const auto outcome = read_send_result(limited.error->response);
  REQUIRE(outcome.ok());
  REQUIRE(outcome->results.size() == 1);
  CHECK(outcome->results[0].type == RecipientResult::Type::rate_limit);
  CHECK(outcome->results[0].retry_after_seconds == std::optional<std::int64_t>(86400));
  CHECK(outcome->results[0].token == "xxxx-xxxx-xxxxxyy");
  const auto identity = read_send_result(lines[3]);
  REQUIRE(identity.ok());
  CHECK(identity->results[0].type == RecipientResult::Type::identity);
  CHECK(identity->results[0].uuid == "removed");
}

TEST_CASE("signal-cli: null numbers, untrusted identities, bad lines") {
  const auto unknown = std::get<Envelope>(frame(
      R"({"jsonrpc":"2.0","method":"receive","params":{"account":"+32400000000","envelope":{"source":"b0a1beed","sourceNumber":null,"sourceUuid":"b0a1beed","sourceName":null,"sourceDevice":1,"timestamp":5,"dataMessage":{"timestamp":5,"message":"salut","expiresInSeconds":0,"viewOnce":false}}}})"));
  CHECK_FALSE(unknown.source_number);
  CHECK(unknown.source_uuid == "b0a1beed");
  const auto untrusted = std::get<Envelope>(frame(
      R"({"jsonrpc":"2.0","method":"receive","params":{"account":"+32400000000","exception":{"message":"Untrusted identity","type":"UntrustedIdentityException"},"envelope":{"source":"+32470","sourceNumber":"+32470","sourceUuid":"aci-1","sourceName":null,"sourceDevice":1,"timestamp":9}}})"));
  CHECK(untrusted.untrusted_identity);
  CHECK(untrusted.kind == Envelope::Kind::other);
  for (const char* bad : {"", "{", "[]", "42", R"({"jsonrpc":"1.0","result":1,"id":1})",
                          R"({"jsonrpc":"2.0","method":"receive"})",
                          R"({"jsonrpc":"2.0","method":"receive","params":{"x":1}})",
                          R"({"jsonrpc":"2.0","error":"x","id":1})"}) {
    INFO(bad);
    CHECK_FALSE(read_line(bad).ok());
  }
  CHECK(std::holds_alternative<Other>(
      frame(R"({"jsonrpc":"2.0","method":"receiveCall","params":{}})")));
}

TEST_CASE("signal-cli requests are one line of JSON-RPC 2.0 with camelCase params") {
  const auto sent = nlohmann::json::parse(send_request(7, "", "aci-1", "bonjour\nça va ?"));
  CHECK(sent["jsonrpc"] == "2.0");
  CHECK(sent["id"] == 7);
  CHECK(sent["method"] == "send");
  CHECK(sent["params"]["recipient"] == nlohmann::json::array({"aci-1"}));
  CHECK(sent["params"]["message"] == "bonjour\nça va ?");
  CHECK_FALSE(sent["params"].contains("account"));
  CHECK(send_request(7, "", "a", "b\nc").find('\n') == std::string::npos);  // one line
  const auto multi = nlohmann::json::parse(send_request(8, "+32400000000", "aci-1", "x"));
  CHECK(multi["params"]["account"] == "+32400000000");
  const auto typing = nlohmann::json::parse(typing_request(9, "", "aci-1", true));
  CHECK(typing["method"] == "sendTyping");
  CHECK(typing["params"]["stop"] == true);
  const auto contact = nlohmann::json::parse(update_contact_request(10, "", "aci-1", 604800));
  CHECK(contact["params"]["expiration"] == 604800);
  const auto profile = nlohmann::json::parse(update_profile_request(11, "", "GVO"));
  CHECK(profile["params"]["givenName"] == "GVO");
  const auto version = nlohmann::json::parse(version_request(12));
  CHECK(version["method"] == "version");
  CHECK_FALSE(version.contains("params"));
  CHECK(nlohmann::json::parse(subscribe_request(13, ""))["method"] == "subscribeReceive");
  const auto trusted = nlohmann::json::parse(trust_request(14, "", "aci-\"1"));
  CHECK(trusted["params"]["recipient"] == "aci-\"1");  // escaped, whatever the address holds
  CHECK(trusted["params"]["trustAllKnownKeys"] == true);
}

TEST_CASE("signal-cli listIdentities: the safety number people compare, per contact") {
  const auto known = read_identities(
      R"([{"number":null,"uuid":"aci-1","fingerprint":"05ab","safetyNumber":"12345 67890","scannableSafetyNumber":"x","trustLevel":"TRUSTED_UNVERIFIED","addedTimestamp":1},
          {"number":"+32470","uuid":"aci-2","fingerprint":"05cd","safetyNumber":"11111 22222","trustLevel":"UNTRUSTED","addedTimestamp":2},
          "noise"])");
  REQUIRE(known.ok());
  REQUIRE(known->size() == 2);
  CHECK(known->at(0).uuid == "aci-1");
  CHECK(known->at(0).number.empty());
  CHECK(known->at(0).safety_number == "12345 67890");
  CHECK(known->at(1).trust_level == "UNTRUSTED");
  CHECK_FALSE(read_identities("{}").ok());
  CHECK(nlohmann::json::parse(list_identities_request(3, ""))["method"] == "listIdentities");
  CHECK_FALSE(nlohmann::json::parse(list_identities_request(3, ""))["params"].contains("number"));
  CHECK(nlohmann::json::parse(list_identities_request(3, "", "aci-1"))["params"]["number"] ==
        "aci-1");
  const auto challenge = nlohmann::json::parse(
      submit_challenge_request(4, "+32400000000", "tok-1", "signalcaptcha://abc"));
  CHECK(challenge["method"] == "submitRateLimitChallenge");
  CHECK(challenge["params"]["challenge"] == "tok-1");
  CHECK(challenge["params"]["captcha"] == "signalcaptcha://abc");
  CHECK(challenge["params"]["account"] == "+32400000000");
  const auto unsubscribe = nlohmann::json::parse(unsubscribe_request(5, "", 17));
  CHECK(unsubscribe["method"] == "unsubscribeReceive");
  CHECK(unsubscribe["params"]["subscription"] == 17);
  CHECK(read_subscription("17") == std::optional<std::int64_t>(17));
  CHECK_FALSE(read_subscription("{}").has_value());
  CHECK_FALSE(read_subscription("1.5").has_value());
  CHECK_FALSE(read_subscription("not json").has_value());
}

namespace {

// The lines of real-0.13.19.txt by the name on the '## ' line before each.
std::map<std::string, std::string> real_lines() {
  std::map<std::string, std::string> named;
  std::string name;
  for (const auto& line : fixture("real-0.13.19.txt")) {
    if (line.rfind("## ", 0) == 0) {
      name = line.substr(3);
    } else if (!name.empty() && !line.empty() && line[0] != '#') {
      named[std::exchange(name, {})] = line;
    }
  }
  return named;
}

RecipientResult only_result(const Response& response) {
  REQUIRE(response.error);
  const auto outcome = read_send_result(response.error->response);
  REQUIRE(outcome.ok());
  REQUIRE(outcome->results.size() == 1);
  return outcome->results[0];
}

}  // namespace

TEST_CASE("signal-cli 0.13.19: rate limits without a usable delay carry no hint") {
  const auto real = real_lines();
  // A captcha challenge (HTTP 428): a token and "retryAfterSeconds": -1, which once made the
  // bot resend at once, 5,081 times in 10 s.
  const auto captcha = only_result(std::get<Response>(frame(real.at("send-captcha"))));
  CHECK(captcha.type == RecipientResult::Type::rate_limit);
  CHECK(captcha.token == "token");
  CHECK_FALSE(captcha.retry_after_seconds);
  // A plain 429, with Retry-After or without: 0.13.19 passes on neither.
  for (const char* name : {"send-429-retry-after-30", "send-429-no-retry-after"}) {
    INFO(name);
    const auto plain = only_result(std::get<Response>(frame(real.at(name))));
    CHECK(plain.type == RecipientResult::Type::rate_limit);
    CHECK(plain.token.empty());
    CHECK_FALSE(plain.retry_after_seconds);
  }
  // Zero and negative are no hint either; a positive value is one.
  for (const char* value : {"0", "-1", "-86400", "1.5", "\"30\"", "null"}) {
    INFO(value);
    const auto read = read_send_result(
        std::string(R"({"results":[{"type":"RATE_LIMIT_FAILURE","retryAfterSeconds":)") + value +
        "}]}");
    REQUIRE(read.ok());
    CHECK_FALSE(read->results.at(0).retry_after_seconds);
  }
  const auto positive =
      read_send_result(R"({"results":[{"type":"RATE_LIMIT_FAILURE","retryAfterSeconds":30}]})");
  REQUIRE(positive.ok());
  CHECK(positive->results.at(0).retry_after_seconds == std::optional<std::int64_t>(30));
  CHECK(only_result(std::get<Response>(frame(real.at("send-unregistered")))).type ==
        RecipientResult::Type::unregistered);
}

TEST_CASE("signal-cli 0.13.19: listAccounts, a linked device's refusal, a rejected captcha") {
  const auto real = real_lines();
  const auto single = std::get<Response>(frame(real.at("list-accounts-single")));
  REQUIRE(single.error);
  CHECK(single.error->code == static_cast<int>(ErrorCode::method_not_found));  // started with -a
  const auto one =
      read_accounts(std::get<Response>(frame(real.at("list-accounts-multi-one"))).result);
  REQUIRE(one.ok());
  CHECK(*one == std::vector<std::string>{"+14154987398"});
  const auto none =
      read_accounts(std::get<Response>(frame(real.at("list-accounts-multi-none"))).result);
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK_FALSE(read_accounts("{}").ok());
  CHECK(nlohmann::json::parse(list_accounts_request(3))["method"] == "listAccounts");
  CHECK_FALSE(nlohmann::json::parse(list_accounts_request(3)).contains("params"));

  const auto linked = std::get<Response>(frame(real.at("update-contact-linked")));
  REQUIRE(linked.error);
  CHECK(refused_on_linked_device(*linked.error));
  CHECK_FALSE(
      refused_on_linked_device(*std::get<Response>(frame(real.at("update-profile-404"))).error));

  // 0.13.19 reports Signal's refusal of a captcha as -3 naming the 428; 0.14.3 and later as -6.
  Response rejected;
  rejected.error = RpcError{-3, "Submit challenge error: [428] ", ""};
  CHECK(read_challenge_reply(rejected) == ChallengeReply::rejected);
  rejected.error = RpcError{-6, "Captcha rejected", ""};
  CHECK(read_challenge_reply(rejected) == ChallengeReply::rejected);
  Response unreached;
  unreached.error = RpcError{-3, "Submit challenge error: timeout", ""};
  CHECK(read_challenge_reply(unreached) == ChallengeReply::failed);
  CHECK(read_challenge_reply(Response{"1", "{}", std::nullopt}) == ChallengeReply::accepted);
}

TEST_CASE("signal-cli 0.13.19: messages, unreadable ones, identities as it writes them") {
  const auto real = real_lines();
  const auto message = std::get<Envelope>(frame(real.at("message")));
  CHECK(message.kind == Envelope::Kind::data);
  CHECK(message.text == std::optional<std::string>("bonjour depuis le mock"));
  CHECK_FALSE(message.source_number);
  CHECK(message.subscription == std::optional<std::int64_t>(0));
  for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
           {"exception-npe", "NullPointerException"},
           {"exception-invalid-message", "ProtocolInvalidMessageException"}}) {
    INFO(name);
    const auto unreadable = std::get<Envelope>(frame(real.at(name)));
    CHECK(unreadable.exception == type);
    CHECK_FALSE(unreadable.untrusted_identity);
    CHECK_FALSE(unreadable.text);
  }
  const auto listed = std::get<Response>(frame(real.at("list-identities")));
  const auto known = read_identities(listed.result);
  REQUIRE(known.ok());
  REQUIRE(known->size() == 2);  // the bot's own number is among them
  CHECK(known->at(0).number == "+14154923511");
  CHECK(known->at(1).number.empty());                    // a host: "number": null
  CHECK(known->at(1).fingerprint.size() == 33 * 3 - 1);  // spaced hex of 33 bytes
  CHECK(known->at(1).safety_number.size() == 12 * 6 - 1);
  // id null is answered; the bot never sends it, and skips what it cannot match.
  CHECK(std::get<Response>(frame(real.at("id-null"))).id == "null");
}

// What a Signal app sends besides words, in the shapes of signal-cli's JsonDataMessage,
// JsonEditMessage and JsonCallMessage (null members written or left out, as it does): each is
// read as what it is, so that the desk can answer it (issue 19).
TEST_CASE("signal-cli: voice notes, photos, stickers, reactions, edits, deletions and calls") {
  struct Shape {
    const char* what;
    const char* envelope_rest;  // after "timestamp":7,
    Envelope::Kind kind;
    MessageKind content;
    const char* text;  // nullptr: none
  };
  const Shape shapes[] = {
      {"a voice note",
       R"("dataMessage":{"timestamp":7,"message":null,"expiresInSeconds":0,"viewOnce":false,"attachments":[{"contentType":"audio/aac","filename":null,"id":"Xk3","size":5120,"width":null,"height":null,"caption":null,"uploadTimestamp":7}]})",
       Envelope::Kind::data, MessageKind::voice_note, nullptr},
      {"a photo with a caption",
       R"("dataMessage":{"timestamp":7,"message":"son papier","expiresInSeconds":0,"viewOnce":false,"attachments":[{"contentType":"image/jpeg","filename":"IMG_1.jpg","id":"a1","size":90000,"width":1200,"height":1600}]})",
       Envelope::Kind::data, MessageKind::picture, "son papier"},
      {"a video among files",
       R"("dataMessage":{"timestamp":7,"message":null,"viewOnce":false,"attachments":[{"contentType":"application/pdf","id":"d1"},{"contentType":"VIDEO/MP4","id":"v1"}]})",
       Envelope::Kind::data, MessageKind::picture, nullptr},
      {"a PDF",
       R"("dataMessage":{"timestamp":7,"viewOnce":false,"attachments":[{"contentType":"application/pdf","filename":"oqt.pdf","id":"d1","size":1}]})",
       Envelope::Kind::data, MessageKind::file, nullptr},
      {"an attachment without a type",
       R"("dataMessage":{"timestamp":7,"attachments":[{"id":"d1"}]})", Envelope::Kind::data,
       MessageKind::file, nullptr},
      {"a view-once photo",
       R"("dataMessage":{"timestamp":7,"message":null,"viewOnce":true,"attachments":[{"contentType":"image/jpeg","id":"o1"}]})",
       Envelope::Kind::data, MessageKind::view_once, nullptr},
      {"a sticker",
       R"("dataMessage":{"timestamp":7,"message":null,"viewOnce":false,"sticker":{"packId":"p","stickerId":3}})",
       Envelope::Kind::data, MessageKind::sticker, nullptr},
      {"a reaction",
       R"("dataMessage":{"timestamp":7,"message":null,"viewOnce":false,"reaction":{"emoji":"👍","targetAuthor":"bot","targetAuthorNumber":"+32400000000","targetAuthorUuid":"bot","targetSentTimestamp":5,"isRemove":false}})",
       Envelope::Kind::data, MessageKind::reaction, nullptr},
      {"a deletion",
       R"("dataMessage":{"timestamp":7,"message":null,"viewOnce":false,"remoteDelete":{"timestamp":5}})",
       Envelope::Kind::data, MessageKind::deletion, nullptr},
      {"a shared contact",
       R"("dataMessage":{"timestamp":7,"message":null,"contacts":[{"name":{"given":"A"}}]})",
       Envelope::Kind::data, MessageKind::file, nullptr},
      {"a payment", R"("dataMessage":{"timestamp":7,"message":null,"payment":{"note":"x"}})",
       Envelope::Kind::data, MessageKind::unsupported, nullptr},
      {"an edit",
       R"("editMessage":{"targetSentTimestamp":5,"dataMessage":{"timestamp":7,"message":"KAMARA Ibrahim","expiresInSeconds":0,"viewOnce":false}})",
       Envelope::Kind::edit, MessageKind::edit, "KAMARA Ibrahim"},
      {"a call offered",
       R"("callMessage":{"offerMessage":{"id":1,"type":"AUDIO_CALL","opaque":"AA=="}})",
       Envelope::Kind::call, MessageKind::call, nullptr},
      {"a call hung up", R"("callMessage":{"hangupMessage":{"id":1,"type":"NORMAL"}})",
       Envelope::Kind::call, MessageKind::text, nullptr},
      // Nothing a person wrote: a disappearing-messages timer, empty attachment lists.
      {"a timer update",
       R"("dataMessage":{"timestamp":7,"message":null,"expiresInSeconds":3600,"isExpirationUpdate":true,"viewOnce":false,"attachments":[],"sticker":null,"reaction":null})",
       Envelope::Kind::data, MessageKind::text, nullptr},
      {"a null data message", R"("dataMessage":null)", Envelope::Kind::data, MessageKind::text,
       nullptr},
      {"a text", R"("dataMessage":{"timestamp":7,"message":"salut","attachments":null})",
       Envelope::Kind::data, MessageKind::text, "salut"},
  };
  for (const auto& shape : shapes) {
    INFO(shape.what);
    const std::string line =
        std::string(
            R"({"jsonrpc":"2.0","method":"receive","params":{"account":"+32400000000","envelope":{"source":"aci-1","sourceNumber":null,"sourceUuid":"aci-1","sourceName":"","sourceDevice":1,"timestamp":7,)") +
        shape.envelope_rest + "}}}";
    const auto envelope = std::get<Envelope>(frame(line));
    CHECK(envelope.kind == shape.kind);
    CHECK(envelope.content == shape.content);
    CHECK(envelope.text.has_value() == (shape.text != nullptr));
    if (shape.text != nullptr && envelope.text) CHECK(*envelope.text == shape.text);
  }
}

TEST_CASE("message kinds: MIME types, and the words logs and the inbox keep") {
  CHECK(kind_of_attachment("audio/aac") == MessageKind::voice_note);
  CHECK(kind_of_attachment("Audio/OGG; codecs=opus") == MessageKind::voice_note);
  CHECK(kind_of_attachment("image/heic") == MessageKind::picture);
  CHECK(kind_of_attachment("video/quicktime") == MessageKind::picture);
  CHECK(kind_of_attachment("application/pdf") == MessageKind::file);
  CHECK(kind_of_attachment("") == MessageKind::file);
  CHECK(kind_of_attachment("audio") == MessageKind::file);
  for (const MessageKind kind : gvo::core::kMessageKinds) CHECK(kind_named(word_of(kind)) == kind);
  CHECK(kind_named("hologram") == MessageKind::unsupported);
}
