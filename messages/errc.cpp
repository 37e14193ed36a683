// errc: text of each operating error.
#include "messages/errc.hpp"

namespace sv {

const char* to_string(errc x) {
  switch (x) {
    case errc::none:
      return "none";
    case errc::already_started:
      return "already_started";
    case errc::connect_timeout:
      return "connect_timeout";
    case errc::connection_closed:
      return "connection_closed";
    case errc::unknown_symbol:
      return "unknown_symbol";
    case errc::shutting_down:
      return "shutting_down";
    case errc::silence_timeout:
      return "silence_timeout";
    case errc::escalated:
      return "escalated";
    case errc::being_removed:
      return "being_removed";
    case errc::invalid_symbol:
      return "invalid_symbol";
    case errc::limit_reached:
      return "limit_reached";
  }
  return "unknown";
}

} // namespace sv
