#include "bot/core/signal_cli_rpc.hpp"

#include <climits>

#include "bot/core/json_reader.hpp"

namespace gvo::core::signal_cli {
namespace {

std::string text_at(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Envelope::Kind kind_of(const Json& envelope) {
  if (envelope.contains("syncMessage")) return Envelope::Kind::sync;
  if (envelope.contains("editMessage")) return Envelope::Kind::edit;
  if (envelope.contains("dataMessage")) return Envelope::Kind::data;
  if (envelope.contains("typingMessage")) return Envelope::Kind::typing;
  if (envelope.contains("receiptMessage")) return Envelope::Kind::receipt;
  if (envelope.contains("callMessage")) return Envelope::Kind::call;
  return Envelope::Kind::other;
}

bool holds_object(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object();
}

bool holds_items(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_array() && !it->empty();
}

// What a dataMessage is besides its words (JsonDataMessage: null members are left out or null).
MessageKind content_of(const Json& data) {
  if (!data.is_object()) return MessageKind::text;
  if (holds_object(data, "remoteDelete")) return MessageKind::deletion;
  if (holds_object(data, "reaction")) return MessageKind::reaction;
  if (holds_object(data, "sticker")) return MessageKind::sticker;
  if (holds_items(data, "attachments")) {
    const auto once = data.find("viewOnce");
    if (once != data.end() && once->is_boolean() && once->get<bool>())
      return MessageKind::view_once;
    // Several attachments: a photo among them is what matters most to the case.
    MessageKind kind = MessageKind::file;
    for (const auto& attachment : data["attachments"]) {
      if (!attachment.is_object()) continue;
      const MessageKind each = kind_of_attachment(text_at(attachment, "contentType"));
      if (each == MessageKind::picture) return each;
      if (each == MessageKind::voice_note) kind = each;
    }
    return kind;
  }
  if (holds_items(data, "contacts")) return MessageKind::file;
  for (const char* other : {"payment", "pollCreate", "pollVote", "pollTerminate"}) {
    if (holds_object(data, other)) return MessageKind::unsupported;
  }
  return MessageKind::text;
}

std::optional<std::string> message_of(const Json& data) {
  if (!data.is_object()) return std::nullopt;
  const auto message = data.find("message");
  if (message == data.end() || !message->is_string()) return std::nullopt;
  return message->get<std::string>();
}

// params of a receive notification: the payload, or {"subscription":N,"result":payload}.
std::optional<Envelope> envelope_from(const Json& params) {
  if (!params.is_object()) return std::nullopt;
  Envelope out;
  const Json* payload = &params;
  if (const auto result = params.find("result"); result != params.end() && result->is_object()) {
    payload = &*result;
    if (const auto sub = params.find("subscription");
        sub != params.end() && sub->is_number_integer()) {
      out.subscription = sub->get<std::int64_t>();
    }
  }
  const auto envelope = payload->find("envelope");
  if (envelope == payload->end() || !envelope->is_object()) return std::nullopt;
  out.account = text_at(*payload, "account");
  out.source_uuid = text_at(*envelope, "sourceUuid");
  if (const auto number = envelope->find("sourceNumber");
      number != envelope->end() && number->is_string()) {
    out.source_number = number->get<std::string>();
  }
  if (const auto at = envelope->find("timestamp"); at != envelope->end() && at->is_number_integer())
    out.timestamp = at->get<std::int64_t>();
  out.kind = kind_of(*envelope);
  if (out.kind == Envelope::Kind::data) {
    const Json& data = (*envelope)["dataMessage"];
    out.text = message_of(data);
    out.content = content_of(data);
  } else if (out.kind == Envelope::Kind::edit) {
    const Json& edit = (*envelope)["editMessage"];
    if (edit.is_object()) {
      if (const auto data = edit.find("dataMessage"); data != edit.end())
        out.text = message_of(*data);
    }
    out.content = MessageKind::edit;
  } else if (out.kind == Envelope::Kind::call) {
    // Only the offer of a call is someone calling; its answer, hang-up and ICE updates are not.
    const Json& call = (*envelope)["callMessage"];
    out.content = holds_object(call, "offerMessage") ? MessageKind::call : MessageKind::text;
  }
  if (const auto exception = payload->find("exception");
      exception != payload->end() && exception->is_object()) {
    out.exception = text_at(*exception, "type");
    if (out.exception.empty()) out.exception = "unnamed";
    out.untrusted_identity = out.exception == "UntrustedIdentityException";
  }
  return out;
}

RecipientResult::Type type_named(const std::string& name) {
  using Type = RecipientResult::Type;
  if (name == "SUCCESS") return Type::success;
  if (name == "NETWORK_FAILURE") return Type::network;
  if (name == "UNREGISTERED_FAILURE") return Type::unregistered;
  if (name == "IDENTITY_FAILURE") return Type::identity;
  if (name == "RATE_LIMIT_FAILURE") return Type::rate_limit;
  if (name == "INVALID_PRE_KEY_FAILURE") return Type::invalid_pre_key;
  return Type::unknown;
}

Json request(std::int64_t id, const char* method, Json params, const std::string& account) {
  if (!account.empty()) params["account"] = account;
  Json line{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.empty()) line["params"] = std::move(params);
  return line;
}

std::string dump(const Json& line) {
  return line.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

}  // namespace

Result<Frame, WireErrc> read_line(std::string_view line) {
  std::string why;
  const Json value = parse_json(line, why);
  if (value.is_discarded()) return fail(WireErrc::not_json, why);
  if (!value.is_object() || text_at(value, "jsonrpc") != "2.0")
    return fail(WireErrc::not_rpc, "not a JSON-RPC 2.0 object");
  const bool has_result = value.contains("result");
  const auto error = value.find("error");
  if (has_result || error != value.end()) {
    Response response;
    if (const auto id = value.find("id"); id != value.end()) response.id = id->dump();
    if (error != value.end()) {
      if (!error->is_object()) return fail(WireErrc::not_rpc, "error is not an object");
      RpcError failure;
      if (const auto code = error->find("code");
          code != error->end() && code->is_number_integer() && !code->is_number_unsigned() &&
          code->get<std::int64_t>() >= INT_MIN && code->get<std::int64_t>() <= INT_MAX) {
        failure.code = static_cast<int>(code->get<std::int64_t>());
      }
      failure.message = text_at(*error, "message");
      if (const auto data = error->find("data"); data != error->end() && data->is_object()) {
        if (const auto inner = data->find("response"); inner != data->end())
          failure.response = dump(*inner);
      }
      response.error = std::move(failure);
    } else {
      response.result = dump(value["result"]);
    }
    return Frame(std::move(response));
  }
  const std::string method = text_at(value, "method");
  if (method.empty()) return fail(WireErrc::not_rpc, "neither a response nor a method");
  if (value.contains("id")) return Frame(Other{"request " + method});
  if (method != "receive") return Frame(Other{"notification " + method});
  const auto params = value.find("params");
  if (params == value.end()) return fail(WireErrc::not_rpc, "receive without params");
  auto envelope = envelope_from(*params);
  if (!envelope) return fail(WireErrc::not_rpc, "receive without an envelope");
  return Frame(std::move(*envelope));
}

std::optional<std::int64_t> read_subscription(std::string_view json_text) {
  std::string why;
  const Json value = parse_json(json_text, why);
  if (!value.is_number_integer()) return std::nullopt;
  return value.get<std::int64_t>();
}

Result<SendResult, WireErrc> read_send_result(std::string_view json_text) {
  std::string why;
  const Json value = parse_json(json_text, why);
  if (value.is_discarded()) return fail(WireErrc::not_json, why);
  if (!value.is_object()) return fail(WireErrc::not_rpc, "a send result is an object");
  SendResult out;
  if (const auto at = value.find("timestamp"); at != value.end() && at->is_number_integer())
    out.timestamp = at->get<std::int64_t>();
  const auto results = value.find("results");
  if (results == value.end()) return out;
  if (!results->is_array()) return fail(WireErrc::not_rpc, "results is not an array");
  for (const auto& item : *results) {
    if (!item.is_object()) continue;
    RecipientResult result;
    result.type = type_named(text_at(item, "type"));
    if (const auto address = item.find("recipientAddress");
        address != item.end() && address->is_object()) {
      result.uuid = text_at(*address, "uuid");
      result.number = text_at(*address, "number");
    }
    result.token = text_at(item, "token");
    if (const auto retry = item.find("retryAfterSeconds");
        retry != item.end() && retry->is_number_integer() && retry->get<std::int64_t>() > 0) {
      result.retry_after_seconds = retry->get<std::int64_t>();
    }
    out.results.push_back(std::move(result));
  }
  return out;
}

Result<std::vector<KnownIdentity>, WireErrc> read_identities(std::string_view json_text) {
  std::string why;
  const Json value = parse_json(json_text, why);
  if (value.is_discarded()) return fail(WireErrc::not_json, why);
  if (!value.is_array()) return fail(WireErrc::not_rpc, "listIdentities returns an array");
  std::vector<KnownIdentity> known;
  for (const auto& item : value) {
    if (!item.is_object()) continue;
    known.push_back({text_at(item, "uuid"), text_at(item, "number"), text_at(item, "fingerprint"),
                     text_at(item, "safetyNumber"), text_at(item, "trustLevel")});
  }
  return known;
}

Result<std::vector<std::string>, WireErrc> read_accounts(std::string_view json_text) {
  std::string why;
  const Json value = parse_json(json_text, why);
  if (value.is_discarded()) return fail(WireErrc::not_json, why);
  if (!value.is_array()) return fail(WireErrc::not_rpc, "listAccounts returns an array");
  std::vector<std::string> accounts;
  for (const auto& item : value) {
    if (item.is_object()) accounts.push_back(text_at(item, "number"));
  }
  return accounts;
}

ChallengeReply read_challenge_reply(const Response& response) {
  if (!response.error) return ChallengeReply::accepted;
  const auto& error = *response.error;
  if (error.code == static_cast<int>(ErrorCode::captcha_rejected)) return ChallengeReply::rejected;
  // 0.13: Signal's 428 to the submitted captcha comes back as an I/O error naming the status.
  if (error.code == static_cast<int>(ErrorCode::io) &&
      error.message.find("Submit challenge error: [428]") != std::string::npos)
    return ChallengeReply::rejected;
  return ChallengeReply::failed;
}

bool refused_on_linked_device(const RpcError& error) {
  return error.code == static_cast<int>(ErrorCode::user) &&
         error.message.find("linked device") != std::string::npos;
}

std::string send_request(std::int64_t id, const std::string& account, const std::string& recipient,
                         const std::string& message) {
  return dump(request(
      id, "send", Json{{"recipient", Json::array({recipient})}, {"message", message}}, account));
}

std::string typing_request(std::int64_t id, const std::string& account,
                           const std::string& recipient, bool stop) {
  Json params{{"recipient", Json::array({recipient})}};
  if (stop) params["stop"] = true;
  return dump(request(id, "sendTyping", std::move(params), account));
}

std::string update_profile_request(std::int64_t id, const std::string& account,
                                   const std::string& name) {
  return dump(request(id, "updateProfile", Json{{"givenName", name}}, account));
}

std::string update_contact_request(std::int64_t id, const std::string& account,
                                   const std::string& recipient, int expiration_seconds) {
  return dump(request(id, "updateContact",
                      Json{{"recipient", recipient}, {"expiration", expiration_seconds}}, account));
}

std::string forget_contact_request(std::int64_t id, const std::string& account,
                                   const std::string& recipient) {
  return dump(
      request(id, "removeContact", Json{{"recipient", recipient}, {"forget", true}}, account));
}

std::string trust_request(std::int64_t id, const std::string& account,
                          const std::string& recipient) {
  return dump(
      request(id, "trust", Json{{"recipient", recipient}, {"trustAllKnownKeys", true}}, account));
}

std::string version_request(std::int64_t id) { return dump(request(id, "version", Json(), {})); }

std::string list_accounts_request(std::int64_t id) {
  return dump(request(id, "listAccounts", Json(), {}));
}

std::string list_identities_request(std::int64_t id, const std::string& account,
                                    const std::string& recipient) {
  Json params = Json::object();
  if (!recipient.empty()) params["number"] = recipient;
  return dump(request(id, "listIdentities", std::move(params), account));
}

std::string subscribe_request(std::int64_t id, const std::string& account) {
  return dump(request(id, "subscribeReceive", Json::object(), account));
}

std::string unsubscribe_request(std::int64_t id, const std::string& account,
                                std::int64_t subscription) {
  return dump(request(id, "unsubscribeReceive", Json{{"subscription", subscription}}, account));
}

std::string submit_challenge_request(std::int64_t id, const std::string& account,
                                     const std::string& challenge, const std::string& captcha) {
  return dump(request(id, "submitRateLimitChallenge",
                      Json{{"challenge", challenge}, {"captcha", captcha}}, account));
}

}  // namespace gvo::core::signal_cli
