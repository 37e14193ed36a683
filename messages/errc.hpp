// errc: streamvisor's operating errors, carried as caf::error values.
#pragma once

#include <cstdint>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace sv {

/// Operating errors (never programmer errors; those are asserts).
enum class errc : std::uint8_t {
  none = 0,        ///< no error (CAF reserves code 0)
  already_started, ///< start() of a (symbol, stream) that has a live child
  connect_timeout, ///< the upgrade did not complete before the connect deadline
  connection_closed, ///< the socket closed (peer close, refused, TLS failure, ...)
  unknown_symbol,    ///< a query named a symbol that is not configured
  shutting_down,     ///< the supervisor no longer starts children
  silence_timeout, ///< no frame within the silence timeout (half-open or idle feed)
  escalated,      ///< too many children parked: the process should be restarted
  being_removed,  ///< a start of a symbol whose children are still closing
  invalid_symbol, ///< not 1..20 ASCII letters and digits
  limit_reached,  ///< symbols_max symbols run already
};

/// Text for an errc ("connect_timeout"); "unknown" for values outside the enum.
const char* to_string(errc x);

} // namespace sv

CAF_ERROR_CODE_ENUM(sv::errc, "sv")
