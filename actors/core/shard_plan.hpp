// shard_plan: one instance's round in a shard group: which symbol leases it renews,
// releases and takes, decided from what the group's key-value bucket holds.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace sv {

/// One lease key of the bucket, `lease.<symbol>.<replica>`, as read this round.
struct shard_lease {
  std::string symbol;        ///< upper case
  std::uint32_t replica = 0; ///< 0 .. replicas - 1
  std::string holder;        ///< instance id; "" when released or deleted
  /// The key's revision: what a compare-and-set write is made against. 0: the
  /// key is not in the bucket (never written, or its TTL lapsed).
  std::uint64_t revision = 0;
};

/// What one instance read from the bucket this round.
struct shard_view {
  std::vector<std::string> members; ///< live instance ids (member.<id> keys)
  std::vector<shard_lease> leases;  ///< lease keys present, holder "" if free
};

/// This instance's inputs besides the view.
struct shard_round_input {
  std::string me;                   ///< this instance's id
  std::vector<std::string> symbols; ///< the group's symbols, upper case
  std::uint32_t replicas = 1;       ///< instances streaming each symbol
  /// Symbols whose streams gave up (parked) here: their leases are released
  /// and not taken again while they are in `cooling`.
  std::set<std::string> unhealthy;
  std::set<std::string> cooling; ///< recently given up here: not taken
};

/// The round's decisions. Each lease carries the revision to write against.
struct shard_actions {
  std::vector<shard_lease> renew;   ///< held and healthy: rewrite (CAS)
  std::vector<shard_lease> release; ///< held, to give up: write "" (CAS)
  std::vector<shard_lease> take;    ///< free: write our id (CAS)
  /// Free leases beyond `take`, in the same order: for each take that loses its
  /// race to another member, the next of these (of a symbol not held here) is
  /// tried instead, so a round fills the quota rather than the next one.
  std::vector<shard_lease> spare;
  /// A swap, when the quota blocks placement: `swap_take` is a free lease that
  /// the instances below their quota cannot take (they hold its symbol), taken
  /// beyond the quota; only if that write succeeds, `swap_release` (one of this
  /// instance's, of a symbol some instance below its quota lacks) is released
  /// for it; if the take fails, `swap_release` is renewed instead (it is not in
  /// `renew`). Both empty (symbol "") when no swap is needed.
  shard_lease swap_take;
  shard_lease swap_release;
  std::uint32_t quota = 0; ///< leases this instance may hold this round
};

/// Decides one round. The rules (docs/scale-out.md, "Sharding"):
/// - quota = ceil(symbols x replicas / live members), counting `me` as live;
/// - a held lease of an unhealthy symbol, of a symbol no longer in the group, or
///   a second replica of one symbol is released; of the rest, those beyond the
///   quota are released (the highest ranked first), the others renewed;
/// - below the quota, free leases (absent, released) are taken, at most one per
///   symbol, none of a cooling or unhealthy symbol, ordered by a rank that differs
///   per instance (rendezvous hashing), so instances rarely race for one key and
///   a symbol tends to go back to the same instance;
/// - a lease held by someone else is never taken: it lapses by the bucket's TTL
///   if its holder died;
/// - with replicas > 1 a free lease can be stuck: every instance below its quota
///   holds the symbol, every other is at its quota. Then one at its quota swaps
///   (see shard_actions::swap_take), which moves one lease a round until none is.
shard_actions plan_shard_round(const shard_view& view,
                               const shard_round_input& in);

/// The bucket key of a lease: `lease.<symbol>.<replica>`.
std::string shard_lease_key(const std::string& symbol, std::uint32_t replica);

/// The bucket key of a member: `member.<id>`.
std::string shard_member_key(const std::string& id);

/// Reads a bucket key back: true and `out` filled for `lease.<S>.<r>`.
bool parse_shard_lease_key(const std::string& key, shard_lease& out);

/// An instance id the bucket accepts as a key part: characters outside
/// [A-Za-z0-9_-] become '_'; empty gives "instance".
std::string shard_instance_id(const std::string& wanted);

/// The symbols held by the `held` leases, sorted and unique.
std::set<std::string> shard_symbols_of(const std::vector<shard_lease>& held);

} // namespace sv
