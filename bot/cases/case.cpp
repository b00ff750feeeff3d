#include "bot/cases/case.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

namespace gvo::cases {
namespace {

// 32 symbols: the digits 2-9 and the letters but I and O (read as 1 and 0).
constexpr std::string_view kSymbols = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
static_assert(kSymbols.size() == 32);

const flows::Answer* answered(const flows::Session& session, const char* name) {
  const auto it = session.results.find(name);
  if (it == session.results.end() || it->second.skipped || it->second.value.empty()) return nullptr;
  return &it->second;
}

// "Ali Ben Salah, Abu Ali / Ali B." -> three names.
std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::string current;
  auto flush = [&] {
    const auto first = current.find_first_not_of(' ');
    const auto last = current.find_last_not_of(' ');
    if (first != std::string::npos) names.push_back(current.substr(first, last - first + 1));
    current.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ',' || c == ';' || c == '/' || c == '\n') {
      flush();
    } else if (text.compare(i, 2, "\xd8\x8c") == 0) {  // Arabic comma
      flush();
      ++i;
    } else {
      current += c;
    }
  }
  flush();
  return names;
}

}  // namespace

bool is_final(Status status) {
  return status == Status::released || status == Status::deported || status == Status::closed;
}

std::string_view to_string(Consent consent) {
  switch (consent) {
    case Consent::yes:
      return "yes";
    case Consent::no:
      return "no";
    case Consent::not_asked:
      break;
  }
  return "not_asked";
}

Consent parse_consent(std::string_view value) {
  if (value == "yes") return Consent::yes;
  if (value == "no") return Consent::no;
  return Consent::not_asked;
}

flows::Session with_consent(flows::Session intake, Consent consent) {
  flows::Answer& answer = intake.results[result::consent];
  answer = flows::Answer{};
  answer.value = std::string(to_string(consent));
  return intake;
}

flows::Session without_host(flows::Session intake) {
  intake.results.erase(result::host_contact);
  return intake;
}

flows::Session filed_remains(const flows::Session& session) {
  flows::Session remains;
  remains.flow_id = session.flow_id;
  remains.flow_version = session.flow_version;
  remains.language = session.language;
  remains.state = flows::SessionState::finished;
  return remains;
}

flows::Session merged_intake(flows::Session kept, const flows::Session& other,
                             const std::vector<std::string>& kept_skeletons,
                             const std::vector<std::pair<std::string, std::string>>& other_names) {
  for (const auto& [name, answer] : other.results) {
    if (name == result::consent || name == result::host_contact) continue;
    // Names are added below, as other names, once each.
    if (name == result::registered_name || name == result::other_names ||
        name == result::alias_name || name == result::alias_only) {
      continue;
    }
    if (answer.skipped || answer.value.empty()) continue;
    const auto it = kept.results.find(name);
    if (it != kept.results.end() && !it->second.skipped && !it->second.value.empty()) continue;
    kept.results[name] = answer;
  }
  // The other's names (as written, with their skeleton) the kept one does not go by.
  std::string added;
  std::vector<std::string> known = kept_skeletons;
  for (const auto& [written, skeleton] : other_names) {
    if (skeleton.empty() || std::find(known.begin(), known.end(), skeleton) != known.end())
      continue;
    known.push_back(skeleton);
    added += (added.empty() ? "" : ", ") + written;
  }
  if (added.empty()) return kept;
  flows::Answer& others = kept.results[result::other_names];
  if (others.skipped || others.value.empty()) {
    others = flows::Answer{};
    others.value = added;
  } else {
    others.value += ", " + added;
  }
  others.display = others.value;
  others.raw = others.value;
  return kept;
}

Facts facts_of(const flows::Session& intake) {
  Facts facts;
  if (const auto* alias_only = answered(intake, result::alias_only))
    facts.alias_only = alias_only->value == "yes";
  if (const auto* name = answered(intake, result::registered_name)) {
    for (auto& each : split_names(name->value))
      (facts.alias_only ? facts.aliases : facts.names).push_back(std::move(each));
  }
  if (const auto* alias = answered(intake, result::alias_name)) {
    facts.alias_only = true;
    for (auto& each : split_names(alias->value)) facts.aliases.push_back(std::move(each));
  }
  if (const auto* others = answered(intake, result::other_names)) {
    for (auto& each : split_names(others->value)) facts.aliases.push_back(std::move(each));
  }
  if (const auto* nationality = answered(intake, result::nationality))
    facts.nationality = nationality->value;
  if (const auto* centre = answered(intake, result::centre)) facts.centre = centre->value;
  if (const auto* date = answered(intake, result::arrest_date))
    facts.arrest_date = parse_iso_date(date->value);
  if (const auto* date = answered(intake, result::decision_date))
    facts.decision_date = parse_iso_date(date->value);
  if (const auto* lawyer = answered(intake, result::wants_lawyer))
    facts.wants_lawyer = lawyer->value == "yes";
  if (const auto* consent = answered(intake, result::consent))
    facts.consent = parse_consent(consent->value);
  return facts;
}

std::string first_name(const Facts& facts) {
  if (!facts.names.empty()) return facts.names.front();
  if (!facts.aliases.empty()) return facts.aliases.front();
  return {};
}

std::optional<flows::CivilDate> parse_iso_date(const std::string& text) {
  flows::CivilDate parsed;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%c", &parsed.year, &parsed.month, &parsed.day, &tail) !=
          3 ||
      !flows::is_valid(parsed)) {
    return std::nullopt;
  }
  return parsed;
}

std::string make_reference(const std::array<std::uint8_t, kReferenceRandomBytes>& random) {
  std::uint64_t bits = 0;
  for (std::uint8_t byte : random) bits = (bits << 8) | byte;
  std::string reference;
  for (int i = 7; i >= 0; --i) {
    reference += kSymbols[static_cast<std::size_t>((bits >> (5 * i)) & 0x1f)];
    if (i == 4) reference += '-';
  }
  // A digit and a letter in every reference, so that no word ("RELEASED") nor number reads as one.
  const auto has = [&](auto test) {
    return std::any_of(reference.begin(), reference.end(),
                       [&](char c) { return c != '-' && test(static_cast<unsigned char>(c)); });
  };
  if (!has(::isdigit)) reference[8] = kSymbols[random[4] & 0x07];
  if (!has(::isalpha)) reference[0] = kSymbols[8 + (random[0] & 0x0f)];
  return reference;
}

bool looks_like_partial_reference(std::string_view word) {
  std::string symbols;
  for (char c : word) {
    if (c == '-') continue;
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (kSymbols.find(upper) == std::string_view::npos) return false;
    symbols += upper;
  }
  const bool digit = std::any_of(symbols.begin(), symbols.end(), ::isdigit);
  const bool letter = std::any_of(symbols.begin(), symbols.end(), ::isalpha);
  return symbols.size() >= 3 && symbols.size() <= 7 && digit && letter;
}

std::string find_reference(std::string_view text) {
  auto symbol_at = [&](std::size_t i) {
    return i < text.size() &&
           kSymbols.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])))) !=
               std::string_view::npos;
  };
  auto word_char = [&](std::size_t i) {
    return std::isalnum(static_cast<unsigned char>(text[i])) != 0;
  };
  for (std::size_t start = 0; start + 8 <= text.size(); ++start) {
    if (start > 0 && word_char(start - 1)) continue;
    std::string found;
    std::size_t i = start;
    for (; found.size() < 8 && i < text.size(); ++i) {
      if (found.size() == 4 && (text[i] == '-' || text[i] == ' ')) {
        if (i + 1 < text.size() && (text[i + 1] == '-' || text[i + 1] == ' ')) break;
        continue;
      }
      if (!symbol_at(i)) break;
      found += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    }
    const bool digit = std::any_of(found.begin(), found.end(), ::isdigit);
    const bool letter = std::any_of(found.begin(), found.end(), ::isalpha);
    if (found.size() == 8 && digit && letter && (i == text.size() || !word_char(i))) {
      return found.substr(0, 4) + "-" + found.substr(4);
    }
  }
  return {};
}

}  // namespace gvo::cases
