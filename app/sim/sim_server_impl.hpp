// sim_server::impl: the simulator server's state (lws service thread) and where its parts live.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <libwebsockets.h>

#include "actors/wire/ws_control.hpp"
#include "app/sim/exchange/fault_spec.hpp"
#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/rest_handler.hpp"
#include "app/sim/sim_server.hpp"

// The server is one struct, sim_server::impl, whose member functions are spread over one
// file per concept:
//   sim_server.cpp          lws plumbing: the protocol callback, dispatch by callback
//                           reason, the session table, the public sim_server methods
//   sim_server_pacing.cpp   trade generation at --rate and the order book's depth clock
//   sim_server_streams.cpp  WebSocket stream sessions: upgrade, subscribe, write frames,
//                           replay, release
//   sim_server_control.cpp  the client's control messages (SUBSCRIBE, UNSUBSCRIBE,
//                           LIST_SUBSCRIPTIONS, properties) and Binance's incoming
//                           limits
//   sim_server_faults.cpp   fault application: which connection gets a --fault, and
//                           what it does to it (accept, upgrade, frames, close)
//   sim_server_http.cpp     the REST/HTTP side: request, weight, REST faults, body writes
// Everything here runs on the lws service thread only.

namespace sv {

namespace sim_detail {

constexpr std::int64_t us_per_s = 1'000'000;

inline std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

inline std::int64_t steady_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch())
    .count();
}

/// One symbol a stream connection reads; `next_id` is its cursor into the market.
struct subscription {
  symbol_market* market = nullptr; ///< owned by sim_exchange
  std::int64_t next_id = 0;        ///< id of the next trade to send
  /// drop-subscription: the server drops this subscription once the connection
  /// has sent this many frames; -1 = never.
  std::int64_t drop_at_frames = -1;
};

/// One symbol's depth stream on a connection; `next_pos` is its cursor into the
/// symbol's depth_feed (positions of kept events, so a dropped event leaves no hole).
struct depth_subscription {
  symbol_market* market = nullptr; ///< owned by sim_exchange
  std::int64_t next_pos = 0;       ///< feed position of the next event to send
};

/// A per-connection lws timer (reset-after polling, server-shutdown grace). `sul`
/// stays first so the callback can recover `this` (lws_container_of).
struct session_timer {
  lws_sorted_usec_list_t sul; ///< lws timer; first member
  sim_server::impl* owner = nullptr;
  lws* wsi = nullptr; ///< the connection the timer belongs to
};

/// Per-connection data, keyed by wsi; created at the HTTP request or upgrade,
/// dropped at CLOSED / WSI_DESTROY. lws service thread only.
struct session {
  bool is_stream = false;         ///< a WebSocket stream (else HTTP)
  bool combined = false;          ///< wrap frames as {"stream":..,"data":..}
  bool registered = false;        ///< counted in its markets' connections
  std::vector<subscription> subs; ///< aggTrade streams of this connection
  std::vector<depth_subscription>
    depth_subs;                     ///< depth streams of this connection
  std::size_t round_robin = 0;      ///< first subscription served next burst
  std::size_t replay_next = 0;      ///< next replay line to send
  std::int64_t replay_start_us = 0; ///< steady time the replay began
  bool replay_started = false; ///< at its first stream (upgrade or SUBSCRIBE)
  std::string http_body;       ///< reply being written
  std::size_t http_sent = 0;   ///< bytes of http_body written
  bool http_pending = false;   ///< headers written, body not finished
  const fault_spec* fault
    = nullptr; ///< --fault this connection got (owned by fault_plan)
  std::int64_t frames_sent
    = 0;                 ///< data frames written (trades, replay lines, extras)
  bool silenced = false; ///< silent-after / no-first-frame: send nothing more
  bool shutdown_sent = false; ///< serverShutdown event written
  bool close_due = false;     ///< server-shutdown grace over: close 1001 next
  bool reset_pending
    = false;           ///< reset-after reached: waiting for the peer's ACK
  int reset_polls = 0; ///< ACK polls done so far
  session_timer timer; ///< see session_timer
  std::string rx;      ///< the client's message being received (fragments)
  bool rx_oversize
    = false; ///< that message passed the bound: refused at its end
  std::deque<std::string>
    answers; ///< control answers not written yet, in order
  std::deque<std::int64_t>
    rx_us; ///< steady times of the client's messages in the last second
};

/// A TCP connection the sim took from lws's listener at accept (hang-upgrade,
/// stall-tls): an lws raw socket, with TLS done by lws for hang-upgrade over wss.
/// lws service thread only.
struct jailed_conn {
  bool hanging = false; ///< the fault applies: read and discard forever
  std::string request; ///< plain hang-upgrade: request bytes read so far (peek)
};

/// Pacing state of one market: a sorted-usec-list timer and the connections to
/// wake when trades appear. `sul` stays first so the callback can recover `this`.
struct market_clock {
  lws_sorted_usec_list_t
    sul; ///< lws timer; first member (see lws_container_of)
  sim_server::impl* owner = nullptr;
  symbol_market* market = nullptr; ///< owned by sim_exchange
  std::int64_t start_us = 0;       ///< steady time trade 0 was due
  std::int64_t generated = 0;      ///< trades generated since start
  std::vector<lws*> conns; ///< established streams subscribed to `market`
};

/// Pacing state of one symbol's order book: a timer that applies the open depth
/// event's changes spread evenly over the interval (change j of n at j/n of it) and
/// closes the event at its end, and the depth streams to wake then. So the book is
/// always some changes ahead of the last event sent, as on Binance. `sul` stays
/// first so the callback can recover `this`.
struct depth_clock {
  lws_sorted_usec_list_t
    sul; ///< lws timer; first member (see lws_container_of)
  sim_server::impl* owner = nullptr;
  symbol_market* market = nullptr; ///< owned by sim_exchange
  std::int64_t interval_start_us
    = 0; ///< steady time the open event's interval began
  std::vector<lws*>
    conns; ///< established streams with a depth subscription to `market`
};

} // namespace sim_detail

/// The server's state; see the file map above for where each part is implemented.
struct sim_server::impl {
  using subscription = sim_detail::subscription;
  using depth_subscription = sim_detail::depth_subscription;
  using session = sim_detail::session;
  using jailed_conn = sim_detail::jailed_conn;
  using market_clock = sim_detail::market_clock;
  using depth_clock = sim_detail::depth_clock;

  sim_options options;
  sim_exchange& ex;
  std::vector<std::string> replay;
  lws_context* ctx = nullptr;
  int port = 0;
  std::unordered_map<lws*, std::unique_ptr<session>> sessions;
  std::map<const symbol_market*, std::unique_ptr<market_clock>> clocks;
  std::map<const symbol_market*, std::unique_ptr<depth_clock>> depth_clocks;
  std::unordered_map<lws*, jailed_conn> jails; // raw sockets taken at accept
  fault_plan faults;
  weight_window weights; // REST request weight of the last minute
  lws_vhost* vhost = nullptr;
  std::string
    scratch; // frame under construction, LWS_PRE bytes of headroom first

  impl(const sim_options& o, sim_exchange& e, std::vector<std::string> r)
    : options(o), ex(e), replay(std::move(r)), faults(o.faults) {
    ex.set_faults(&faults); // /sim/stats reads the counts when asked
  }

  ~impl() {
    ex.set_faults(nullptr);
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  bool tls() const {
    return !options.cert_file.empty() && !options.key_file.empty();
  }

  bool replaying() const {
    return !replay.empty();
  }

  // -- lws plumbing and the session table (sim_server.cpp) --------------------

  session& fresh_session(lws* wsi);
  session* find_session(lws* wsi);
  int dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in,
               size_t len);

  // -- trade generation and the book clock (sim_server_pacing.cpp) ------------

  market_clock& clock_of(symbol_market& m);
  void wake(market_clock& c);
  void start_market(symbol_market& m);
  static void on_tick(lws_sorted_usec_list_t* sul);
  void tick(market_clock& c);
  void refill(symbol_market& m);
  depth_clock& start_depth_clock(symbol_market& m);
  static void on_depth_tick(lws_sorted_usec_list_t* sul);
  void depth_tick(depth_clock& c);
  bool close_depth_event(symbol_market& m);
  static void wake(const std::vector<lws*>& conns);

  // -- WebSocket stream sessions (sim_server_streams.cpp) ---------------------

  int confirm_upgrade(lws* wsi);
  int reject_upgrade(lws* wsi, const char* path);
  void established(lws* wsi);
  void release(lws* wsi);
  bool write_scratch(lws* wsi, lws_write_protocol kind);
  int close_normal(lws* wsi, const char* why);
  int stream_writeable(lws* wsi);
  int send_depth(lws* wsi, session& s, int& frames, bool& choked);
  std::size_t replay_due(const session& s) const;
  int replay_writeable(lws* wsi, session& s);
  static void start_replay(lws* wsi, session& s);
  void fill_replay_line(const session& s, const std::string& line);

  void open_sub(lws* wsi, session& s, subscription& sub);
  void open_depth_sub(lws* wsi, session& s, depth_subscription& d);
  void close_sub(lws* wsi, subscription& sub);
  void close_depth_sub(lws* wsi, depth_subscription& d);

  // -- control messages from the client (sim_server_control.cpp) --------------

  int receive(lws* wsi, const char* in, size_t len);
  int receive_pong(lws* wsi);
  int count_incoming(lws* wsi, session& s);
  int control(lws* wsi, session& s, std::string_view text);
  int subscribe(lws* wsi, session& s, const control_request& request);
  void unsubscribe(lws* wsi, session& s, const control_request& request);
  static std::vector<std::string> subscription_names(const session& s);
  static void answer(lws* wsi, session& s, std::string text);
  bool write_answers(lws* wsi, session& s);
  void drop_subscriptions_due(lws* wsi, session& s);

  // -- fault application (sim_server_faults.cpp) ------------------------------

  void skip_on_reconnect(symbol_market& m);
  void note_fault(const fault_spec& f, const std::vector<std::string>& symbols);
  int reject_with(lws* wsi, const fault_spec& f);
  bool filter_accept(int fd);
  lws* adopt_copy(int fd, int type, const char* protocol,
                  const std::string* readbuf = nullptr);
  int jailed_rx(lws* wsi, const char* in, size_t len);
  static std::optional<std::vector<std::string>>
  upgrade_symbols(const std::string& head);
  static void on_session_timer(lws_sorted_usec_list_t* sul);
  void session_timer_fired(lws* wsi);
  void poll_reset(lws* wsi, session& s);
  int fault_gate(lws* wsi, session& s);
  int send_server_shutdown(lws* wsi, session& s);
  static bool malformed_due(const session& s);
  bool write_truncated(lws* wsi, session& s);
  int close_with(lws* wsi, int code, const std::string& why);

  // -- REST/HTTP (sim_server_http.cpp) ----------------------------------------

  static std::string query_string(lws* wsi);
  const fault_spec* take_rest_fault(const query_args& args);
  int http_request(lws* wsi, const char* in, size_t len);
  int http_writeable(lws* wsi);
};

} // namespace sv
