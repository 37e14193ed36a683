// api_json: the JSON bodies of the HTTP API (pure functions over message snapshots).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/book.hpp"
#include "messages/feed.hpp"
#include "messages/group_symbol_change.hpp"
#include "messages/metrics.hpp"
#include "messages/pool_status.hpp"
#include "messages/publisher_status.hpp"
#include "messages/shard_status.hpp"
#include "messages/status.hpp"
#include "messages/trade.hpp"
#include "messages/transport_counters.hpp"

namespace sv {

/// `{"status":"ok"}`, or `{"status":"degraded","not_streaming":["ETHUSDT@aggTrade",...]}`.
/// Sets `healthy` to whether every child streams (and there is at least one).
std::string health_json(const std::vector<child_status>& children,
                        bool& healthy);

/// `{"uptime_s":..,"children":[{...}, ...],"pool":{...},"transport":{...},
/// "consumers":{...}}` as documented in docs/operations.md; "pool" (and each
/// child's "socket") only when `pool` is not null, "transport" only when
/// `transport` is not null, "consumers" (the feed's clients) only when
/// `consumers` is not null, "nats" (the JetStream publisher) only when `nats`
/// is not null, "shard" (the shard group member) only when `shard` is not null.
std::string status_json(std::int64_t uptime_s,
                        const std::vector<child_status>& children,
                        const transport_counters* transport = nullptr,
                        const pool_status* pool = nullptr,
                        const feed_status* consumers = nullptr,
                        const publisher_status* nats = nullptr,
                        const shard_status* shard = nullptr);

/// `{"symbols":["BTCUSDT", ...]}`.
std::string symbols_json(const std::vector<std::string>& symbols);

/// `{"symbol":..,"trades":[{"id":..,"price":"..","qty":"..","side":"buy","time":T},...]}`.
std::string trades_json(const std::string& symbol,
                        const std::vector<trade>& trades);

/// Totals with exact 8-decimal strings; quote sums and VWAP rounded half-to-even;
/// CVD; and one object per rolling window under "windows" ("1m", "5m", ...).
std::string metrics_json(const metrics_snapshot& x);

/// A book actor's view: state, lastUpdateId, top levels as ["price","qty"] pairs,
/// best bid/ask, spread, mid (rounded half-to-even), spread_bps, the top-N and
/// band imbalances, and the sync counters (docs/operations.md has an example).
std::string book_json(const book_view& x);

/// `{"error":"<error>","detail":"<detail>"}` (detail omitted when empty).
std::string error_json(const std::string& error,
                       const std::string& detail = {});

/// `{"error":"no order book","symbol":..,"book_symbols":[...],"detail":..}`: the
/// symbol streams no depth; book_symbols are those that do.
std::string no_book_json(const std::string& symbol,
                         const std::vector<std::string>& book_symbols);

/// Reads PUT /symbols/{S}'s body: empty (then `streams` stays empty: the
/// defaults), or `{"streams":["aggTrade","depth"]}` with 1..2 distinct names
/// and no other member. False with `error` saying what is wrong otherwise.
bool decode_put_body(std::string_view body, std::vector<stream_kind>& streams,
                     std::string& error);

/// `{"symbol":"BTCUSDT","started":true}` (PUT) or
/// `{"symbol":"BTCUSDT","removed":true,"children":2}` (DELETE).
std::string symbol_changed_json(const std::string& symbol, bool started);
/// The answer to a PUT or DELETE in a shard group:
/// `{"symbol":"XRPUSDT","group":"eu","change":"add","streams":["aggTrade"]}`
/// (streams only with an add), `{"symbol":"XRPUSDT","group":"eu","change":"remove"}`,
/// or `"change":"none"` (with the streams) when the group has it so already.
std::string group_symbol_change_json(const std::string& group,
                                     const group_change_result& result);
std::string symbol_removed_json(const std::string& symbol,
                                std::uint32_t children);

/// `{"error":"unknown symbol","symbol":..,"symbols":[...]}`.
std::string unknown_symbol_json(const std::string& symbol,
                                const std::vector<std::string>& symbols);

} // namespace sv
