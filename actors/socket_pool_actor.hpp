// socket_pool_actor: many streams on few shared sockets, each stream still its own
// ws_client connection to its connection actor (docs/design-shared-sockets.md).
//
// Connection actors keep the ws_client contract through pooled_ws_client: their
// open(id, /ws/<name>) becomes a subscription of <name> on a shared socket to the
// combined endpoint /stream, their close(id) an UNSUBSCRIBE. Per stream id, in order:
// at most one ws_opened (Binance answered the SUBSCRIBE that carried it), ws_frames
// of that name only, exactly one ws_closed.
//
// A stream on its socket:
//
//   pool_open --> [waiting] --SUBSCRIBE sent--> [subscribing] --{"result":..}--> [live]
//                    |                              |   {"error":..}  |  ws_opened{id}
//                    +---- pool_close / socket closed / answer late --+--> ws_closed{id}
//
// A shared socket (ids from cfg.first_socket_id up, apart from attempt ids):
//
//   first stream with no room elsewhere --> [budget_wait] --connect budget has
//        room--> [connecting] --ws_opened--> [open]   (streams wait on it meanwhile)
//   [open] --"!serverShutdown" frame, or max_socket_age_ms since open--> [draining]:
//        no new streams; every live stream gets the serverShutdown event (the
//        server's frame, or the pool's own in the same shape) and rotates onto
//        another socket (make-before-break); a stream still waiting to be
//        subscribed moves to another socket; one being subscribed gets the event
//        with its ws_opened
//   any --ws_closed--> gone: every stream on it gets ws_closed (was_open if live,
//        the socket's close code, HTTP status and Retry-After passed on)
//   a control message unanswered for answer_timeout_ms --> closed (as above)
//   a stream closes while its socket has had no frame at all for
//        socket_silence_ms --> closed (as above): the socket, not the stream,
//        is dead, so the stream's restart must not subscribe on it again
//   no stream left and nothing in flight --> closed
//
// Pacing: at most one control message per socket per control_interval_ms (Binance
// closes a connection sending more than 5 messages a second, pings included);
// names queued meanwhile go together, UNSUBSCRIBEs before SUBSCRIBEs, so a stream
// restarted on its socket is unsubscribed before it is subscribed again. A name is
// never owned twice on one socket: a second lane of the same stream (rotation) goes
// to another socket.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/core/weight_budget.hpp"
#include "actors/protocols.hpp"
#include "actors/seams/ws_client.hpp"
#include "actors/wire/ws_control.hpp"
#include "messages/pool_status.hpp"

namespace sv {

/// Where the shared sockets go and how they are used.
struct socket_pool_config {
  endpoint server; ///< the stream server; sockets use /stream
  std::uint32_t streams_per_socket = 200; ///< Binance allows 1,024
  /// At most one control message per socket this often: 4 a second, under
  /// Binance's 5 incoming messages a second with room for pings.
  std::uint32_t control_interval_ms = 250;
  /// A SUBSCRIBE or UNSUBSCRIBE unanswered this long closes its socket.
  std::uint32_t answer_timeout_ms = 10000;
  /// Names per control message (Binance documents "too many parameters" but no
  /// number; 200 is well inside what its servers take).
  std::uint32_t params_per_request_max = 200;
  /// Transport ids of the pool's sockets start here, far from the supervisor's
  /// attempt ids, which share the transport.
  std::uint64_t first_socket_id = std::uint64_t{1} << 62;
  /// Socket opens (connection attempts at Binance) per connect_budget_window_ms
  /// and per second: Binance allows 300 per 5 minutes per IP. Streams wait on a
  /// socket that waits for the budget; a stream's own start costs no attempt.
  std::uint32_t connect_budget = 300;
  std::uint32_t connect_budget_window_ms = 300'000;
  std::uint32_t connect_burst = 10;
  /// A socket drains this long after it opened (Binance closes a connection at
  /// 24 h; the streams move before that, make-before-break); 0: never.
  std::int64_t max_socket_age_ms = 0;
  /// A socket with no frame of any stream (nor answer) this long is dead once
  /// one of its streams closes (its watchdog fired): it is closed, so the
  /// restarts go to a new socket. The streams' silence timeout; 0: never.
  std::int64_t socket_silence_ms = 0;
};

/// A stream's phase on its socket (see the drawing above).
enum class pooled_phase : std::uint8_t { waiting, subscribing, live };

/// One stream: one connection actor's open().
struct pooled_stream {
  std::uint64_t conn_id = 0; ///< the connection actor's id
  std::string name;          ///< "btcusdt@aggTrade"
  caf::actor listener;       ///< gets ws_opened / ws_frames / ws_closed
  std::uint64_t socket = 0;  ///< the shared socket it is on
  pooled_phase phase = pooled_phase::waiting;
  std::uint64_t request = 0; ///< the SUBSCRIBE that carried it (subscribing)
};

/// One SUBSCRIBE or UNSUBSCRIBE sent and not answered yet.
struct pool_request {
  std::uint64_t id = 0;
  control_method method = control_method::subscribe;
  std::vector<std::string> names;
  std::int64_t deadline_ns = 0; ///< actor clock
};

/// One shared socket.
struct shared_socket {
  std::uint64_t id = 0; ///< transport connection id
  socket_phase phase = socket_phase::budget_wait;
  /// name -> conn_id, any phase; looked up by string_view per frame (no copy).
  std::map<std::string, std::uint64_t, std::less<>> owners;
  std::vector<std::string> to_subscribe;   ///< waiting names, in order
  std::vector<std::string> to_unsubscribe; ///< closed names, in order
  std::deque<pool_request> in_flight;      ///< sent, answered in order
  std::int64_t next_control_ns = 0; ///< no control message before (actor clock)
  bool close_sent = false;          ///< ws_client::close asked
  std::string close_why; ///< why the pool closed it (passed to its streams)
  std::int64_t opened_ns = -1;    ///< its ws_opened (actor clock), -1 before
  std::int64_t last_frame_ns = 0; ///< open or last frame read (actor clock)
  /// The serverShutdown frame handed to each live stream (draining only).
  std::string drain_notice;
};

/// State of the socket pool (plain data; behavior in socket_pool_actor.cpp).
struct socket_pool_state {
  static inline const char* const name = "socket_pool";
  socket_pool_config cfg;
  ws_client* ws = nullptr; ///< transport; outlives the actor
  std::unordered_map<std::uint64_t, pooled_stream> streams; ///< by conn_id
  std::map<std::uint64_t, shared_socket> sockets; ///< by id = creation order
  std::uint64_t next_socket_id = 0;               ///< last socket id handed out
  std::uint64_t next_request_id = 0;              ///< last control message id
  bool tick_pending = false;                      ///< a pool_tick is scheduled
  std::uint64_t frames_routed = 0; ///< data frames handed to a live stream
  std::uint64_t frames_unrouted
    = 0; ///< data frames of no live stream (just unsubscribed) or unreadable
  std::uint64_t sockets_opened = 0;  ///< ws_client::open calls
  std::uint64_t sockets_drained = 0; ///< serverShutdown or max_socket_age_ms
  /// Sockets opened whose ws_closed has not come; closed when the pool ends.
  std::shared_ptr<std::set<std::uint64_t>> unclosed;
  /// Socket opens: connect_budget per window, connect_burst per second (replaced
  /// from cfg at spawn).
  weight_budget budget{300, 300'000'000'000, 10};
};

using socket_pool_self = socket_pool_if::stateful_pointer<socket_pool_state>;

/// Spawns with `sys.spawn(socket_pool_actor, cfg, &ws)`. `ws` must outlive it.
socket_pool_if::behavior_type
socket_pool_actor(socket_pool_self self, socket_pool_config cfg, ws_client* ws);

/// The stream name of a single-stream path, "/ws/btcusdt@aggTrade" ->
/// "btcusdt@aggTrade"; empty for anything else.
std::string pooled_stream_name(const std::string& path);

} // namespace sv
