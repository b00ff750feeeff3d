#include "bot/cases/matching.hpp"

#include <algorithm>
#include <set>

namespace gvo::cases {
namespace {

// "Ali" leaves "l": too short to tell anyone apart ("Abou Ali" leaves "bl", which is kept).
constexpr std::size_t kShortest = 2;
// A word that leaves this little ("ben", "el", "abu") is a particle of the name.
constexpr std::size_t kParticle = 2;

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' || c == 'w';
}

// One word: the spelling variants of transliteration made one.
std::string word_skeleton(std::string_view word) {
  std::string out;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (is_vowel(c)) continue;
    if (c == 'p' && i + 1 < word.size() && word[i + 1] == 'h') {  // "ph" as "f"
      c = 'f';
      ++i;
    } else if (c == 'c' || c == 'q') {
      c = 'k';
    } else if (c == 'z') {
      c = 's';
    }
    if (out.empty() || out.back() != c) out += c;
  }
  return out;
}

}  // namespace

namespace {

// The skeletons of each word of a Latin key, in order.
std::vector<std::string> word_skeletons(std::string_view latin_key) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < latin_key.size()) {
    std::size_t end = latin_key.find(' ', start);
    if (end == std::string_view::npos) end = latin_key.size();
    std::string word = word_skeleton(latin_key.substr(start, end - start));
    if (!word.empty()) words.push_back(std::move(word));
    start = end + 1;
  }
  return words;
}

std::string sorted_and_joined(std::vector<std::string> words) {
  std::sort(words.begin(), words.end());
  std::string joined;
  for (const auto& word : words) joined += (joined.empty() ? "" : " ") + word;
  return joined;
}

// A short word that is a name of its own ("Kane" leaves "kn", "Diop" "dp") is glued to its
// neighbour by name_skeleton as if it were a particle, so that "KANE Ibrahima" and "Ibrahima
// Kane" differ there. This second skeleton keeps the words apart, when each leaves two letters or
// more (a real particle then counts as a word: "Ben Karim Diop" meets "Diop Ben Karim", which
// costs no more than a look at the link). Empty when there are fewer than two such words.
std::string unglued_skeleton(std::string_view latin_key) {
  std::vector<std::string> words = word_skeletons(latin_key);
  if (words.size() < 2) return {};
  for (const auto& word : words) {
    if (word.size() < kShortest) return {};
  }
  return sorted_and_joined(std::move(words));
}

}  // namespace

std::string name_skeleton(std::string_view latin_key) {
  std::vector<std::string> words = word_skeletons(latin_key);
  // Particles are glued to the next word ("Ben Ali" as "Benali", "El Amrani" as "Elamrani"); a
  // last one to the word before, unless the particles at the end make a word together.
  std::vector<std::string> glued;
  std::string pending;
  for (auto& word : words) {
    if (word.size() <= kParticle) {
      pending += word;
      continue;
    }
    glued.push_back(pending + word);
    pending.clear();
  }
  if (!pending.empty()) {
    if (glued.empty() || pending.size() > kParticle) {
      glued.push_back(pending);
    } else {
      glued.back() += pending;
    }
  }
  return sorted_and_joined(std::move(glued));
}

MatchKeys match_keys(const Facts& facts, const flows::TextFolder& folder) {
  std::set<std::string> kept;
  std::set<std::string> sought;
  // Both skeletons of a name, when they differ.
  auto skeletons = [&](const std::string& name) {
    const std::string latin = folder.latin_key(name);
    std::vector<std::string> keys;
    if (std::string glued = name_skeleton(latin); glued.size() >= kShortest)
      keys.push_back(std::move(glued));
    if (std::string apart = unglued_skeleton(latin);
        !apart.empty() && (keys.empty() || keys.front() != apart))
      keys.push_back(std::move(apart));
    return keys;
  };
  auto word_count = [](const std::string& s) {
    return s.empty() ? 0 : 1 + std::count(s.begin(), s.end(), ' ');
  };
  const bool has_nationality = !facts.nationality.empty();
  for (const auto& name : facts.names) {
    for (const std::string& key : skeletons(name)) {
      if (has_nationality && word_count(key) >= 2) {
        kept.insert("name|" + facts.nationality + "|" + key);
        sought.insert("name|" + facts.nationality + "|" + key);
      }
      kept.insert("any|" + key);
      sought.insert("alias|" + key);
    }
  }
  for (const auto& alias : facts.aliases) {
    for (const std::string& key : skeletons(alias)) {
      kept.insert("alias|" + key);
      kept.insert("any|" + key);
      sought.insert("any|" + key);
    }
  }
  return {{kept.begin(), kept.end()}, {sought.begin(), sought.end()}};
}

std::string sought_skeleton(std::string_view text, const flows::TextFolder& folder) {
  const std::string key = name_skeleton(folder.latin_key(std::string(text)));
  return key.size() < kShortest ? std::string() : key;
}

bool goes_by(const Facts& facts, const std::string& sought, const flows::TextFolder& folder) {
  if (sought.empty()) return false;
  auto words_of = [](const std::string& skeleton) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < skeleton.size()) {
      std::size_t end = skeleton.find(' ', start);
      if (end == std::string::npos) end = skeleton.size();
      words.push_back(skeleton.substr(start, end - start));
      start = end + 1;
    }
    return words;
  };
  const std::vector<std::string> wanted = words_of(sought);
  auto matches = [&](const std::string& name) {
    const std::vector<std::string> has = words_of(name_skeleton(folder.latin_key(name)));
    // A word of two consonants or fewer is glued to its neighbour in a skeleton ("KANE
    // Ibrahima" leaves "knbrhm", "Ibrahima Kane" "brhmkn"): a word sought may begin or end one.
    return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& word) {
      return std::any_of(has.begin(), has.end(), [&](const std::string& each) {
        if (each == word) return true;
        if (each.size() <= word.size()) return false;
        return each.compare(0, word.size(), word) == 0 ||
               each.compare(each.size() - word.size(), word.size(), word) == 0;
      });
    });
  };
  return std::any_of(facts.names.begin(), facts.names.end(), matches) ||
         std::any_of(facts.aliases.begin(), facts.aliases.end(), matches);
}

}  // namespace gvo::cases
