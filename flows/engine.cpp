#include "flows/engine.hpp"

#include <algorithm>
#include <cassert>
#include <optional>

namespace gvo::flows {
namespace {

// A flow that loops through nodes that never wait is refused by the checker; this bounds a run
// anyway, so a damaged flow cannot hang the bot.
constexpr int kMaxNodesPerRun = 256;

bool is_arabic_letter(std::string_view text) {
  // U+0600..U+06FF are encoded as 0xD8..0xDB followed by one continuation byte.
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead >= 0xD8 && lead <= 0xDB) return true;
  }
  return false;
}

// "3", "change 3", "modifier 3", "٣" -> 3 (with the change words of the catalog); else 0.
int line_number(const std::vector<std::string>& tokens, const Catalog& catalog) {
  std::size_t at = 0;
  if (tokens.size() == 2) {
    const auto it = catalog.command_words.find(tokens[0]);
    if (it == catalog.command_words.end() || it->second != Command::change) return 0;
    at = 1;
  } else if (tokens.size() != 1) {
    return 0;
  }
  const std::string& token = tokens[at];
  if (token.empty() || token.size() > 3 ||
      !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoi(token);
}

// "52" -> 52; anything else (empty, "unknown", "5h") -> nothing.
std::optional<long> whole_number(const std::string& value) {
  if (value.empty() || value.size() > 12) return std::nullopt;
  long number = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + (c - '0');
  }
  return number;
}

}  // namespace

// One step of one session: collects the actions while walking the flow.
class Engine::Turn {
 public:
  Turn(const Engine& engine, const Flow& flow, Session& session, TimePoint now)
      : engine_(engine), catalog_(engine.catalog_), flow_(flow), session_(session), now_(now) {
    const auto millis = static_cast<double>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    const CivilDate today = brussels_date(millis);
    const double midnight = brussels_time(today, 0, 0);
    const int minute = static_cast<int>((millis - midnight) / 60000.0);
    context_ = ValidationContext{session.language, today, std::clamp(minute, 0, 24 * 60 - 1)};
  }

  std::vector<Action> take() {
    if (!noted_.empty()) reply({});  // an acknowledgment with nothing after it
    return std::move(actions_);
  }

  void message(const std::string& text) {
    if (text.size() > Validators::kMaxInputBytes) return say("too_long_message");
    if (!is_valid_utf8(text)) return say("unreadable");
    const std::string folded = fold_words(engine_.folder_, text);
    switch (session_.state) {
      case SessionState::fresh:
        return open(text, folded);
      case SessionState::choosing_language:
        return choose_language(folded);
      case SessionState::confirming_stop:
        return confirm_stop(text, folded);
      case SessionState::finished:
        if (command(folded) == Command::restart) return restart();
        return say("finished");
      default:
        break;
    }
    if (const auto wish = language_wish(folded)) {
      // "Français" answers "which language is the file in?", "Nederlands" a nationality, and
      // «arabe» from a French host is data too: a language named in the conversation's own
      // language, alone, is an answer at a question. "I prefer arabic" switches.
      const bool answering = session_.state == SessionState::answering;
      const bool no_change = wish->language == session_.language;
      if (answering &&
          (no_change || accepts(text) || (wish->bare && written_in_session_language(folded)))) {
        return answer(text);
      }
      if (wish->language != session_.language) {
        set_language(wish->language);
        say("language_set");
      }
      return repeat();
    }
    if (const auto picked = command(folded); picked && *picked != Command::change) {
      // "I don't know" skips most questions, but is an answer to some ("which centre?").
      // "je ne sais pas" may be an answer, or map to the question's own "don't know" choice.
      if (*picked == Command::skip && session_.state == SessionState::answering &&
          (accepts(text) ||
           engine_.validators_.absence(text, session_.language) != Absence::none)) {
        return answer(text);
      }
      return run_command(*picked);
    }
    switch (session_.state) {
      case SessionState::answering:
        return answer(text);
      case SessionState::confirming:
        return confirm(text);
      case SessionState::reviewing:
        return review(text, folded);
      case SessionState::picking_line:
        return pick_line(folded);
      default:
        return;
    }
  }

  void timer(const TimerFired& fired) {
    const bool waiting =
        session_.state == SessionState::answering || session_.state == SessionState::confirming;
    if (!waiting || fired.wait != session_.wait) return;  // an older wait's timer: nothing to do
    const Node* node = flow_.node(session_.node);
    if (node == nullptr) return;
    if (fired.kind == TimerKind::reminder) {
      if (node->reminder && !node->reminder->text.empty()) {
        reply(local(node->reminder->text));
      } else {
        say("reminder_default");
      }
      return prompt(*node);
    }
    actions_.emplace_back(CancelTimers{});
    const bool moves_on = node->timeout && !node->timeout->next.empty();
    if (node->timeout && !node->timeout->text.empty()) {
      reply(local(node->timeout->text));
    } else if (!moves_on) {
      say("timed_out");  // otherwise the node it moves to speaks
    }
    if (moves_on) return run(node->timeout->next);
    finish();
  }

 private:
  // --- Opening and language

  void open(const std::string& text, const std::string& folded) {
    // A clear first message decides ("I prefer arabic" too); else the language this person wrote
    // in before, if known.
    hear(text);
    const auto wish = language_wish(folded);
    Language language = wish ? wish->language : engine_.guess_language(text);
    if (language.empty()) language = session_.language;
    if (language.empty()) {
      session_.state = SessionState::choosing_language;
      return say("choose_language");
    }
    set_language(language);
    run(flow_.start);
  }

  void choose_language(const std::string& folded) {
    Language language;
    if (const auto wish = language_wish(folded)) {
      language = wish->language;
    } else if (folded.size() == 1 && folded[0] >= '1' &&
               static_cast<std::size_t>(folded[0] - '0') <= catalog_.languages.size()) {
      language = catalog_.languages[static_cast<std::size_t>(folded[0] - '1')];
    }
    if (language.empty()) return say("choose_language");
    set_language(language);
    say("language_set");
    run(flow_.start);
  }

  struct LanguageWish {
    Language language;
    bool bare = false;  // the message is only the language's name
  };

  // "English", "arabe": bare. "I prefer arabic", "en français svp", "in het Nederlands", "بالعربية
  // من فضلك": a short message naming one language with words that ask for it. Else nothing.
  std::optional<LanguageWish> language_wish(const std::string& folded) const {
    if (const auto it = catalog_.language_words.find(folded); it != catalog_.language_words.end()) {
      return LanguageWish{it->second, true};
    }
    constexpr std::size_t kMaxWords = 7;
    const auto tokens = words(folded);
    if (tokens.size() < 2 || tokens.size() > kMaxWords) return std::nullopt;
    const auto& requests = catalog_.language_request_words;
    const bool asks = std::any_of(requests.begin(), requests.end(), [&](const std::string& word) {
      return contains_phrase(folded, word);
    });
    if (!asks) return std::nullopt;
    std::optional<Language> named;
    for (const std::string& token : tokens) {
      const auto it = catalog_.language_words.find(token);
      // "en" asks in "en français" and names English alone: a request word is not a name here.
      if (it == catalog_.language_words.end() ||
          std::find(requests.begin(), requests.end(), token) != requests.end()) {
        continue;
      }
      if (named && *named != it->second) return std::nullopt;  // two languages: not a request
      named = it->second;
    }
    if (!named) return std::nullopt;
    // Every other word must ask: "in het Nederlands", not "mijn vriend spreekt Nederlands".
    std::string rest = " " + folded + " ";
    for (const std::string& word : requests) {
      const std::string padded = " " + word + " ";
      for (auto at = rest.find(padded); at != std::string::npos; at = rest.find(padded)) {
        rest.replace(at, padded.size(), " ");
      }
    }
    for (const std::string& token : words(rest)) {
      if (catalog_.language_words.count(token) == 0) return std::nullopt;
    }
    return LanguageWish{*named, false};
  }

  bool written_in_session_language(const std::string& folded) const {
    const auto it = catalog_.language_names_in.find(session_.language);
    return it != catalog_.language_names_in.end() &&
           std::find(it->second.begin(), it->second.end(), folded) != it->second.end();
  }

  void set_language(const Language& language) {
    session_.language = language;
    context_.language = language;
  }

  // --- Commands valid anywhere

  std::optional<Command> command(const std::string& folded) const {
    const auto it = catalog_.command_words.find(folded);
    if (it == catalog_.command_words.end()) return std::nullopt;
    return it->second;
  }

  void run_command(Command picked) {
    const Node* node = flow_.node(session_.node);
    switch (picked) {
      case Command::back:
        return back();
      case Command::skip:
        return skip();
      case Command::why:
        if (node != nullptr && node->kind == NodeKind::ask && !node->why.empty()) {
          return reply(local(node->why));
        }
        return say("why_default");
      case Command::help:
        return say("help");
      case Command::stop:
        session_.before_stop = session_.state;
        session_.state = SessionState::confirming_stop;
        return say("stop_confirm");
      case Command::restart:
        return restart();
      case Command::human:
        actions_.emplace_back(HumanRequested{});
        say("human");
        return repeat();
      case Command::change:
        session_.state = SessionState::picking_line;
        return say("summary_which");
    }
  }

  void back() {
    if (session_.asked.empty()) {
      say("back_none");
      return repeat();
    }
    const std::string previous = session_.asked.back();
    session_.asked.pop_back();
    session_.return_to.clear();
    actions_.emplace_back(CancelTimers{});
    run(previous);
  }

  void skip() {
    const Node* node = flow_.node(session_.node);
    const bool asking =
        session_.state == SessionState::answering || session_.state == SessionState::confirming;
    if (!asking || node == nullptr) return say("help");
    if (!node->optional) {
      say("required");
      return say("offer_human");
    }
    say("skipped");
    keep(*node, Answer{{}, {}, {}, {}, true});
  }

  void restart() {
    session_.results.clear();
    session_.heard.clear();
    session_.asked.clear();
    session_.pending.reset();
    session_.return_to.clear();
    actions_.emplace_back(CancelTimers{});
    say("restarted");
    run(flow_.start);
  }

  void confirm_stop(const std::string& text, const std::string& folded) {
    const bool again = command(folded) == Command::stop;
    const Validation said = engine_.validators_.yes_no(text, context_);
    const Answer* yes_no = std::get_if<Answer>(&said);
    if (again || (yes_no != nullptr && yes_no->value == "yes")) {
      session_.results.clear();
      session_.heard.clear();
      session_.asked.clear();
      session_.pending.reset();
      session_.return_to.clear();
      actions_.emplace_back(ForgetMe{});
      say("stopped");
      return finish();
    }
    if (yes_no == nullptr) return say("stop_confirm");
    session_.state = session_.before_stop;
    say("stop_cancelled");
    repeat();
  }

  // --- Answers

  // Whether a question that understands particular words takes text as its answer. Free text
  // and names take anything, so there a command word stays a command.
  bool accepts(const std::string& text) const {
    const Node* node = flow_.node(session_.node);
    if (node == nullptr || node->answer.kind == AnswerKind::text ||
        node->answer.kind == AnswerKind::name) {
      return false;
    }
    return std::holds_alternative<Answer>(
        engine_.validators_.validate(node->answer, text, context_));
  }

  void answer(const std::string& text) {
    const Node* node = flow_.node(session_.node);
    if (node == nullptr) return finish();
    hear(text);
    // "No", "jsp", "لا" are never a value: they pick the question's own choice, or skip it. The
    // validators of choices, yes/no and centres know such words of their own ("non", "je ne sais
    // pas" -> unknown centre) and read first.
    const bool own_words = node->answer.kind == AnswerKind::choice ||
                           node->answer.kind == AnswerKind::yes_no ||
                           node->answer.kind == AnswerKind::centre;
    const Absence absence = engine_.validators_.absence(text, session_.language);
    if (absence != Absence::none && (!own_words || !node->absent.empty())) {
      return absent(*node, absence);
    }
    const Validation result = engine_.validators_.validate(node->answer, text, context_);
    if (const auto* understood = std::get_if<Answer>(&result))
      return understood_answer(*node, *understood);
    if (absence != Absence::none) return absent(*node, absence);
    const auto& refused = std::get<Rejection>(result);
    ++session_.failures;
    say("invalid." + refused.reason, refused.values);
    if (session_.failures >= kFailuresBeforeHelp)
      say(node->optional ? "offer_skip" : "offer_human");
  }

  // An answer read: confirmed when the reading is unsure (or the question always confirms),
  // else acknowledged with the next question.
  void understood_answer(const Node& node, const Answer& understood) {
    session_.failures = 0;
    if (!understood.certain || node.answer.confirm) {
      session_.pending = understood;
      session_.state = SessionState::confirming;
      return say(understood.confirm_with.empty() ? "confirm" : understood.confirm_with,
                 {{"value", shown(node.result, understood)}});
    }
    noted_.push_back(shown(node.result, understood));
    keep(node, understood);
  }

  // "no", "don't know" or "skip" at a question.
  void absent(const Node& node, Absence absence) {
    const char* said = absence == Absence::no        ? "no"
                       : absence == Absence::unknown ? "unknown"
                                                     : "skip";
    std::string value;
    if (const auto it = node.absent.find(said); it != node.absent.end()) {
      value = it->second;
    } else if (node.answer.kind == AnswerKind::centre && absence == Absence::unknown) {
      value = "unknown";  // a centre answer of its own
    } else {
      for (const Choice& choice : node.answer.choices) {
        if (absence != Absence::skip && choice.value == said) value = choice.value;
      }
      if (value.empty() && node.optional) value = "skip";
    }
    session_.failures = 0;
    if (value == "skip") {
      say("skipped");
      return keep(node, Answer{{}, {}, {}, {}, true});
    }
    if (value.empty()) {  // a question that needs an answer
      say("required");
      return say("offer_human");
    }
    Answer picked{value, value, {}, {}, false};
    if (node.answer.kind == AnswerKind::centre) {
      const Validation centre = engine_.validators_.validate(node.answer, value, context_);
      if (const auto* understood = std::get_if<Answer>(&centre)) picked = *understood;
    }
    for (const Choice& choice : node.answer.choices) {
      if (choice.value == value) picked.display = local(choice.label);
    }
    noted_.push_back(shown(node.result, picked));
    keep(node, picked);
  }

  void confirm(const std::string& text) {
    const Node* node = flow_.node(session_.node);
    if (node == nullptr || !session_.pending) return finish();
    const Validation said = engine_.validators_.yes_no(text, context_);
    const Answer* yes_no = std::get_if<Answer>(&said);
    if (yes_no == nullptr) {  // not yes or no: a corrected answer
      session_.pending.reset();
      session_.state = SessionState::answering;
      return answer(text);
    }
    if (yes_no->value == "yes") {
      const Answer kept = *session_.pending;
      return keep(*node, kept);
    }
    session_.pending.reset();
    session_.state = SessionState::answering;
    say("confirm_again");
    prompt(*node);
  }

  void keep(const Node& node, const Answer& answer) {
    session_.results[node.result] = answer;
    if (session_.asked.empty() || session_.asked.back() != node.id)
      session_.asked.push_back(node.id);
    session_.pending.reset();
    actions_.emplace_back(CancelTimers{});
    std::string next = session_.return_to.empty() ? node.next : session_.return_to;
    session_.return_to.clear();
    run(next);
  }

  // --- The summary

  void review(const std::string& text, const std::string& folded) {
    const int line = line_number(words(folded), catalog_);
    if (line > 0) return correct(line);
    if (command(folded) == Command::change) {
      session_.state = SessionState::picking_line;
      return say("summary_which");
    }
    const Validation said = engine_.validators_.yes_no(text, context_);
    if (const auto* yes_no = std::get_if<Answer>(&said)) {
      if (yes_no->value == "yes") {
        const Node* node = flow_.node(session_.node);
        return run(node != nullptr ? node->next : flow_.start);
      }
      session_.state = SessionState::picking_line;
      return say("summary_which");
    }
    say("summary_footer");
  }

  void pick_line(const std::string& folded) {
    const int line = line_number(words(folded), catalog_);
    if (line > 0) return correct(line);
    say("summary_which");
  }

  void correct(int line) {
    const Node* summary = flow_.node(session_.node);
    const auto shown = summary != nullptr ? shown_results(*summary) : std::vector<std::string>();
    if (line < 1 || static_cast<std::size_t>(line) > shown.size()) {
      session_.state = SessionState::picking_line;
      return say("summary_which");
    }
    const std::string& result = shown[static_cast<std::size_t>(line - 1)];
    const auto ask = flow_.ask_node_of_result.find(result);
    if (ask == flow_.ask_node_of_result.end()) return say("summary_which");
    session_.return_to = summary->id;
    run(ask->second);
  }

  // The summary's lines: its results that were asked on this person's path (a question the
  // path never reached is not shown), numbered from 1 in this order.
  std::vector<std::string> shown_results(const Node& node) const {
    std::vector<std::string> shown;
    for (const auto& result : node.results) {
      if (session_.results.count(result) != 0) shown.push_back(result);
    }
    return shown;
  }

  void show_summary(const Node& node) {
    std::string text = local(node.text);
    const auto lines = shown_results(node);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const Node* asked = asking(lines[i]);
      const auto answer = session_.results.find(lines[i]);
      const bool answered = answer != session_.results.end() && !answer->second.skipped;
      text += "\n" + std::to_string(i + 1) + ". " + (asked != nullptr ? local(asked->label) : "") +
              ": " +
              (answered ? shown(lines[i], answer->second)
                        : catalog_.text("summary_empty", session_.language));
    }
    reply(text);
    say("summary_footer");
  }

  // --- Walking the flow

  void run(const std::string& start) {
    std::string id = start;
    for (int steps = 0; steps < kMaxNodesPerRun; ++steps) {
      const Node* node = flow_.node(id);
      if (node == nullptr) return finish();
      switch (node->kind) {
        case NodeKind::say:
          reply(local(node->text));
          id = node->next;
          continue;
        case NodeKind::set:
          session_.results[node->result] = Answer{node->value, node->value, {}, {}, false};
          id = node->next;
          continue;
        case NodeKind::branch:
          id = branch(*node);
          continue;
        case NodeKind::action:
          actions_.emplace_back(FlowAction{node->action, session_.results});
          id = node->next;
          continue;
        case NodeKind::ask:
          if (const auto taken = take_heard(*node)) {
            // Asked as a confirmation of what was understood; a question never asked keeps it
            // for the summary to confirm.
            if (!taken->certain && node->takes->ask) {
              wait_for_answer(*node, false);
              session_.pending = *taken;
              session_.state = SessionState::confirming;
              return say("confirm", {{"value", shown(node->result, *taken)}});
            }
            noted_.push_back(shown(node->result, *taken));
            session_.results[node->result] = *taken;
            if (node->takes->ask && (session_.asked.empty() || session_.asked.back() != node->id))
              session_.asked.push_back(node->id);  // "back" returns to questions asked
            id = node->next;
            continue;
          }
          if (node->takes && !node->takes->ask) {  // only what was said before
            id = node->next;
            continue;
          }
          return wait_for_answer(*node);
        case NodeKind::summary:
          session_.node = node->id;
          session_.state = SessionState::reviewing;
          ++session_.wait;
          return show_summary(*node);
        case NodeKind::end:
          session_.node = node->id;
          if (!node->text.empty()) reply(local(node->text));
          return finish();
      }
    }
    finish();
  }

  std::string branch(const Node& node) const {
    for (const BranchCase& option : node.cases) {
      const auto it = session_.results.find(option.when.result);
      if (it == session_.results.end() || it->second.skipped) continue;
      if (matches(option.when, it->second.value)) return option.next;
    }
    return node.otherwise;
  }

  // --- What the person said before

  void hear(const std::string& text) {
    constexpr std::size_t kMaxHeard = 32;  // messages; each at most Validators::kMaxInputBytes
    if (session_.heard.size() >= kMaxHeard) session_.heard.erase(session_.heard.begin());
    session_.heard.push_back(Heard{text, {}});
  }

  // A value for node found in an earlier message (the newest first; in a message, the last
  // value first: "lundi, non mardi"), next to one of its cues when it has cues, and not taken
  // by another question already (unless the question shares). Marked as taken.
  std::optional<Answer> take_heard(const Node& node) {
    if (!node.takes || session_.results.count(node.result) != 0) return std::nullopt;
    for (auto heard = session_.heard.rbegin(); heard != session_.heard.rend(); ++heard) {
      const auto found = engine_.validators_.find(node.answer, heard->text, context_);
      for (std::size_t i = found.size(); i-- > 0;) {
        const Found& value = found[i];
        if (value.answer.skipped || (!node.takes->shared && taken_already(*heard, value))) {
          continue;
        }
        const std::size_t previous_end = i > 0 ? found[i - 1].end : 0;
        if (!cued(*node.takes, heard->text, value, previous_end)) continue;
        heard->used.emplace_back(value.begin, value.end);
        return value.answer;
      }
    }
    return std::nullopt;
  }

  static bool taken_already(const Heard& heard, const Found& value) {
    return std::any_of(heard.used.begin(), heard.used.end(), [&](const auto& span) {
      return value.begin < span.second && span.first < value.end;
    });
  }

  // Whether a cue stands in the same sentence just before the value (after the value before it)
  // or just after it: "arrêté hier", "né le 3/5/1990", "le 12 il a été arrêté".
  bool cued(const Takes& takes, const std::string& text, const Found& value,
            std::size_t previous_end) const {
    if (takes.cues.empty()) return true;
    constexpr std::size_t kBefore = 64;
    constexpr std::size_t kAfter = 32;
    auto is_stop = [](char c) { return c == '.' || c == '!' || c == '?' || c == ';' || c == '\n'; };
    auto on_boundary = [&](std::size_t at) {  // not inside a UTF-8 sequence
      return at >= text.size() || (static_cast<unsigned char>(text[at]) & 0xC0) != 0x80;
    };
    std::size_t from = value.begin > kBefore ? value.begin - kBefore : 0;
    from = std::max(from, std::min(previous_end, value.begin));
    for (std::size_t at = value.begin; at > from; --at) {
      if (is_stop(text[at - 1])) {
        from = at;
        break;
      }
    }
    while (from < value.begin && !on_boundary(from)) ++from;
    std::size_t to = std::min(text.size(), value.end + kAfter);
    for (std::size_t at = value.end; at < to; ++at) {
      if (is_stop(text[at])) {
        to = at;
        break;
      }
    }
    while (to > value.end && !on_boundary(to)) --to;
    const std::string before = fold_words(engine_.folder_, text.substr(from, value.begin - from));
    const std::string after = fold_words(engine_.folder_, text.substr(value.end, to - value.end));
    for (const auto& [language, cues] : takes.cues) {
      for (const std::string& cue : cues) {
        const std::string folded = fold_words(engine_.folder_, cue);
        if (contains_phrase(before, folded) || contains_phrase(after, folded)) return true;
      }
    }
    return false;
  }

  bool matches(const Condition& when, const std::string& value) const {
    if (when.not_latin && is_latin_script(value)) return false;
    const auto& any_of = when.any_of;
    if (!any_of.empty() && std::find(any_of.begin(), any_of.end(), value) == any_of.end()) {
      return false;
    }
    if (when.below) {
      const auto number = whole_number(value);
      if (!number || *number >= *when.below) return false;
    }
    return true;
  }

  void wait_for_answer(const Node& node, bool ask = true) {
    session_.node = node.id;
    session_.state = SessionState::answering;
    session_.failures = 0;
    session_.pending.reset();
    ++session_.wait;
    if (ask) prompt(node);
    auto schedule = [&](TimerKind kind, const std::optional<Timer>& timer) {
      if (!timer) return;
      actions_.emplace_back(
          ScheduleTimer{kind, now_ + std::chrono::minutes(timer->after_minutes), session_.wait});
    };
    schedule(TimerKind::reminder, node.reminder);
    schedule(TimerKind::timeout, node.timeout);
  }

  void prompt(const Node& node) {
    std::string text = local(node.text);
    if (node.answer.kind == AnswerKind::choice) {
      text += "\n" + engine_.validators_.choice_list(node.answer, session_.language);
    }
    reply(text);
  }

  // Says the current question or summary again (after a language switch or a cancelled stop).
  void repeat() {
    const Node* node = flow_.node(session_.node);
    if (node == nullptr) return;
    if (session_.state == SessionState::confirming) session_.state = SessionState::answering;
    session_.pending.reset();
    if (session_.state == SessionState::answering) return prompt(*node);
    if (session_.state == SessionState::reviewing || session_.state == SessionState::picking_line) {
      session_.state = SessionState::reviewing;
      return show_summary(*node);
    }
  }

  void finish() {
    session_.state = SessionState::finished;
    session_.pending.reset();
    session_.heard.clear();  // what the person wrote is in the answers now, or not needed
    actions_.emplace_back(CancelTimers{});
    actions_.emplace_back(Finished{});
  }

  // --- Texts

  // A flow text in the session's language (else the flow's first), with {result} placeholders
  // filled with what the person answered.
  std::string local(const LocalText& text) const {
    auto it = text.find(session_.language);
    if (it == text.end() && !flow_.languages.empty()) it = text.find(flow_.languages.front());
    if (it == text.end()) it = text.begin();
    if (it == text.end()) return {};
    std::map<std::string, std::string> values;
    for (const auto& [name, answer] : session_.results) {
      values[name] =
          answer.skipped ? catalog_.text("summary_empty", session_.language) : shown(name, answer);
      if (const Centre* centre = centre_of(name, answer)) {
        std::string phones;
        for (const auto& phone : centre->phones) phones += (phones.empty() ? "" : ", ") + phone;
        values[name + "_phone"] = phones;
      }
    }
    return fill(it->second, values);
  }

  const Node* asking(const std::string& result) const {
    const auto it = flow_.ask_node_of_result.find(result);
    return it == flow_.ask_node_of_result.end() ? nullptr : flow_.node(it->second);
  }

  // The centre a centre question's answer names (not "unknown" or "police_station").
  const Centre* centre_of(const std::string& result, const Answer& answer) const {
    const Node* node = asking(result);
    if (node == nullptr || node->answer.kind != AnswerKind::centre || answer.skipped)
      return nullptr;
    return engine_.validators_.centres().find(answer.value);
  }

  // An answer as shown to the person now, in the conversation's language: centres and countries
  // by their names in it.
  std::string shown(const std::string& result, const Answer& answer) const {
    const Node* node = asking(result);
    if (node != nullptr && !answer.skipped) {
      if (centre_of(result, answer) != nullptr)
        return engine_.validators_.centre_name(answer.value, session_.language);
      if (node->answer.kind == AnswerKind::nationality && !answer.value.empty())
        return engine_.validators_.country_name(answer.value, session_.language);
    }
    return answer.display;
  }

  void say(const std::string& key, const std::map<std::string, std::string>& values = {}) {
    reply(catalog_.text(key, session_.language, values));
  }

  // Sends text, after what was noted since the last reply ("Noted: Morocco; Caricole.").
  void reply(std::string text) {
    if (!noted_.empty()) {
      std::string values;
      for (const auto& value : noted_) values += (values.empty() ? "" : "; ") + value;
      noted_.clear();
      const std::string noted = catalog_.text("noted", session_.language, {{"value", values}});
      text = text.empty() ? noted : noted + "\n" + text;
    }
    if (!text.empty()) actions_.emplace_back(Reply{std::move(text)});
  }

  const Engine& engine_;
  const Catalog& catalog_;
  const Flow& flow_;
  Session& session_;
  TimePoint now_;
  ValidationContext context_;
  std::vector<Action> actions_;
  std::vector<std::string> noted_;  // answers kept this turn, acknowledged with the next reply
};

Session Engine::new_session(const Flow& flow) {
  Session session;
  session.flow_id = flow.id;
  session.flow_version = flow.version;
  return session;
}

std::vector<Action> Engine::step(const Flow& flow, Session& session, const Event& event,
                                 TimePoint now) const {
  assert(session.flow_id == flow.id && session.flow_version == flow.version &&
         "a session runs on the flow version it started on");
  Turn turn(*this, flow, session, now);
  if (const auto* message = std::get_if<Message>(&event)) {
    turn.message(message->text);
  } else {
    turn.timer(std::get<TimerFired>(event));
  }
  return turn.take();
}

Language Engine::guess_language(std::string_view text) const {
  if (is_arabic_letter(text)) return "ar";
  const std::string folded = fold_words(folder_, text);
  if (const auto it = catalog_.language_words.find(folded); it != catalog_.language_words.end()) {
    return it->second;
  }
  Language best;
  std::size_t best_count = 0;
  bool tie = false;
  for (const auto& [language, hints] : catalog_.hints) {
    std::size_t count = 0;
    for (const std::string& hint : hints) {
      if (contains_phrase(folded, hint)) ++count;
    }
    if (count > best_count) {
      best = language;
      best_count = count;
      tie = false;
    } else if (count == best_count && count > 0) {
      tie = true;
    }
  }
  return tie ? Language() : best;
}

}  // namespace gvo::flows
