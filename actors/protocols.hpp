// protocols: every actor's typed interface and every sink interface, in one place.
//
// Actor headers include this file instead of each other: an actor that sends to
// another needs only the receiver's protocol (or the narrower sink it may use), never
// its state or configuration. Each full protocol lists what the actor reacts to; the
// sinks (`*_sink_if`, `*_source_if`, `*_requester_if`) are the subsets a peer may send,
// so the compiler checks that, for example, a connection actor can only hand an
// aggregator a trade_batch. The message types live in messages/; what each actor does
// with them is drawn in its own header and in docs/architecture.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/backfill.hpp"
#include "messages/backfill_status.hpp"
#include "messages/book.hpp"
#include "messages/depth.hpp"
#include "messages/feed.hpp"
#include "messages/http.hpp"
#include "messages/metrics.hpp"
#include "messages/pool_events.hpp"
#include "messages/pool_status.hpp"
#include "messages/rest.hpp"
#include "messages/status.hpp"
#include "messages/supervisor_metrics.hpp"
#include "messages/symbol_plan.hpp"
#include "messages/trade.hpp"
#include "messages/trade_query.hpp"
#include "messages/ws_events.hpp"

namespace sv {

// --- sinks: what a peer may send ----------------------------------------------------

/// What a connection actor may send an aggregator.
using trade_sink_if = caf::typed_actor<caf::reacts_to<trade_batch>>;

/// What a connection actor on a depth stream may send a book actor.
using depth_sink_if = caf::typed_actor<caf::reacts_to<depth_batch>>;

/// Where a connection actor reports its transitions (the supervisor).
using child_report_sink_if = caf::typed_actor<caf::reacts_to<child_report>>;

/// Where an aggregator asks for its gaps to be filled (the backfill actor).
using backfill_sink_if = caf::typed_actor<caf::reacts_to<backfill_request>>;

/// Where a book actor asks for snapshots (the backfill actor).
using snapshot_source_if
  = caf::typed_actor<caf::reacts_to<depth_snapshot_request>>;

/// Who asks for a backfill and gets the answers (an aggregator).
using backfill_requester_if = caf::typed_actor<caf::reacts_to<backfill_batch>,
                                               caf::reacts_to<backfill_failed>>;

/// Who asks for a depth snapshot and gets the answer (a book actor).
using snapshot_requester_if
  = caf::typed_actor<caf::reacts_to<depth_snapshot>,
                     caf::reacts_to<depth_snapshot_failed>>;

/// Where an aggregator releases its trades, in id order, for the feed's clients
/// (the feed actor).
using trade_release_sink_if = caf::typed_actor<caf::reacts_to<released_trades>>;

/// Where a book actor releases the depth events it applied (the feed actor).
using depth_release_sink_if = caf::typed_actor<caf::reacts_to<released_depth>>;

/// Where a symbol's decoded events go: trades to its aggregator, depth events to
/// its book actor (null when the symbol has no depth stream).
struct stream_sinks {
  trade_sink_if trades; ///< the symbol's aggregator
  depth_sink_if depth;  ///< the symbol's book actor, or null
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_sinks& x) {
  return f(caf::meta::type_name("stream_sinks"), x.trades, x.depth);
}

// --- full protocols -------------------------------------------------------------------

/// A connection actor's protocol (actors/connection_actor.hpp).
using connection_if
  = caf::typed_actor<caf::reacts_to<ws_opened>, caf::reacts_to<ws_frames>,
                     caf::reacts_to<ws_closed>, caf::reacts_to<stop_atom>,
                     caf::reacts_to<silence_check_atom>,
                     caf::reacts_to<rotate_atom, std::uint32_t>,
                     caf::reacts_to<rotate_deadline_atom, std::uint32_t>,
                     caf::replies_to<status_atom>::with<connection_status>>;

/// An aggregator's protocol (actors/aggregator_actor.hpp draws what each message does).
using aggregator_if = caf::typed_actor<
  caf::reacts_to<trade_batch>, caf::reacts_to<backfill_batch>,
  caf::reacts_to<backfill_failed>, caf::reacts_to<gap_wait_atom, std::uint64_t>,
  caf::replies_to<trades_atom, std::uint32_t>::with<std::vector<trade>>,
  caf::replies_to<agg_trades_atom, trade_query>::with<trade_rows>,
  caf::replies_to<resume_atom, std::uint64_t, std::uint32_t>::with<resume_page>,
  caf::replies_to<metrics_atom>::with<metrics_snapshot>,
  caf::replies_to<large_trades_atom, std::uint32_t>::with<std::vector<trade>>,
  caf::replies_to<latency_atom>::with<latency_snapshot>>;

/// A book actor's protocol (actors/book_actor.hpp).
using book_if = caf::typed_actor<
  caf::reacts_to<depth_batch>, caf::reacts_to<depth_snapshot>,
  caf::reacts_to<depth_snapshot_failed>,
  caf::reacts_to<snapshot_retry_atom, std::uint64_t>,
  caf::replies_to<book_atom, std::uint32_t>::with<book_view>>;

/// The backfill actor's protocol (actors/backfill_actor.hpp).
using backfill_if = caf::typed_actor<
  caf::reacts_to<backfill_request>, caf::reacts_to<depth_snapshot_request>,
  caf::reacts_to<rest_response>, caf::reacts_to<backfill_wake_atom>,
  caf::reacts_to<backfill_deadline_atom, std::uint64_t>,
  caf::replies_to<status_atom>::with<backfill_status>>;

/// The socket pool's protocol (actors/socket_pool_actor.hpp): streams' opens and
/// closes from pooled_ws_client, its sockets' events from the transport, /status.
using socket_pool_if
  = caf::typed_actor<caf::reacts_to<pool_open>, caf::reacts_to<pool_close>,
                     caf::reacts_to<ws_opened>, caf::reacts_to<ws_frames>,
                     caf::reacts_to<ws_closed>, caf::reacts_to<pool_tick_atom>,
                     caf::reacts_to<rotate_atom, std::uint64_t>,
                     caf::replies_to<status_atom>::with<pool_status>>;

/// The supervisor's protocol (actors/supervisor_actor.hpp).
using supervisor_if = caf::typed_actor<
  caf::reacts_to<child_report>,
  caf::replies_to<start_atom, std::string, stream_kind>::with<bool>,
  caf::replies_to<start_atom, std::string, stream_kind,
                  stream_sinks>::with<bool>,
  caf::replies_to<remove_atom, std::string>::with<std::uint32_t>,
  caf::reacts_to<remove_deadline_atom, std::string>,
  caf::reacts_to<reload_atom, std::uint32_t,
                 std::map<std::string, std::uint32_t>>,
  caf::replies_to<status_atom>::with<std::vector<child_status>>,
  caf::replies_to<metrics_atom>::with<supervisor_metrics>,
  caf::reacts_to<connect_deadline_atom, std::string, std::uint64_t>,
  caf::reacts_to<restart_atom, std::string, std::uint64_t>,
  caf::reacts_to<budget_tick_atom>, caf::reacts_to<stop_atom>,
  caf::reacts_to<shutdown_deadline_atom>>;

/// The symbols streamvisor serves and each one's actors, as the registry
/// publishes them to the api actor after every change.
struct symbol_table {
  std::vector<std::string> symbols; ///< upper case: the configured ones in
    ///< config order, then runtime ones as added
  std::map<std::string, aggregator_if> aggregators; ///< by symbol
  std::map<std::string, book_if>
    books; ///< by symbol, those with a depth stream
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, symbol_table& x) {
  return f(caf::meta::type_name("symbol_table"), x.symbols, x.aggregators,
           x.books);
}

/// Whoever follows the registry's symbol table: the api actor, the systemd
/// watchdog.
using table_listener_if = caf::typed_actor<caf::reacts_to<symbol_table>>;

/// The feed actor's protocol (actors/feed_actor.hpp): the Binance-compatible
/// WebSocket mirror's clients, from the transport, and the trades they get.
using feed_if
  = caf::typed_actor<caf::reacts_to<released_trades>,
                     caf::reacts_to<released_depth>,
                     caf::reacts_to<feed_opened>, caf::reacts_to<feed_text>,
                     caf::reacts_to<feed_closed>, caf::reacts_to<symbol_table>,
                     caf::reacts_to<supervisor_if>,
                     caf::reacts_to<metrics_tick_atom, std::uint64_t>,
                     caf::reacts_to<feed_beat_atom, std::uint64_t>,
                     caf::replies_to<status_atom>::with<feed_status>>;

/// The api actor's protocol (actors/api_actor.hpp).
using api_if = caf::typed_actor<caf::reacts_to<http_request>,
                                caf::reacts_to<symbol_table>>;

/// The registry's protocol (actors/registry_actor.hpp): runtime symbol control.
using registry_if = caf::typed_actor<
  caf::replies_to<put_atom, std::string, std::vector<stream_kind>>::with<bool>,
  caf::replies_to<put_atom, std::string, std::vector<stream_kind>,
                  std::uint64_t>::with<bool>,
  caf::replies_to<remove_atom, std::string>::with<std::uint32_t>,
  caf::reacts_to<listen_atom, table_listener_if>,
  caf::replies_to<reload_atom, symbol_plan>::with<plan_applied>>;

} // namespace sv
