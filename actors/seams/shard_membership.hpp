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

  /// The group's symbols as this member last read them, with the changes it
  /// has queued applied: what a DELETE may name.
  [[nodiscard]] virtual std::vector<std::string> symbols() const = 0;

  /// Queues `change` (symbol upper case and valid) for the group: the member
  /// writes it to the group's bucket at a round it starts at once, and every
  /// member applies it at its next round. False, and nothing queued, when
  /// group_changes_pending_max changes wait already (the bucket has been out of
  /// reach for a while).
  virtual bool change_symbol(group_symbol_change change) = 0;
};

} // namespace sv
