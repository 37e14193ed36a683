// status: text of connection phases, child states and socket phases.
#include "messages/status.hpp"

#include "messages/pool_status.hpp"

namespace sv {

const char* to_string(connection_phase x) {
  switch (x) {
    case connection_phase::connecting:
      return "connecting";
    case connection_phase::streaming:
      return "streaming";
    case connection_phase::rotating:
      return "rotating";
    case connection_phase::closing:
      return "closing";
    case connection_phase::closed:
      return "closed";
  }
  return "unknown";
}

const char* to_string(restart_cause x) {
  switch (x) {
    case restart_cause::connect_timeout:
      return "connect_timeout";
    case restart_cause::connection_closed:
      return "connection_closed";
    case restart_cause::silence_timeout:
      return "silence_timeout";
    case restart_cause::other:
      return "other";
  }
  return "unknown";
}

const char* to_string(child_state x) {
  switch (x) {
    case child_state::connecting:
      return "connecting";
    case child_state::streaming:
      return "streaming";
    case child_state::waiting:
      return "waiting";
    case child_state::backoff:
      return "backoff";
    case child_state::parked:
      return "parked";
    case child_state::stopped:
      return "stopped";
  }
  return "unknown";
}

const char* to_string(socket_phase x) {
  switch (x) {
    case socket_phase::budget_wait:
      return "budget_wait";
    case socket_phase::connecting:
      return "connecting";
    case socket_phase::open:
      return "open";
    case socket_phase::draining:
      return "draining";
  }
  return "unknown";
}

} // namespace sv
