// shard_status: what a shard group member reports for /status and /metrics (data only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sv {

/// One instance's view of its shard group (docs/scale-out.md, "Sharding").
struct shard_status {
  std::string group;          ///< shard_group; the bucket is sv_shards_<group>
  std::string instance;       ///< this instance's id in the group
  std::uint32_t lease_s = 0;  ///< a lease not renewed for this long lapses
  std::uint32_t replicas = 0; ///< instances meant to stream each symbol
  bool connected = false;     ///< the last round read the bucket
  std::uint32_t members = 0;  ///< live members at the last round, this one too
  std::uint32_t quota = 0;    ///< leases this instance may hold
  std::uint32_t symbols = 0;  ///< the group's symbols
  std::uint32_t unheld = 0;   ///< group leases no member held at the last round
  std::vector<std::string> held; ///< symbols whose lease this instance holds
  std::uint64_t rounds = 0;      ///< rounds done (one per lease_s / 3)
  /// How long the last round took: reading and writing the bucket, starting and
  /// stopping symbols. Near lease_s / 3 or above, renewals come late.
  std::uint64_t round_ms = 0;
  std::uint64_t taken = 0;     ///< leases taken (a symbol started here)
  std::uint64_t released = 0;  ///< leases given up (balance, unhealthy, stop)
  std::uint64_t lost = 0;      ///< leases found taken by another or lapsed
  std::uint64_t handovers = 0; ///< symbols started after the stream's last id
  /// The group's runtime changes as the last round read them
  /// (sv_symbols_<group>): symbols added to, and removed from, the configured set.
  std::vector<std::string> added;
  std::vector<std::string> removed;
  /// Changes asked of this member (PUT or DELETE /symbols/{S}) not yet written
  /// to the bucket; they wait while it is out of reach.
  std::uint32_t changes_pending = 0;
  /// Changes this member wrote to the bucket.
  std::uint64_t changes_written = 0;
  std::string last_error; ///< the last failure, empty if none
};

} // namespace sv
