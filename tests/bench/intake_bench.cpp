// The intake as hosts live it: plays every host of tests/flows/conversations/ against the intake
// flow (flows/defs, through flows::converse as the desk does) and prints the bot turns each took to
// reach the filing, the medians (all hosts, hosts whose opening gave the facts, each language) and
// what the judge found wrong. Targets (issue 16): median <= 12, <= 8 when the opening carries the
// facts. Not a test: the conversation-set test judges the same runs.
//   gvo-intake-bench [-v [-t]] [-d]   (-v: every host's line; -t: with the transcripts of those
//   with problems; -d: through the real desk on a SQLite store instead of flows::converse)
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/flows/conversations/host_set.hpp"
#include "tests/flows/flow_fixture.hpp"

int main(int argc, char** argv) {
  using namespace gvo;
  bool verbose = false;
  bool transcripts = false;
  auto carrier = test::Carrier::engine;
  for (int i = 1; i < argc; ++i) {
    verbose |= std::strcmp(argv[i], "-v") == 0;
    transcripts |= std::strcmp(argv[i], "-t") == 0;
    if (std::strcmp(argv[i], "-d") == 0) carrier = test::Carrier::desk;
  }
  const auto& world = test::flow_world();
  const test::HostSet set = test::load_host_set(test::source_path("tests/flows/conversations"));
  std::vector<test::HostRun> all;
  std::vector<test::HostRun> with_facts;
  std::map<std::string, std::vector<test::HostRun>> by_language;
  std::size_t filed = 0;
  std::size_t clean = 0;
  std::size_t problems = 0;
  for (const auto& host : set.hosts) {
    test::HostRun run = test::play(world, set, host, carrier);
    filed += run.filed ? 1U : 0U;
    clean += run.problems.empty() ? 1U : 0U;
    problems += run.problems.size();
    if (verbose) {
      std::printf("%-6s %s %3d turns%s\n", host.id.c_str(), host.language.c_str(), run.bot_turns,
                  run.filed ? "" : "  NOT FILED");
      for (const auto& problem : run.problems) std::printf("         %s\n", problem.c_str());
      if (!run.problems.empty() && transcripts) {
        for (const auto& line : run.transcript) std::printf("           %s\n", line.c_str());
      }
    }
    if (host.opening_has_facts) with_facts.push_back(run);
    by_language[host.language].push_back(run);
    all.push_back(std::move(run));
  }
  std::printf("hosts: %zu, filed: %zu, without a problem: %zu, problems: %zu\n", all.size(), filed,
              clean, problems);
  std::printf("median bot turns to the reference: %.1f (target <= 12)\n", test::median_turns(all));
  std::printf("  openings with the facts (%zu hosts): %.1f (target <= 8)\n", with_facts.size(),
              test::median_turns(with_facts));
  for (const auto& [language, runs] : by_language) {
    std::printf("  %s (%zu hosts): %.1f\n", language.c_str(), runs.size(),
                test::median_turns(runs));
  }
  return 0;
}
