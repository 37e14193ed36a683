// feed_actor: the Binance-compatible WebSocket mirror's clients and what each one gets.
//
// One state. What each message of feed_if (actors/protocols.hpp) does:
//
//   feed_opened -----------> a client upgraded on /ws[/<stream>...] or
//                             /stream?streams=<stream>/...: over clients_max it is
//                             closed 1008; a stream in its path that streamvisor does
//                             not serve gets {"error":{"code":2,...},"id":null} and a
//                             1008 close; otherwise it is subscribed
//   feed_text -------------> a control message, answered as Binance answers it
//                             (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,
//                             SET_PROPERTY/GET_PROPERTY "combined"); more than
//                             requests_per_s in a second closes 1008 "Too many
//                             requests", as Binance does
//   feed_closed -----------> the client is forgotten; why is counted
//   released_trades -------> each trade's frame is written once (raw, and wrapped
//                             for combined clients) and queued for every subscriber;
//                             with a publisher, each trade is also published
//                             (subject and id: actors/wire/market_subjects.hpp)
//   released_depth --------> likewise; with a publisher, each applied event once
//                             the book's snapshot went out (asked of the book
//                             after its first sync and after each jump in U)
//   released_depth --------> likewise each depth event a book applied, for
//                             <symbol>@depth@100ms and <symbol>@depth
//   symbol_table ----------> the symbols (and books) a SUBSCRIBE may name from now on
//   status_atom -----------> /status's consumers section
//
//   resume_page (an answer) -> a native trades subscription's resume: the trades
//                             released from its from_id on, page by page, then live
//   (metrics_tick_atom, gen) -> each native metrics subscription gets its symbol's
//                             metrics (conflated: at most one per interval); with
//                             a publisher, every symbol's metrics are published
//   (feed_beat_atom, gen) ---> each native client gets a heartbeat with the states
//                             of its symbols' upstream streams
//   supervisor_if ----------> where heartbeats ask for the streams' states
//
// Native clients (/v1/feed, docs/feed.md "Native feed") subscribe by request to
// trades (live, or resumed from an id), book (snapshot, then deltas; a resync or a
// backlog past conflate_bytes sends a fresh snapshot instead of deltas), metrics
// and bars; every subscription numbers its messages 1, 2, 3, ... with no holes.
//
// Streams relayed: <symbol>@aggTrade of every symbol, <symbol>@depth@100ms and
// <symbol>@depth of those with a book (symbol lower case, as Binance writes it).
// The trades' order and exactly-once guarantee comes from the aggregators'
// released_trades (actors/aggregator_actor.hpp), the depth events' from the books'
// released_depth; this actor adds no reordering: one client's frames of one
// stream are queued in release order. docs/feed.md.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/core/bar_builder.hpp"
#include "actors/protocols.hpp"
#include "actors/seams/feed_writer.hpp"
#include "actors/seams/market_publisher.hpp"
#include "actors/wire/native_feed_json.hpp"

namespace sv {

/// What the feed actor serves with.
struct feed_config {
  feed_writer* writer = nullptr; ///< outlives the actor
  /// Where released trades are published too (JetStream); null: nowhere.
  /// Outlives the actor.
  market_publisher* publisher = nullptr;
  std::uint32_t clients_max = 256;             ///< feed_clients_max
  std::uint32_t streams_per_client_max = 1024; ///< as Binance
  std::uint32_t requests_per_s = 5;         ///< incoming messages, as Binance
  std::vector<std::string> symbols;         ///< served at spawn, upper case
  std::vector<std::string> book_symbols;    ///< those with a book at spawn
  std::uint32_t metrics_interval_ms = 1000; ///< feed_metrics_interval_ms
  std::uint32_t heartbeat_ms = 1000;        ///< feed_heartbeat_ms
  /// A native client with more bytes queued gets no book deltas or metrics
  /// until its queue is below half of this; then a fresh snapshot.
  std::size_t conflate_bytes = 2U << 20U;
};

/// One subscription of a native client.
struct native_sub {
  native_channel channel = native_channel::trades;
  std::string symbol;       ///< upper case
  std::size_t interval = 0; ///< bars: index into bar_intervals
  std::uint64_t seq = 0;    ///< of the last message sent: 1, 2, 3, ...
  // trades
  std::uint64_t from_id = 0; ///< ids below it are not sent (a resume's start)
  std::uint64_t last_id = 0; ///< the last trade id sent, 0: none yet
  /// Resume pages are awaited: live trades are left to them (docs/feed.md).
  bool resuming = false;
  native_request request; ///< answered once the first resume page is in
  bool answered = false;  ///< the resume's subscribe was answered
  /// The next page's first id while the resume waits for the client's queue to
  /// drain; 0: not waiting.
  std::uint64_t resume_next = 0;
  // book
  bool book_live = false;      ///< a snapshot went out; deltas follow it
  bool snapshot_asked = false; ///< a snapshot request is in flight
  bool conflated = false;   ///< deltas were left out: the next snapshot says so
  std::uint64_t last_u = 0; ///< `u` the client's book is at
  std::size_t snapshot_bytes = 0; ///< the size of the last snapshot sent
};

/// One connected client.
struct feed_client {
  std::string peer;
  std::string path;
  bool combined = false;            ///< frames wrapped {"stream":..,"data":..}
  std::vector<std::string> streams; ///< subscribed, in subscription order
  std::uint64_t trades_sent = 0;
  std::uint64_t depth_sent = 0;
  std::uint64_t requests = 0;
  std::int64_t window_start_ns = 0; ///< start of the current 1 s request window
  std::uint32_t window_requests = 0; ///< requests in it
  bool closing = false; ///< closed by this actor; its feed_closed is counted
  bool native = false;  ///< a /v1/feed client
  std::map<std::uint64_t, native_sub> subs; ///< native: by subscription number
  std::uint64_t next_sub = 1;
  std::uint64_t conflated = 0; ///< book deltas runs and metrics left out
};

/// A symbol's book as published to the bus (feed_config::publisher): a snapshot
/// after each sync and resync, then every delta the book applies.
struct bus_book {
  bool live = false;        ///< a snapshot went out; deltas follow it
  bool asked = false;       ///< a snapshot request is in flight
  std::uint64_t last_u = 0; ///< `u` of the last message published
};

/// State of the feed actor (plain data; behavior in feed_actor.cpp).
struct feed_state {
  static inline const char* const name = "feed";
  feed_config cfg;
  std::set<std::string> symbols;                ///< served, upper case
  std::set<std::string> book_symbols;           ///< with a book, upper case
  std::map<std::uint64_t, feed_client> clients; ///< by transport id
  /// Subscribers by stream name ("btcusdt@aggTrade", "btcusdt@depth@100ms").
  std::map<std::string, std::set<std::uint64_t>> subscribers;
  feed_status totals; ///< counters; clients filled in on status_atom
  std::map<std::string, aggregator_if> aggregators; ///< from the symbol table
  std::map<std::string, book_if> books;             ///< from the symbol table
  supervisor_if supervisor;                         ///< heartbeats' source
  /// Native subscriptions by symbol, as (client, subscription) pairs.
  std::map<std::string, std::set<std::pair<std::uint64_t, std::uint64_t>>>
    native_subs;
  /// Each symbol's bars, one builder per bar_intervals entry, fed every
  /// released trade from the first on.
  std::map<std::string, std::vector<bar_builder>> bars;
  /// Each symbol's highest trade id released so far: a live subscription starts
  /// after it, so ids skipped from then on show as a gap.
  std::map<std::string, std::uint64_t> last_released;
  std::map<std::string, bus_book> bus_books; ///< with a publisher, by symbol
  bool ticking = false;              ///< the metrics and heartbeat timers run
  std::uint64_t tick_generation = 0; ///< of the running timers (start_ticking)
};

using feed_self = feed_if::stateful_pointer<feed_state>;

/// Spawns with `sys.spawn(feed_actor, cfg)`.
feed_if::behavior_type feed_actor(feed_self self, feed_config cfg);

} // namespace sv
