// api_json: the JSON bodies of the HTTP API, written with RapidJSON's Writer (no DOM).
#include "actors/api_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/decimal.hpp"
#include "actors/order_flow.hpp"
#include "actors/rolling_windows.hpp"

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

/// "1m", "15m", "1h", "90s": the largest unit that divides the length.
std::string window_name(std::int64_t length_ms) {
  auto s = length_ms / 1000;
  if (s % 3600 == 0)
    return std::to_string(s / 3600) + "h";
  if (s % 60 == 0)
    return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
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

} // namespace

std::string health_json(const std::vector<child_status>& children,
                        bool& healthy) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  std::vector<std::string> lagging;
  for (auto& x : children)
    if (x.state != child_state::streaming)
      lagging.push_back(x.symbol + "@" + x.stream);
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

std::string status_json(std::int64_t uptime_s,
                        const std::vector<child_status>& children) {
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
    write_string(w, x.stream);
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
    w.Key("trades");
    w.Uint64(x.trades);
    w.Key("decode_errors");
    w.Uint64(x.decode_errors);
    w.Key("gaps_detected");
    w.Uint64(x.gaps_detected);
    w.Key("gaps_filled");
    w.Uint64(x.gaps_filled);
    w.Key("gaps_open");
    w.Uint64(x.gaps_open);
    w.EndObject();
  }
  w.EndArray();
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
  write_string(w, x.warmup);
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
    auto name = window_name(win.length_ms);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    write_window(w, win);
  }
  w.EndObject();
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

} // namespace sv
