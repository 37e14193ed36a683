// fault_sim: runs seeded fault simulations of streamvisor's actors and reports every
// violated invariant with a one-line command that replays its seed.
//
//   fault_sim --seeds 10000 [--first 1]   run seeds first .. first + seeds - 1
//   fault_sim --seed 4711                 replay one seed with a full trace on stderr
//
// Exit status: 0 if every seed held every invariant, 1 if any failed, 2 on bad usage.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>
#include <string>

#include "tests/sim/fault_world.hpp"

namespace {

struct sim_args {
  std::uint64_t first = 1;
  std::uint64_t seeds = 1000;
  bool trace = false;
};

bool parse_number(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  auto x = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0')
    return false;
  out = x;
  return true;
}

int usage(const char* argv0) {
  std::fprintf(
    stderr,
    "usage: %s [--seeds N] [--first S] | --seed S\n"
    "  --seeds N   run N seeds (default 1000)\n"
    "  --first S   start at seed S (default 1)\n"
    "  --seed S    run seed S alone and trace every event to stderr\n",
    argv0);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  sim_args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      return usage(argv[0]);
    std::uint64_t value = 0;
    if (!parse_number(argv[i + 1], value))
      return usage(argv[0]);
    ++i;
    if (flag == "--seeds") {
      args.seeds = value;
    } else if (flag == "--first") {
      args.first = value;
    } else if (flag == "--seed") {
      args.first = value;
      args.seeds = 1;
      args.trace = true;
    } else {
      return usage(argv[0]);
    }
  }
  auto started = std::chrono::steady_clock::now();
  std::map<std::string, std::uint64_t> events;
  std::uint64_t failed = 0;
  for (auto seed = args.first; seed < args.first + args.seeds; ++seed) {
    sv::faultsim::world_result result;
    try {
      result = sv::faultsim::run_world(seed, args.trace ? &std::cerr : nullptr);
    } catch (const std::exception& e) {
      result.violations.push_back(std::string{"exception: "} + e.what());
    }
    for (auto& [name, n] : result.events)
      events[name] += n;
    if (result.violations.empty())
      continue;
    ++failed;
    std::cout << "seed " << seed << " FAILED:\n";
    for (auto& v : result.violations)
      std::cout << "  " << v << '\n';
    std::cout << "  replay: " << argv[0] << " --seed " << seed << '\n';
  }
  auto elapsed
    = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
        .count();
  std::cout << "fault_sim: seeds " << args.first << ".."
            << args.first + args.seeds - 1 << ": " << args.seeds - failed
            << " held every invariant, " << failed << " failed, in " << elapsed
            << " s\n  events:";
  for (auto& [name, n] : events)
    std::cout << ' ' << name << '=' << n;
  std::cout << '\n';
  return failed == 0 ? 0 : 1;
}
