// shard_membership: the seam through which the api reads the shard group's state.
#pragma once

#include "messages/shard_status.hpp"

namespace sv {

/// A member of a shard group (app/publish/nats_shard_member over JetStream's
/// key-value store; a fixed value in tests).
class shard_membership {
public:
  shard_membership() = default;
  virtual ~shard_membership() = default;
  shard_membership(const shard_membership&) = delete;
  shard_membership& operator=(const shard_membership&) = delete;
  shard_membership(shard_membership&&) = delete;
  shard_membership& operator=(shard_membership&&) = delete;
  /// Any thread, never blocks on I/O.
  [[nodiscard]] virtual shard_status status() const = 0;
};

} // namespace sv
