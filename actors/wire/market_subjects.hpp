// market_subjects: the bus subjects and message ids streamvisor publishes market data under.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/core/bar_builder.hpp"
#include "actors/seams/market_publisher.hpp"
#include "messages/book.hpp"
#include "messages/depth.hpp"
#include "messages/metrics.hpp"
#include "messages/trade.hpp"

namespace sv {

/// Every subject starts with this; a stream takes them all with "md.>".
constexpr std::string_view market_subject_root = "md.binance.spot.";

/// md.binance.spot.<SYMBOL>.trade (`symbol` upper case).
std::string trade_subject(std::string_view symbol);

/// binance.spot.<SYMBOL>.trade.<agg_id>: the same on every instance that
/// publishes this trade, so the stream stores it once (docs/scale-out.md).
std::string trade_msg_id(std::string_view symbol, std::uint64_t agg_id);

/// md.binance.spot.<SYMBOL>.book.
std::string book_subject(std::string_view symbol);

/// A depth event a book applied, as published: id binance.spot.<SYMBOL>.book.<u>
/// (the same on every instance), payload Binance's depthUpdate event, ordinal u.
market_message book_delta_message(const depth_update& x);

/// A synced book as published after each sync and resync: id
/// binance.spot.<SYMBOL>.book.snap.<lastUpdateId>, payload Binance's REST depth
/// body {"lastUpdateId":L,"bids":[["p","q"],...],"asks":[...]} of every level
/// in `book`, ordinal L. The deltas after it start at U = L + 1.
market_message book_snapshot_message(const book_view& book);

/// md.binance.spot.<SYMBOL>.bar.<interval> ("1s", "1m", "5m", "1h").
std::string bar_subject(std::string_view symbol, std::string_view interval);

/// A complete bar as published: id binance.spot.<SYMBOL>.bar.<interval>.<t>
/// (t its open time: the same on every instance that saw the same trades, so a
/// redundant copy is stored once), payload the native feed's bar object, ordinal
/// t, time its close time T.
market_message bar_message(std::string_view symbol, std::string_view interval,
                           const bar& x);

/// md.binance.spot.<SYMBOL>.metrics.
std::string metrics_subject(std::string_view symbol);

/// A symbol's order-flow metrics as published once per feed_metrics_interval_ms:
/// the body of GET /symbols/{S}/metrics, no id (a newer one supersedes it, and
/// two instances' figures of one moment differ), no ordinal.
market_message metrics_message(const metrics_snapshot& m);

/// The number after the last '.' of a message id (a trade's aggregate id); 0 if
/// the id does not end in one.
std::uint64_t ordinal_of_msg_id(std::string_view msg_id);

/// A trade as published: its subject and id, and the payload the compatible
/// feed sends for it (Binance's aggTrade event, exact decimals).
market_message trade_message(const trade& x, std::int64_t recv_ns);

} // namespace sv
