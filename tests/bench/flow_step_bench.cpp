// Measures what one step of the flow engine costs on a realistic conversation: full intakes of
// the demo flow in four languages with messy answers, typos and corrections. Prints the median,
// the 90th and 99th percentiles and the cost of each kind of answer, so that runs on a noisy
// machine are compared by their ratios. Not a test: run it by hand (README, "Benchmarks").
//   gvo-flow-bench [ROUNDS]   (default 200 intakes of each script)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "flows/catalog.hpp"
#include "flows/engine.hpp"
#include "flows/loader.hpp"
#include "flows/validators.hpp"

namespace {

using namespace gvo::flows;
using Clock = std::chrono::steady_clock;

std::string read(const std::string& name) {
  std::ifstream file(std::string(GVO_SOURCE_ROOT) + "/flows/defs/" + name, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

template <typename T>
T must(Result<T> result) {
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().detail.c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

// What people type, question by question (the demo flow), in each language.
const std::vector<std::vector<std::string>> kScripts = {
    {"Bonjour, mon ami a été arrêté", "el amrani   mohamed", "il est marrocain", "oui",
     "centre fermé de Vottem", "oui", "il y a 3 jours", "oui", "12/03/85", "oui", "0470 12 34 56",
     "oui", "oui", "2", "Il a une sœur à Liège", "3", "caricole", "oui", "oui"},
    {"Hallo, mijn vriend is gisteren opgepakt", "BENALI Youssef", "Marokkaanse", "ja", "Brugge",
     "ja", "eergisteren", "ja", "overslaan", "+212 6 12 34 56 78", "ja", "nee", "akkoord",
     "overslaan", "ja"},
    {"hello, my brother was arrested", "DIALLO Mamadou", "guinean", "yes", "he is in the 127 bis",
     "yep", "two days ago", "correct", "1 jan 1990", "y", "0487/65.43.21", "yes", "yes please",
     "not asked yet", "He speaks Pular and French", "yes"},
    {"السلام عليكم، صديقي اعتقل", "محمد العمراني", "مغربي", "نعم", "فوتم vottem", "نعم", "أمس",
     "نعم", "١٢ مارس ١٩٩٠", "نعم", "٠٤٧٠ ٥٥ ٦٦ ٧٧", "نعم", "لا", "1", "تخطي", "نعم"},
};

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;

  const auto built = Clock::now();
  const TextFolder folder;
  const Catalog catalog = must(load_catalog(read("messages.json"), "messages.json", folder));
  const Validators validators(
      catalog, folder, must(load_centres(read("centres.json"), "centres.json", folder)),
      must(load_nationalities(read("nationalities.json"), "nationalities.json", folder)),
      must(load_understanding(read("understanding.json"), "understanding.json", folder)));
  const Engine engine(catalog, validators, folder);
  const Flow flow = must(load_flow(read("demo.json"), "demo.json"));
  const double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - built).count();

  std::vector<double> all;
  std::map<std::string, std::vector<double>> by_kind;
  TimePoint now = std::chrono::system_clock::from_time_t(1795683600);  // 2026-11-26 09:00 UTC
  std::size_t finished = 0;
  for (int round = 0; round < rounds; ++round) {
    for (const auto& script : kScripts) {
      Session session = Engine::new_session(flow);
      for (const std::string& text : script) {
        const Node* node = flow.node(session.node);
        const std::string kind = session.state == SessionState::answering && node != nullptr
                                     ? to_string(node->answer.kind)
                                     : to_string(session.state);
        const auto started = Clock::now();
        const auto actions = engine.step(flow, session, Message{text}, now);
        const double micros =
            std::chrono::duration<double, std::micro>(Clock::now() - started).count();
        all.push_back(micros);
        by_kind[kind].push_back(micros);
        now += std::chrono::seconds(20);
        if (actions.empty()) std::abort();  // every message is answered
      }
      if (session.state == SessionState::finished) ++finished;
    }
  }
  if (finished != kScripts.size() * static_cast<std::size_t>(rounds)) {
    std::fprintf(stderr, "only %zu of the intakes finished: the scripts no longer fit the flow\n",
                 finished);
    return 1;
  }

  std::printf("engine built from the data files in %.1f ms\n", build_ms);
  std::printf("%zu steps in %zu full intakes (4 languages)\n", all.size(), finished);
  std::printf("one step: median %.1f us, p90 %.1f us, p99 %.1f us\n", percentile(all, 0.5),
              percentile(all, 0.9), percentile(all, 0.99));
  std::printf("by what the step handled:     median       p99\n");
  for (const auto& [kind, values] : by_kind) {
    std::printf("  %-18s %10.1f us %7.1f us  (%zu steps)\n", kind.c_str(), percentile(values, 0.5),
                percentile(values, 0.99), values.size());
  }
  return 0;
}
