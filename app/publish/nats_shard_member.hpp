// nats_shard_member: this instance's part in a shard group: symbol leases in a
// JetStream key-value bucket, and the symbols they start and stop here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/protocols.hpp"
#include "actors/seams/shard_membership.hpp"
#include "messages/symbol_plan.hpp"

namespace sv {

/// What the member joins and divides (docs/scale-out.md, "Sharding").
struct shard_member_config {
  std::string url;            ///< nats_url
  std::string group;          ///< shard_group; the bucket is sv_shards_<group>
  std::string instance;       ///< this instance's id, unique in the group
  std::uint32_t lease_s = 10; ///< the bucket's TTL: a lease lapses after it
  std::uint32_t replicas = 1; ///< instances streaming each symbol
  std::string stream = "MARKETDATA"; ///< where the last published ids are read
  symbol_plan plan;                  ///< the group's symbols and their streams
  /// The streams of a symbol added at runtime without naming any (the
  /// `streams` setting), resolved by the member asked and written with it.
  std::vector<stream_kind> default_streams;
  std::uint32_t remove_timeout_ms = 7000; ///< wait for the registry's removal
};

/// The actors the member starts and stops symbols through.
struct shard_member_actors {
  caf::actor_system* sys = nullptr; ///< outlives the member
  registry_if registry; ///< puts (with the hand-over id) and removes symbols
  supervisor_if supervisor; ///< tells which symbols' streams gave up
};

/// Runs one thread of its own with its own NATS connection. Every lease_s / 3 it
/// does a round: writes its member key, reads the bucket, decides with
/// plan_shard_round (actors/core/shard_plan.hpp), writes the leases by
/// compare-and-set, then starts through the registry each symbol whose lease it
/// took (after the last trade id the stream holds for it: the hand-over is
/// backfilled) and removes each it no longer holds. A round that cannot read
/// the bucket changes nothing: the symbols running here keep running (another
/// instance that takes a lapsed lease meanwhile publishes the same ids, which the
/// stream stores once), and a renewal found lost stops the symbol here.
class nats_shard_member final : public shard_membership {
public:
  nats_shard_member(shard_member_config cfg, shard_member_actors actors);
  ~nats_shard_member() override; ///< stop() if still running
  nats_shard_member(const nats_shard_member&) = delete;
  nats_shard_member& operator=(const nats_shard_member&) = delete;
  nats_shard_member(nats_shard_member&&) = delete;
  nats_shard_member& operator=(nats_shard_member&&) = delete;

  /// Starts the thread. Call once.
  void start();

  /// Any thread: the group's symbols from now on (a reloaded config).
  void set_plan(symbol_plan plan);

  /// Releases every lease held, removes the member key (so the others take
  /// over at their next round, not after the TTL), closes the connection and
  /// joins the thread. Leaves the symbols running: the caller stops them.
  /// Idempotent.
  void stop();

  [[nodiscard]] shard_status status() const override;
  [[nodiscard]] std::vector<std::string> symbols() const override;
  group_change_result change_symbol(group_symbol_change change) override;

  struct impl; ///< libnats stays in the .cpp

private:
  std::unique_ptr<impl> impl_;
};

/// The default instance id: the host name and process id, as the bucket's keys
/// accept them.
std::string default_shard_instance();

} // namespace sv
