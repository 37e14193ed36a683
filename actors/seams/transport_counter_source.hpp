// transport_counter_source: the seam through which the api actor reads the transports' counters.
#pragma once

#include "messages/transport_counters.hpp"

namespace sv {

/// Reads the counters. Implemented in app/ over the libwebsockets transports and by
/// a fake in tests.
class transport_counter_source {
public:
  transport_counter_source() = default;
  transport_counter_source(const transport_counter_source&) = delete;
  transport_counter_source& operator=(const transport_counter_source&) = delete;
  transport_counter_source(transport_counter_source&&) = delete;
  transport_counter_source& operator=(transport_counter_source&&) = delete;
  virtual ~transport_counter_source() = default;

  /// Any thread, never blocks (the transports keep atomics).
  [[nodiscard]] virtual transport_counters counters() const = 0;
};

} // namespace sv
