// feed: what flows between the aggregators, the feed actor and the feed's transport (data only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/depth.hpp"
#include "messages/trade.hpp"

namespace sv {

/// Trades an aggregator hands the feed: each aggregate id at most once, ascending
/// across every released_trades of the symbol, and none before the gaps below it are
/// filled or given up (docs/feed.md, "Exactly once").
struct released_trades {
  std::string symbol;        ///< upper case
  std::vector<trade> trades; ///< ascending ids; ids in between were skipped
  /// Ids between the previous release and this one's first trade that will never
  /// be released (a gap given up after feed_gap_wait_ms, or an outage's skip).
  std::uint64_t skipped = 0;
  /// Every id up to this one is released or skipped (>= trades.back().agg_id).
  std::uint64_t through_id = 0;
  /// Steady-clock time the transport read the live frames whose arrival released
  /// these trades (the JetStream ack latency's origin); 0 when a backfill or a
  /// timer released them.
  std::int64_t recv_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, released_trades& x) {
  return f(caf::meta::type_name("released_trades"), x.symbol, x.trades,
           x.skipped, x.through_id, x.recv_ns);
}

/// Depth events a book actor applied, in order, for the feed's depth streams:
/// consecutive while the book stays synced; a resync shows as a jump in U, after
/// which the events continue from the resynced book (docs/feed.md).
struct released_depth {
  std::string symbol;                ///< upper case
  std::vector<depth_update> updates; ///< as applied
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, released_depth& x) {
  return f(caf::meta::type_name("released_depth"), x.symbol, x.updates);
}

/// An aggregator's answer to (resume_atom, from_id, limit): the trades its history
/// holds from `from_id` up to what it released to the feed, so a native feed client
/// resumes exactly where it left (ids filled in after the feed passed them are
/// included: the history is more complete than the live release was).
/// Because the aggregator sends its released_trades and this answer to the feed
/// actor in one FIFO, every trade released after `released_id` reaches the feed
/// after this answer (docs/feed.md, "Resume").
struct resume_page {
  std::vector<trade> trades; ///< held ids in [from_id, released_id], ascending
  std::uint64_t released_id = 0; ///< the last id released to the feed so far
  std::uint64_t oldest_id = 0;   ///< the first id the history holds, 0: none
  bool more = false; ///< cut at `limit`: ask again after trades.back()
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resume_page& x) {
  return f(caf::meta::type_name("resume_page"), x.trades, x.released_id,
           x.oldest_id, x.more);
}

/// The transport accepted a feed client's WebSocket upgrade.
struct feed_opened {
  std::uint64_t client = 0; ///< the transport's id for it, never reused
  std::string path;         ///< "/ws/btcusdt@aggTrade", "/stream", ...
  std::string query;        ///< "streams=btcusdt@aggTrade/ethusdt@aggTrade"
  std::string peer;         ///< the client's address, for logs and /status
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_opened& x) {
  return f(caf::meta::type_name("feed_opened"), x.client, x.path, x.query,
           x.peer);
}

/// A text message from a feed client (a control request, or anything else).
struct feed_text {
  std::uint64_t client = 0;
  std::string text;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_text& x) {
  return f(caf::meta::type_name("feed_text"), x.client, x.text);
}

/// A feed client is gone. `code` says why: the close code the transport sent (1008
/// for a slow consumer, which `reason` explains) or received (1000, 1001), 1006
/// when the connection just dropped (a missed pong, a reset).
struct feed_closed {
  std::uint64_t client = 0;
  std::uint16_t code = 1006;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_closed& x) {
  return f(caf::meta::type_name("feed_closed"), x.client, x.code, x.reason);
}

/// One connected feed client, as /status's `consumers` section shows it.
struct feed_client_status {
  std::uint64_t client = 0;
  std::string peer;
  std::string path;
  std::vector<std::string> streams; ///< subscribed stream names
  std::uint64_t trades_sent = 0;    ///< aggTrade frames handed to the transport
  std::uint64_t depth_sent = 0;     ///< depthUpdate frames handed to it
  std::uint64_t requests = 0;       ///< control messages received
  /// Native feed: book delta runs and metrics updates left out for a backlog
  /// (each run replaced by a snapshot).
  std::uint64_t conflated = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_client_status& x) {
  return f(caf::meta::type_name("feed_client_status"), x.client, x.peer, x.path,
           x.streams, x.trades_sent, x.depth_sent, x.requests, x.conflated);
}

/// The feed actor's answer to status_atom.
struct feed_status {
  std::vector<feed_client_status> clients; ///< connected now, by id
  std::uint64_t opened = 0;                ///< clients accepted since start
  std::uint64_t refused = 0;         ///< over feed_clients_max: closed at once
  std::uint64_t closed_slow = 0;     ///< closed 1008 as slow consumers
  std::uint64_t closed_requests = 0; ///< closed 1008 for too many requests
  std::uint64_t closed_other = 0;    ///< every other close
  std::uint64_t trades_released = 0; ///< trades the aggregators released
  std::uint64_t trades_sent = 0;     ///< aggTrade frames to all clients
  std::uint64_t depth_sent = 0;      ///< depthUpdate frames to all clients
  std::uint64_t skipped_trades = 0;  ///< ids released past (gaps given up)
  std::uint64_t conflated = 0;       ///< see feed_client_status, all clients
  std::uint64_t resumes = 0;         ///< native trade subscriptions resumed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_status& x) {
  return f(caf::meta::type_name("feed_status"), x.clients, x.opened, x.refused,
           x.closed_slow, x.closed_requests, x.closed_other, x.trades_released,
           x.trades_sent, x.depth_sent, x.skipped_trades, x.conflated,
           x.resumes);
}

} // namespace sv
