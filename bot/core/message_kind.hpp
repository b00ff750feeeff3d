// What a person's message is besides its words, as far as the bot answers it (issue 19): a
// Signal app can send a voice note, a photo, a file, a sticker, a reaction, an edit of an earlier
// message, the deletion of one, view-once media or a call. The transport says which; the desk
// answers each kind in the person's language, so that nobody who wrote is left without an answer.
// Header-only, no I/O; any thread.
#pragma once

#include <string_view>

namespace gvo::core {

enum class MessageKind {
  text,         // words only
  voice_note,   // an audio attachment (the apps record voice notes as audio/aac)
  picture,      // an image or a video: often a photo of a paper (an order to leave, a badge)
  file,         // any other attachment, a shared contact card
  sticker,      // a picture from a sticker pack
  reaction,     // an emoji put on one of the bot's messages (or taken off)
  edit,         // a new version of a message sent before; its text is the new version
  deletion,     // "delete for everyone" of a message sent before
  view_once,    // media that can be opened once
  call,         // a voice or video call offered to the bot
  unsupported,  // anything else without words (a payment, a poll...)
};

// For logs and counters: a word, never content.
constexpr std::string_view word_of(MessageKind kind) {
  switch (kind) {
    case MessageKind::text:
      return "text";
    case MessageKind::voice_note:
      return "voice_note";
    case MessageKind::picture:
      return "picture";
    case MessageKind::file:
      return "file";
    case MessageKind::sticker:
      return "sticker";
    case MessageKind::reaction:
      return "reaction";
    case MessageKind::edit:
      return "edit";
    case MessageKind::deletion:
      return "deletion";
    case MessageKind::view_once:
      return "view_once";
    case MessageKind::call:
      return "call";
    case MessageKind::unsupported:
      return "unsupported";
  }
  return "unsupported";
}

constexpr MessageKind kMessageKinds[] = {
    MessageKind::text,      MessageKind::voice_note, MessageKind::picture,    MessageKind::file,
    MessageKind::sticker,   MessageKind::reaction,   MessageKind::edit,       MessageKind::deletion,
    MessageKind::view_once, MessageKind::call,       MessageKind::unsupported};

// The kind word_of names; unsupported for a word it never gives.
constexpr MessageKind kind_named(std::string_view word) {
  for (const MessageKind kind : kMessageKinds) {
    if (word_of(kind) == word) return kind;
  }
  return MessageKind::unsupported;
}

// The kind of an attachment from its MIME type ("audio/aac", "image/jpeg; x=y", "IMAGE/PNG").
constexpr MessageKind kind_of_attachment(std::string_view content_type) {
  auto starts = [&](std::string_view prefix) {
    if (content_type.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = content_type[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  if (starts("audio/")) return MessageKind::voice_note;
  if (starts("image/") || starts("video/")) return MessageKind::picture;
  return MessageKind::file;
}

}  // namespace gvo::core
