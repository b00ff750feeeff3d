#include "flows/engine.hpp"

#include <algorithm>
#include <cassert>

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

}  // namespace

// One step of one session: collects the actions while walking the flow.
class Engine::Turn {
 public:
  Turn(const Engine& engine, const Flow& flow, Session& session, TimePoint now)
      : engine_(engine), catalog_(engine.catalog_), flow_(flow), session_(session), now_(now) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    context_ = ValidationContext{session.language, brussels_date(static_cast<double>(millis))};
  }

  std::vector<Action> take() { return std::move(actions_); }

  void message(const std::string& text) {
    if (text.size() > Validators::kMaxInputBytes) return say("too_long_message");
    if (!is_valid_utf8(text)) return say("unreadable");
    const std::string folded = fold_words(engine_.folder_, text);
    switch (session_.state) {
      case SessionState::fresh:
        return open(text);
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
    if (const auto language = catalog_.language_words.find(folded);
        language != catalog_.language_words.end()) {
      // "Français" answers "which language is the file in?"; "Nederlands" a nationality.
      if (session_.state == SessionState::answering && accepts(text)) return answer(text);
      set_language(language->second);
      say("language_set");
      return repeat();
    }
    if (const auto picked = command(folded); picked && *picked != Command::change) {
      // "I don't know" skips most questions, but is an answer to some ("which centre?").
      if (*picked == Command::skip && session_.state == SessionState::answering && accepts(text)) {
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

  void open(const std::string& text) {
    // A clear first message decides; else the language this person wrote in before, if known.
    Language language = engine_.guess_language(text);
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
    if (const auto it = catalog_.language_words.find(folded); it != catalog_.language_words.end()) {
      language = it->second;
    } else if (folded.size() == 1 && folded[0] >= '1' &&
               static_cast<std::size_t>(folded[0] - '0') <= catalog_.languages.size()) {
      language = catalog_.languages[static_cast<std::size_t>(folded[0] - '1')];
    }
    if (language.empty()) return say("choose_language");
    set_language(language);
    say("language_set");
    run(flow_.start);
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
    const Validation result = engine_.validators_.validate(node->answer, text, context_);
    if (const auto* understood = std::get_if<Answer>(&result)) {
      session_.failures = 0;
      if (node->answer.confirm) {
        session_.pending = *understood;
        session_.state = SessionState::confirming;
        return say("confirm", {{"value", understood->display}});
      }
      say("noted", {{"value", understood->display}});
      return keep(*node, *understood);
    }
    const auto& refused = std::get<Rejection>(result);
    ++session_.failures;
    say("invalid." + refused.reason, refused.values);
    if (session_.failures >= kFailuresBeforeHelp)
      say(node->optional ? "offer_skip" : "offer_human");
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
    const auto shown = shown_results(node);
    for (std::size_t i = 0; i < shown.size(); ++i) {
      const auto ask = flow_.ask_node_of_result.find(shown[i]);
      const Node* asked = ask == flow_.ask_node_of_result.end() ? nullptr : flow_.node(ask->second);
      const auto answer = session_.results.find(shown[i]);
      const bool answered = answer != session_.results.end() && !answer->second.skipped;
      text +=
          "\n" + std::to_string(i + 1) + ". " + (asked != nullptr ? local(asked->label) : "") +
          ": " +
          (answered ? answer->second.display : catalog_.text("summary_empty", session_.language));
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
      const auto& any_of = option.when.any_of;
      if (any_of.empty() ||
          std::find(any_of.begin(), any_of.end(), it->second.value) != any_of.end()) {
        return option.next;
      }
    }
    return node.otherwise;
  }

  void wait_for_answer(const Node& node) {
    session_.node = node.id;
    session_.state = SessionState::answering;
    session_.failures = 0;
    session_.pending.reset();
    ++session_.wait;
    prompt(node);
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
          answer.skipped ? catalog_.text("summary_empty", session_.language) : answer.display;
    }
    return fill(it->second, values);
  }

  void say(const std::string& key, const std::map<std::string, std::string>& values = {}) {
    reply(catalog_.text(key, session_.language, values));
  }

  void reply(std::string text) {
    if (!text.empty()) actions_.emplace_back(Reply{std::move(text)});
  }

  const Engine& engine_;
  const Catalog& catalog_;
  const Flow& flow_;
  Session& session_;
  TimePoint now_;
  ValidationContext context_;
  std::vector<Action> actions_;
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
