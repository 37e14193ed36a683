// fault_sim: runs seeded fault simulations of streamvisor's actors and reports every
// violated invariant with a one-line command that replays its seed.
//
//   fault_sim --seeds 10000 [--first 1]   run seeds first .. first + seeds - 1
//   fault_sim --seed 4711                 replay one seed with a full trace on stderr
//
// Exit status: 0 if every seed held every invariant, 1 if any failed, 2 on bad usage.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/command_line.hpp"
#include "tests/sim/fault_world.hpp"

namespace {

struct sim_args {
  std::uint64_t first = 1;    ///< first seed
  std::uint64_t seeds = 1000; ///< how many seeds
  std::uint64_t replay = 0;   ///< --seed: one seed, traced; 0: none
  bool help = false;
};

const std::array sim_option_table = {
  sv::cli_value_option(
    "--seeds", "N", sv::cli_set_integer<&sim_args::seeds, ~std::uint64_t{0}>,
    "expected a positive integer", "run N seeds (default 1000)"),
  sv::cli_value_option(
    "--first", "S", sv::cli_set_integer<&sim_args::first, ~std::uint64_t{0}>,
    "expected a positive integer", "start at seed S (default 1)"),
  sv::cli_value_option(
    "--seed", "S", sv::cli_set_integer<&sim_args::replay, ~std::uint64_t{0}>,
    "expected a positive integer",
    "run seed S alone, tracing every event to stderr"),
  sv::cli_flag_option("--help", sv::cli_set_flag<&sim_args::help>, "", "-h",
                      true),
};

std::string usage_text() {
  return "usage: fault_sim [--seeds N] [--first S] | --seed S\n"
         + sv::command_line_usage(sim_option_table, 14)
         + "Exit: 0 every seed held every invariant, 1 some failed, 2 bad "
           "usage.\n";
}

} // namespace

int main(int argc, char** argv) {
  // argv is the C array main() received.
  // NOLINTBEGIN(*-pointer-arithmetic)
  std::vector<std::string> argument_list(argv + 1, argv + argc);
  std::string program = argv[0];
  // NOLINTEND(*-pointer-arithmetic)
  sim_args args;
  if (auto failure = sv::parse_command_line(sim_option_table, argument_list,
                                            args)) {
    std::fprintf(stderr, "fault_sim: option %s: %s\n%s",
                 failure->option.c_str(),
                 failure->unknown ? "unknown option" : failure->detail.c_str(),
                 usage_text().c_str());
    return 2;
  }
  if (args.help) {
    std::fputs(usage_text().c_str(), stdout);
    return 0;
  }
  bool trace = args.replay != 0;
  if (trace) {
    args.first = args.replay;
    args.seeds = 1;
  }
  auto started = std::chrono::steady_clock::now();
  std::map<std::string, std::uint64_t> events;
  std::uint64_t failed = 0;
  for (auto seed = args.first; seed < args.first + args.seeds; ++seed) {
    sv::faultsim::world_result result;
    try {
      result = sv::faultsim::run_world(seed, trace ? &std::cerr : nullptr);
    } catch (const std::exception& e) {
      result.violations.push_back(std::string{"exception: "} + e.what());
    }
    for (const auto& [name, n] : result.events)
      events[name] += n;
    if (result.violations.empty())
      continue;
    ++failed;
    std::cout << "seed " << seed << " FAILED:\n";
    for (const auto& v : result.violations)
      std::cout << "  " << v << '\n';
    std::cout << "  replay: " << program << " --seed " << seed << '\n';
  }
  auto elapsed
    = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
        .count();
  std::cout << "fault_sim: seeds " << args.first << ".."
            << args.first + args.seeds - 1 << ": " << args.seeds - failed
            << " held every invariant, " << failed << " failed, in " << elapsed
            << " s\n  events:";
  for (const auto& [name, n] : events)
    std::cout << ' ' << name << '=' << n;
  std::cout << '\n';
  return failed == 0 ? 0 : 1;
}
