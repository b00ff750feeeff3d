// The words the store keeps and the case rules read: staff roles, member states and case
// statuses, each an enum with the text the database holds for it. Here, in the pure core, so that
// storage/ and bot/cases/ name the same types. Header-only, no I/O; any thread.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace gvo::core {

enum class StaffRole { coordinator, referent };

// unverified -> active (their key pinned) -> suspended (their key changed) -> active again.
enum class StaffState { unverified, active, suspended };

// new -> acknowledged -> located / not_found -> lawyer -> released / deported / transferred /
// closed. Every change is an event with who, when and why.
enum class CaseStatus {
  reported,  // "new": filed, nobody has looked at it yet
  acknowledged,
  located,
  not_found,
  lawyer,
  released,
  deported,
  transferred,
  closed,
};

namespace vocabulary {

template <typename Enum, std::size_t N>
using Words = std::array<std::pair<Enum, std::string_view>, N>;

inline constexpr Words<StaffRole, 2> kStaffRoles{{
    {StaffRole::coordinator, "coordinator"},
    {StaffRole::referent, "referent"},
}};
inline constexpr Words<StaffState, 3> kStaffStates{{
    {StaffState::unverified, "unverified"},
    {StaffState::active, "active"},
    {StaffState::suspended, "suspended"},
}};
inline constexpr Words<CaseStatus, 9> kCaseStatuses{{
    {CaseStatus::reported, "new"},
    {CaseStatus::acknowledged, "acknowledged"},
    {CaseStatus::located, "located"},
    {CaseStatus::not_found, "not_found"},
    {CaseStatus::lawyer, "lawyer"},
    {CaseStatus::released, "released"},
    {CaseStatus::deported, "deported"},
    {CaseStatus::transferred, "transferred"},
    {CaseStatus::closed, "closed"},
}};

template <typename Enum, std::size_t N>
constexpr std::string_view word_of(const Words<Enum, N>& words, Enum value) {
  for (const auto& entry : words) {
    if (entry.first == value) return entry.second;
  }
  return "?";  // not reached: every value is in its table (tests/cases)
}

template <typename Enum, std::size_t N>
constexpr std::optional<Enum> value_of(const Words<Enum, N>& words, std::string_view word) {
  for (const auto& entry : words) {
    if (entry.second == word) return entry.first;
  }
  return std::nullopt;
}

}  // namespace vocabulary

// The stored words: "coordinator", "active", "new"...
constexpr std::string_view to_string(StaffRole role) {
  return vocabulary::word_of(vocabulary::kStaffRoles, role);
}
constexpr std::string_view to_string(StaffState state) {
  return vocabulary::word_of(vocabulary::kStaffStates, state);
}
constexpr std::string_view to_string(CaseStatus status) {
  return vocabulary::word_of(vocabulary::kCaseStatuses, status);
}

// Nothing for a word that is not one of them (exactly as stored: lowercase, no spaces).
constexpr std::optional<StaffRole> parse_staff_role(std::string_view word) {
  return vocabulary::value_of(vocabulary::kStaffRoles, word);
}
constexpr std::optional<StaffState> parse_staff_state(std::string_view word) {
  return vocabulary::value_of(vocabulary::kStaffStates, word);
}
constexpr std::optional<CaseStatus> parse_status(std::string_view word) {
  return vocabulary::value_of(vocabulary::kCaseStatuses, word);
}

}  // namespace gvo::core
