// api_json: the JSON bodies of the HTTP API, written with RapidJSON's Writer (no DOM).
#include "actors/wire/api_json.hpp"

#include <algorithm>
#include <array>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/core/decimal.hpp"
#include "actors/core/order_flow.hpp"
#include "actors/core/rolling_windows.hpp"

namespace sv {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(json_writer& w, const std::string& x) {
  w.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
}

void write_decimal(json_writer& w, int128 e8) {
  write_string(w, format_e8(e8));
}

void write_quote(json_writer& w, int128 e16) {
  write_string(w, format_e16_as_e8(e16));
}

void write_window(json_writer& w, const window_snapshot& x) {
  w.StartObject();
  w.Key("start");
  w.Int64(x.window_start_ms);
  w.Key("end");
  w.Int64(x.window_end_ms);
  w.Key("complete");
  w.Bool(x.complete);
  w.Key("trades");
  w.Uint64(x.trades);
  w.Key("buy_volume");
  write_decimal(w, from_wide(x.buy_volume_e8));
  w.Key("sell_volume");
  write_decimal(w, from_wide(x.sell_volume_e8));
  w.Key("delta");
  write_decimal(w, delta_e8(x));
  w.Key("buy_quote");
  write_quote(w, from_wide(x.buy_quote_e16));
  w.Key("sell_quote");
  write_quote(w, from_wide(x.sell_quote_e16));
  w.Key("delta_quote");
  write_quote(w, delta_quote_e16(x));
  w.Key("vwap");
  write_decimal(w, vwap_e8(x));
  w.Key("open");
  write_decimal(w, x.open_e8);
  w.Key("high");
  write_decimal(w, x.high_e8);
  w.Key("low");
  write_decimal(w, x.low_e8);
  w.Key("close");
  write_decimal(w, x.close_e8);
  w.Key("largest_trade");
  if (x.trades == 0) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("id");
    w.Uint64(x.largest_id);
    w.Key("price");
    write_decimal(w, x.largest_price_e8);
    w.Key("qty");
    write_decimal(w, x.largest_qty_e8);
    w.Key("side");
    w.String(x.largest_side == side::buy ? "buy" : "sell");
    w.EndObject();
  }
  w.Key("large_trades");
  w.Uint64(x.large_trades);
  w.Key("large_volume");
  write_decimal(w, from_wide(x.large_volume_e8));
  w.Key("large_quote");
  write_quote(w, from_wide(x.large_quote_e16));
  w.Key("trades_per_second");
  write_decimal(w, trades_per_second_e8(x));
  w.Key("avg_trade_size");
  write_decimal(w, average_trade_size_e8(x));
  w.Key("buy_ratio");
  write_decimal(w, buy_ratio_e8(x));
  w.EndObject();
}

std::string finish(const rapidjson::StringBuffer& sb) {
  return std::string{sb.GetString(), sb.GetSize()};
}

/// `"pool":{counters..,"sockets":[{...},...]}`.
void write_pool(json_writer& w, const pool_status& pool) {
  w.Key("pool");
  w.StartObject();
  w.Key("sockets_opened");
  w.Uint64(pool.sockets_opened);
  w.Key("sockets_drained");
  w.Uint64(pool.sockets_drained);
  w.Key("frames_routed");
  w.Uint64(pool.frames_routed);
  w.Key("frames_unrouted");
  w.Uint64(pool.frames_unrouted);
  w.Key("sockets");
  w.StartArray();
  for (const auto& x : pool.sockets) {
    w.StartObject();
    w.Key("socket");
    w.Uint64(x.number);
    w.Key("state");
    w.String(to_string(x.phase));
    w.Key("streams");
    w.Uint(x.streams);
    w.Key("live");
    w.Uint(x.live);
    w.Key("requests_in_flight");
    w.Uint(x.requests_in_flight);
    w.Key("age_s");
    w.Int64(x.age_ms < 0 ? -1 : x.age_ms / 1000);
    w.Key("last_frame_age_ms");
    w.Int64(x.last_frame_age_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

/// One unsigned field of a /status object, by key.
using uint_field = std::pair<const char*, std::uint64_t>;

/// Writes each of `fields` as `"key":value` into the open object.
template <std::size_t N>
void write_uint_fields(json_writer& w,
                       const std::array<uint_field, N>& fields) {
  for (const auto& [key, value] : fields) {
    w.Key(key);
    w.Uint64(value);
  }
}

void write_shard(json_writer& w, const shard_status& s) {
  w.Key("shard");
  w.StartObject();
  w.Key("group");
  write_string(w, s.group);
  w.Key("instance");
  write_string(w, s.instance);
  w.Key("connected");
  w.Bool(s.connected);
  const std::array<uint_field, 14> fields{{
    {"lease_s", s.lease_s},
    {"replicas", s.replicas},
    {"members", s.members},
    {"quota", s.quota},
    {"symbols", s.symbols},
    {"unheld", s.unheld},
    {"rounds", s.rounds},
    {"round_ms", s.round_ms},
    {"taken", s.taken},
    {"released", s.released},
    {"lost", s.lost},
    {"handovers", s.handovers},
    {"changes_pending", s.changes_pending},
    {"changes_written", s.changes_written},
  }};
  write_uint_fields(w, fields);
  for (const auto& [key, symbols] :
       {std::pair{"held", &s.held}, std::pair{"added", &s.added},
        std::pair{"removed", &s.removed}}) {
    w.Key(key);
    w.StartArray();
    for (const auto& symbol : *symbols)
      write_string(w, symbol);
    w.EndArray();
  }
  w.Key("last_error");
  write_string(w, s.last_error);
  w.EndObject();
}

void write_nats(json_writer& w, const publisher_status& n) {
  w.Key("nats");
  w.StartObject();
  w.Key("url");
  write_string(w, n.url);
  w.Key("stream");
  write_string(w, n.stream);
  w.Key("connected");
  w.Bool(n.connected);
  w.Key("stream_ready");
  w.Bool(n.stream_ready);
  const std::array<uint_field, 13> fields{{
    {"queued", n.queued},
    {"in_flight", n.in_flight},
    {"buffer_max", n.buffer_max},
    {"published", n.published},
    {"acked", n.acked},
    {"duplicates", n.duplicates},
    {"republished", n.republished},
    {"ack_errors", n.ack_errors},
    {"dropped", n.dropped},
    {"expired", n.expired},
    {"disconnects", n.disconnects},
    {"reconnects", n.reconnects},
    {"ack_latency_samples", n.ack_latency.samples},
  }};
  write_uint_fields(w, fields);
  w.Key("ack_latency_us");
  w.StartObject();
  w.Key("p50");
  w.Int64(n.ack_latency.p50_us);
  w.Key("p99");
  w.Int64(n.ack_latency.p99_us);
  w.Key("max");
  w.Int64(n.ack_latency.max_us);
  w.EndObject();
  w.Key("last_error");
  write_string(w, n.last_error);
  w.EndObject();
}

void write_consumers(json_writer& w, const feed_status& f) {
  w.Key("consumers");
  w.StartObject();
  const std::array<uint_field, 12> fields{{
    {"clients", f.clients.size()},
    {"opened", f.opened},
    {"refused", f.refused},
    {"closed_slow", f.closed_slow},
    {"closed_requests", f.closed_requests},
    {"closed_other", f.closed_other},
    {"trades_released", f.trades_released},
    {"trades_sent", f.trades_sent},
    {"depth_sent", f.depth_sent},
    {"skipped_trades", f.skipped_trades},
    {"conflated", f.conflated},
    {"resumes", f.resumes},
  }};
  write_uint_fields(w, fields);
  w.Key("connected");
  w.StartArray();
  for (const auto& c : f.clients) {
    w.StartObject();
    w.Key("client");
    w.Uint64(c.client);
    w.Key("peer");
    write_string(w, c.peer);
    w.Key("path");
    write_string(w, c.path);
    w.Key("streams");
    w.StartArray();
    for (const auto& s : c.streams)
      write_string(w, s);
    w.EndArray();
    w.Key("trades_sent");
    w.Uint64(c.trades_sent);
    w.Key("depth_sent");
    w.Uint64(c.depth_sent);
    w.Key("requests");
    w.Uint64(c.requests);
    w.Key("conflated");
    w.Uint64(c.conflated);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

} // namespace

std::string health_json(const std::vector<child_status>& children,
                        bool& healthy) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  std::vector<std::string> lagging;
  for (auto& x : children)
    if (x.state != child_state::streaming)
      lagging.push_back(child_key(x.symbol, x.stream));
  healthy = lagging.empty() && !children.empty();
  w.StartObject();
  w.Key("status");
  w.String(healthy ? "ok" : "degraded");
  if (!healthy) {
    w.Key("not_streaming");
    w.StartArray();
    for (auto& key : lagging)
      write_string(w, key);
    w.EndArray();
  }
  w.EndObject();
  return finish(sb);
}

std::string
status_json(std::int64_t uptime_s, const std::vector<child_status>& children,
            const transport_counters* transport, const pool_status* pool,
            const feed_status* consumers, const publisher_status* nats,
            const shard_status* shard) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("uptime_s");
  w.Int64(uptime_s);
  w.Key("children");
  w.StartArray();
  for (auto& x : children) {
    w.StartObject();
    w.Key("symbol");
    write_string(w, x.symbol);
    w.Key("stream");
    w.String(to_string(x.stream));
    w.Key("state");
    w.String(to_string(x.state));
    w.Key("connect_attempts");
    w.Uint64(x.connect_attempts);
    w.Key("restarts");
    w.Uint64(x.restarts);
    w.Key("last_error");
    write_string(w, x.last_error);
    w.Key("connect_latency_ms");
    w.Int64(x.connect_latency_ms);
    w.Key("last_message_age_ms");
    w.Int64(x.last_message_age_ms);
    w.Key("frames");
    w.Uint64(x.frames);
    auto depth = x.stream == stream_kind::depth;
    w.Key(depth ? "events" : "trades");
    w.Uint64(x.trades);
    w.Key("decode_errors");
    w.Uint64(x.decode_errors);
    if (pool != nullptr) {
      w.Key("socket");
      if (x.socket == 0)
        w.Null();
      else
        w.Uint64(x.socket);
    }
    if (depth) {
      w.Key("book");
      w.String(x.book_known ? to_string(x.book_state) : "unknown");
      w.Key("syncs");
      w.Uint64(x.book_syncs);
      w.Key("resyncs");
      w.Uint64(x.book_resyncs);
      w.Key("lastUpdateId");
      w.Uint64(x.book_last_update_id);
    } else {
      w.Key("gaps_detected");
      w.Uint64(x.gaps_detected);
      w.Key("gaps_filled");
      w.Uint64(x.gaps_filled);
      w.Key("gaps_open");
      w.Uint64(x.gaps_open);
    }
    w.EndObject();
  }
  w.EndArray();
  if (pool != nullptr)
    write_pool(w, *pool);
  if (transport != nullptr) {
    const auto& t = *transport;
    const std::array<uint_field, 8> fields{{
      {"binary_frames", t.binary_frames},
      {"oversize_messages", t.oversize_messages},
      {"invalid_utf8_messages", t.invalid_utf8_messages},
      {"oversize_rest_bodies", t.oversize_rest_bodies},
      {"api_clients", t.api_clients},
      {"api_refused", t.api_refused},
      {"api_header_timeouts", t.api_header_timeouts},
      {"api_accept_failures", t.api_accept_failures},
    }};
    w.Key("transport");
    w.StartObject();
    write_uint_fields(w, fields);
    w.EndObject();
  }
  if (consumers != nullptr)
    write_consumers(w, *consumers);
  if (nats != nullptr)
    write_nats(w, *nats);
  if (shard != nullptr)
    write_shard(w, *shard);
  w.EndObject();
  return finish(sb);
}

std::string symbols_json(const std::vector<std::string>& symbols) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("symbols");
  w.StartArray();
  for (auto& x : symbols)
    write_string(w, x);
  w.EndArray();
  w.EndObject();
  return finish(sb);
}

std::string trades_json(const std::string& symbol,
                        const std::vector<trade>& trades) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("symbol");
  write_string(w, symbol);
  w.Key("trades");
  w.StartArray();
  for (auto& x : trades) {
    w.StartObject();
    w.Key("id");
    w.Uint64(x.agg_id);
    w.Key("price");
    write_decimal(w, x.price_e8);
    w.Key("qty");
    write_decimal(w, x.qty_e8);
    w.Key("side");
    w.String(aggressor(x) == side::buy ? "buy" : "sell");
    w.Key("time");
    w.Int64(x.trade_time_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return finish(sb);
}

std::string metrics_json(const metrics_snapshot& x) {
  auto buy = from_wide(x.buy_volume_e8);
  auto sell = from_wide(x.sell_volume_e8);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("symbol");
  write_string(w, x.symbol);
  w.Key("trades");
  w.Uint64(x.trades);
  w.Key("duplicates");
  w.Uint64(x.duplicates);
  w.Key("first_trade_id");
  w.Uint64(x.first_trade_id);
  w.Key("last_trade_id");
  w.Uint64(x.last_trade_id);
  w.Key("last_price");
  write_decimal(w, x.last_price_e8);
  w.Key("last_trade_time");
  w.Int64(x.last_trade_time_ms);
  w.Key("buy_volume");
  write_decimal(w, buy);
  w.Key("sell_volume");
  write_decimal(w, sell);
  w.Key("delta");
  write_decimal(w, buy - sell);
  w.Key("buy_quote");
  write_string(w, format_e16_as_e8(from_wide(x.buy_quote_e16)));
  w.Key("sell_quote");
  write_string(w, format_e16_as_e8(from_wide(x.sell_quote_e16)));
  w.Key("vwap");
  write_decimal(w, vwap_e8(x));
  w.Key("cvd");
  write_decimal(w, from_wide(x.cvd_e8));
  w.Key("gaps_detected");
  w.Uint64(x.gaps_detected);
  w.Key("gaps_filled");
  w.Uint64(x.gaps_filled);
  w.Key("gaps_open");
  w.Uint64(x.gaps_open);
  w.Key("backfilled");
  w.Uint64(x.backfilled);
  w.Key("warmup");
  write_string(w, to_string(x.warmup));
  w.Key("long_outages");
  w.Uint64(x.long_outages);
  w.Key("skipped_trades");
  w.Uint64(x.skipped_trades);
  w.Key("open_gaps");
  w.StartArray();
  for (std::size_t i = 0; i + 2 < x.open_gaps.size(); i += 3) {
    w.StartObject();
    w.Key("from");
    w.Uint64(x.open_gaps[i]);
    w.Key("to");
    w.Uint64(x.open_gaps[i + 1]);
    w.Key("state");
    w.String(x.open_gaps[i + 2] != 0 ? "unfilled" : "filling");
    w.EndObject();
  }
  w.EndArray();
  w.Key("windows");
  w.StartObject();
  for (auto& win : x.windows) {
    auto name = window_name(win.length_ms / 1000);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    write_window(w, win);
  }
  w.EndObject();
  w.EndObject();
  return finish(sb);
}

bool decode_put_body(std::string_view body, std::vector<stream_kind>& streams,
                     std::string& error) {
  streams.clear();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return true;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    error
      = R"(the body is not a JSON object; expected {"streams":["aggTrade","depth"]})";
    return false;
  }
  for (auto& member : doc.GetObject()) {
    std::string_view name{member.name.GetString(),
                          member.name.GetStringLength()};
    if (name != "streams") {
      error = "unknown member '" + std::string{name}
              + "'; only streams is taken";
      return false;
    }
    if (!member.value.IsArray() || member.value.Empty()) {
      error = R"(streams must be a non-empty array of "aggTrade" and "depth")";
      return false;
    }
    for (auto& item : member.value.GetArray()) {
      auto kind = item.IsString() ? parse_stream_kind(
                    {item.GetString(), item.GetStringLength()})
                                  : std::nullopt;
      if (!kind) {
        error = R"(streams holds something other than "aggTrade" or "depth")";
        return false;
      }
      if (std::find(streams.begin(), streams.end(), *kind) != streams.end()) {
        error = std::string{"streams names "} + to_string(*kind) + " twice";
        return false;
      }
      streams.push_back(*kind);
    }
  }
  if (streams.empty()) {
    error = "the object has no streams member";
    return false;
  }
  return true;
}

std::string symbol_changed_json(const std::string& symbol, bool started) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("symbol");
  write_string(w, symbol);
  w.Key("started");
  w.Bool(started);
  w.EndObject();
  return finish(sb);
}

std::string symbol_removed_json(const std::string& symbol,
                                std::uint32_t children) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("symbol");
  write_string(w, symbol);
  w.Key("removed");
  w.Bool(true);
  w.Key("children");
  w.Uint(children);
  w.EndObject();
  return finish(sb);
}

std::string group_symbol_change_json(const std::string& group,
                                     const group_change_result& result) {
  const auto& change = result.change;
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("symbol");
  write_string(w, change.symbol);
  w.Key("group");
  write_string(w, group);
  w.Key("change");
  if (result.outcome == group_change_outcome::unchanged)
    w.String("none");
  else
    w.String(change.add ? "add" : "remove");
  if (change.add) {
    w.Key("streams");
    w.StartArray();
    for (auto stream : change.streams)
      w.String(to_string(stream));
    w.EndArray();
  }
  w.EndObject();
  return finish(sb);
}

std::string error_json(const std::string& error, const std::string& detail) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("error");
  write_string(w, error);
  if (!detail.empty()) {
    w.Key("detail");
    write_string(w, detail);
  }
  w.EndObject();
  return finish(sb);
}

std::string unknown_symbol_json(const std::string& symbol,
                                const std::vector<std::string>& symbols) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("error");
  w.String("unknown symbol");
  w.Key("symbol");
  write_string(w, symbol);
  w.Key("symbols");
  w.StartArray();
  for (auto& x : symbols)
    write_string(w, x);
  w.EndArray();
  w.EndObject();
  return finish(sb);
}

std::string no_book_json(const std::string& symbol,
                         const std::vector<std::string>& book_symbols) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("error");
  w.String("no order book");
  w.Key("symbol");
  write_string(w, symbol);
  w.Key("book_symbols");
  w.StartArray();
  for (auto& x : book_symbols)
    write_string(w, x);
  w.EndArray();
  w.Key("detail");
  w.String(
    R"(this symbol has no depth stream: add "depth" to streams (and the symbol to book_symbols if that is set))");
  w.EndObject();
  return finish(sb);
}

namespace {

void write_levels(json_writer& w, const std::vector<price_level>& levels) {
  w.StartArray();
  for (auto& x : levels) {
    w.StartArray();
    write_decimal(w, x.price_e8);
    write_decimal(w, x.qty_e8);
    w.EndArray();
  }
  w.EndArray();
}

/// (bid - ask) / (bid + ask) in -1..1; 0 when both are 0. A derived figure for
/// display, so a double is fine here (nothing stores it).
double imbalance_ratio(int128 bid, int128 ask) {
  auto sum = bid + ask;
  return sum == 0 ? 0.0
                  : static_cast<double>(bid - ask) / static_cast<double>(sum);
}

void write_side_sums(json_writer& w, int128 bid, int128 ask) {
  w.Key("bid_qty");
  write_decimal(w, bid);
  w.Key("ask_qty");
  write_decimal(w, ask);
  w.Key("ratio");
  w.Double(imbalance_ratio(bid, ask));
}

} // namespace

std::string book_json(const book_view& x) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.SetMaxDecimalPlaces(6);
  auto synced = x.state == book_phase::synced;
  w.StartObject();
  w.Key("symbol");
  write_string(w, x.symbol);
  w.Key("state");
  w.String(to_string(x.state));
  w.Key("synced");
  w.Bool(synced);
  w.Key("lastUpdateId");
  w.Uint64(x.last_update_id);
  w.Key("last_event_time");
  w.Int64(x.last_event_time_ms);
  w.Key("bid_levels");
  w.Uint(x.bid_levels);
  w.Key("ask_levels");
  w.Uint(x.ask_levels);
  w.Key("bids");
  write_levels(w, x.bids);
  w.Key("asks");
  write_levels(w, x.asks);
  auto& m = x.metrics;
  if (synced && m.best_bid_e8 > 0 && m.best_ask_e8 > 0) {
    w.Key("best_bid");
    write_decimal(w, m.best_bid_e8);
    w.Key("best_ask");
    write_decimal(w, m.best_ask_e8);
    w.Key("spread");
    write_decimal(w, m.spread_e8);
    w.Key("mid");
    write_decimal(w, div_round_half_even(m.mid_x2_e8, 2));
    w.Key("spread_bps");
    // spread / mid * 10^4 = 2 * spread * 10^4 / mid_x2.
    w.Double(20000.0 * static_cast<double>(m.spread_e8)
             / static_cast<double>(m.mid_x2_e8));
    w.Key("imbalance");
    w.StartObject();
    w.Key("top_levels");
    w.Uint(m.top_levels);
    write_side_sums(w, from_wide(m.bid_qty_top_e8),
                    from_wide(m.ask_qty_top_e8));
    w.EndObject();
    w.Key("band");
    w.StartObject();
    w.Key("bps");
    w.Uint(m.band_bps);
    write_side_sums(w, from_wide(m.bid_qty_band_e8),
                    from_wide(m.ask_qty_band_e8));
    w.EndObject();
  }
  auto& c = x.counters;
  w.Key("counters");
  w.StartObject();
  w.Key("syncs");
  w.Uint64(c.syncs);
  w.Key("resyncs");
  w.Uint64(c.resyncs);
  w.Key("snapshots_requested");
  w.Uint64(c.snapshots_requested);
  w.Key("snapshot_refetches");
  w.Uint64(c.snapshot_refetches);
  w.Key("snapshot_failures");
  w.Uint64(c.snapshot_failures);
  w.Key("updates_applied");
  w.Uint64(c.updates_applied);
  w.Key("updates_dropped");
  w.Uint64(c.updates_dropped);
  w.Key("buffer_overflows");
  w.Uint64(c.buffer_overflows);
  w.Key("last_resync_reason");
  write_string(w, c.last_resync_reason);
  w.EndObject();
  w.EndObject();
  return finish(sb);
}

} // namespace sv
