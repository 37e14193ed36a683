// sim_options: streamvisor-sim's command line (parsing, validation, --help text).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/sim/exchange/fault_spec.hpp"

namespace sv {

/// Everything the command line sets. Defaults match --help.
struct sim_options {
  std::string host
    = "127.0.0.1"; ///< listen address: loopback only (127.0.0.1, ::1, localhost)
  int port = 0;    ///< listen port; 0 = the kernel picks
  std::string
    port_file; ///< if set, the actual port is written here (atomically)
  std::string cert_file;  ///< PEM certificate; TLS when given with key_file
  std::string key_file;   ///< PEM private key
  std::uint64_t seed = 1; ///< generator seed
  std::int64_t first_id = 1000000; ///< first aggregate trade id of every symbol
  std::int64_t rate
    = 10; ///< trades per second per symbol; 0 = as fast as clients read
  std::int64_t count = -1; ///< trades per symbol ever produced; -1 = unlimited
  bool close_after_count
    = false; ///< close streams with 1000 once their sequence is sent
  std::string
    replay_file; ///< if set, send this file's lines instead of generating
  std::size_t rest_history
    = 1000000; ///< trades kept per symbol for REST and slow streams
  std::vector<std::string>
    symbols; ///< markets created at start (upper case), so REST knows them
  std::int64_t depth_interval_ms
    = 100; ///< one depthUpdate per symbol this often
  std::int64_t depth_changes
    = 5; ///< mean order-book changes per depth event (N-N/2..N+N/2)
  std::string log_level = "info"; ///< error|warn|info|debug
  std::vector<fault_spec>
    faults;          ///< --fault, in command-line order (first match wins)
  bool help = false; ///< --help given: print usage, exit 0
};

/// Result of parsing: options, or one line naming the bad option.
struct sim_options_result {
  std::optional<sim_options> options; ///< set on success
  std::string error; ///< set on failure, e.g. "unknown option --prot"
};

/// Parses `args` (without the program name). Accepts "--name value" and
/// "--name=value". Pure; never exits.
sim_options_result parse_sim_options(const std::vector<std::string>& args);

/// The --help text, one option per line.
std::string sim_usage();

} // namespace sv
