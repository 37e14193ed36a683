// actor_clock: an actor's clock as nanoseconds, the one unit every timer and deadline here uses.
#pragma once

#include <chrono>
#include <cstdint>

namespace sv {

/// The actor clock of `self` (any CAF actor pointer) in nanoseconds since its
/// epoch. On the test scheduler this is the virtual clock tests advance.
template <class Self>
std::int64_t clock_ns(Self self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

} // namespace sv
