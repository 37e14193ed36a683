// shard_membership: the seam through which the api reads the shard group's state
// and changes the group's symbols.
#pragma once

#include <string>
#include <vector>

#include "messages/group_symbol_change.hpp"
#include "messages/shard_status.hpp"

namespace sv {

/// A member of a shard group (app/publish/nats_shard_member over JetStream's
/// key-value store; a recording fake in tests). Every function may be called
/// from any thread and never blocks on I/O.
class shard_membership {
public:
  shard_membership() = default;
  virtual ~shard_membership() = default;
  shard_membership(const shard_membership&) = delete;
  shard_membership& operator=(const shard_membership&) = delete;
  shard_membership(shard_membership&&) = delete;
  shard_membership& operator=(shard_membership&&) = delete;

  [[nodiscard]] virtual shard_status status() const = 0;

  /// The group's symbols as this member last read them (at most a round,
  /// lease_s / 3, ago), with the changes it has queued applied.
  [[nodiscard]] virtual std::vector<std::string> symbols() const = 0;

  /// Asks for `change` (symbol upper case and valid) in the group. Queued: the
  /// member writes it to the group's bucket in a round it starts at once, and
  /// every member applies it at its next round. Checked against symbols():
  /// an add the group has with those streams is unchanged, a removal of a
  /// symbol it lacks unknown. Refused (unreachable) while the last round did
  /// not reach the bucket or the member is stopping: a change queued then could
  /// wait through an outage and overwrite a newer one made through another
  /// member (one queued just before an outage still can: the last write wins).
  virtual group_change_result change_symbol(group_symbol_change change) = 0;
};

} // namespace sv
