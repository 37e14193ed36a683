// fault_world: one seed of the fault simulation: streamvisor's real actors (supervisor,
// connection actors, aggregators, backfill) on CAF's deterministic scheduler, a simulated
// exchange and network that draw every fault from the seed, and the invariants checked
// after each step and at the end.
//
// Half of the worlds also stream depth into book actors, against the simulator's own
// order-book model (app/sim/exchange/depth_feed).
//
// A world runs three phases on the virtual clock:
//
//   faults (5..30 s) --> heal --> shutdown
//
//   faults:   trades are produced; sockets are refused, rejected (429/418 with
//             Retry-After), hang in the upgrade, go silent, are closed by the network,
//             send gaps, duplicates, malformed frames and serverShutdown (depth
//             sockets skip and repeat events); rotations
//             happen by age; REST answers 200, 500, 429, 418, malformed bodies or
//             times out; running symbols are started again; a late symbol starts.
//   heal:     no new fault: every socket upgrades, every frame arrives, REST answers.
//             Long enough for parked children, the backfill's retries and the
//             connection budget to recover.
//   shutdown: the supervisor is stopped; the network acknowledges closes late or
//             early; then the aggregators and the backfill actor are stopped.
//
// Invariants (each violation is one line of world_result::violations):
//   - one attempt per key: a key never has sockets of two attempts, nor three lanes;
//   - the connect deadline: a socket without a first frame is closed by the actor
//     connect_timeout_ms after its open; the silence watchdog: a socket without a
//     frame for silence_timeout_ms (plus one check interval) is closed; a rotation's
//     lanes are down to one within rotation_timeout_ms;
//   - the connection budget: attempts in any budget window and in any second stay
//     within connect_budget and connect_burst;
//   - starting a running symbol answers already_started and opens nothing;
//   - after heal: every child streams; every aggregate id from the first one held to
//     the exchange's last is held exactly once, in order, with the exchange's fields,
//     or lies in a gap the aggregator reports as open; totals equal the held trades;
//   - a synced book equals the exchange's at its last update id (any step), and
//     every book is synced at the newest update after heal;
//   - shutdown: the supervisor is down at its shutdown deadline with no socket open;
//     no actor is left and no timer keeps firing once everything is stopped.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace sv::faultsim {

/// What one seed found, and how often each kind of event happened in it.
struct world_result {
  std::vector<std::string> violations;         ///< "t=1234ms: what went wrong"
  std::map<std::string, std::uint64_t> events; ///< event name -> count
};

/// Runs the world of `seed`. With `trace` set, every event and every actor log line
/// (at debug level) is written there as it happens, for replaying a failing seed.
world_result run_world(std::uint64_t seed, std::ostream* trace);

} // namespace sv::faultsim
