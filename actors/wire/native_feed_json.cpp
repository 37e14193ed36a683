// native_feed_json: the native feed's requests (RapidJSON DOM: a few per second per
// client at most) and messages (appended by hand: one per trade per subscriber).
#include "actors/wire/native_feed_json.hpp"

#include <array>
#include <charconv>

#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/core/symbol_name.hpp"
#include "actors/wire/json_text.hpp"

namespace sv {

namespace {

/// Appends `s` as a JSON string (escapes quotes, backslashes, control bytes).
void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[(static_cast<unsigned char>(c) >> 4U) & 0xFU]);
      out.push_back(hex[static_cast<unsigned char>(c) & 0xFU]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_id(std::string& out, std::optional<std::uint64_t> id) {
  out += "\"id\":";
  if (id)
    append_number(out, *id);
  else
    out += "null";
}

/// Appends `v` (units of 1e-16) exactly, with 16 fractional digits.
void append_quoted_e16(std::string& out, int128 v) {
  constexpr int128 scale = 10'000'000'000'000'000;
  out.push_back('"');
  if (v < 0) {
    out.push_back('-');
    v = -v;
  }
  auto whole = v / scale;
  auto frac = static_cast<std::uint64_t>(v % scale);
  if (whole == 0) {
    out.push_back('0');
  } else {
    std::string digits;
    for (; whole > 0; whole /= 10)
      digits.push_back(static_cast<char>('0' + static_cast<int>(whole % 10)));
    out.append(digits.rbegin(), digits.rend());
  }
  out.push_back('.');
  std::array<char, 16> f{};
  for (auto i = f.size(); i-- > 0; frac /= 10)
    f.at(i) = static_cast<char>('0' + frac % 10);
  out.append(f.data(), f.size());
  out.push_back('"');
}

native_error bad_request(std::string message, std::optional<std::uint64_t> id) {
  return {"bad_request", std::move(message), id, 0};
}

const rapidjson::Value* member(const rapidjson::Value& doc, const char* name) {
  auto it = doc.FindMember(name);
  return it == doc.MemberEnd() ? nullptr : &it->value;
}

std::string_view view(const rapidjson::Value& x) {
  return {x.GetString(), x.GetStringLength()};
}

/// Reads channel, symbol and the channel's own fields of a subscribe.
bool read_subscribe(const rapidjson::Value& doc, native_request& out,
                    native_error& error) {
  const auto* channel = member(doc, "channel");
  if (channel == nullptr || !channel->IsString()) {
    error = bad_request(
      R"("channel" must be "trades", "book", "metrics" or "bars")", out.id);
    return false;
  }
  auto name = view(*channel);
  if (name == "trades")
    out.channel = native_channel::trades;
  else if (name == "book")
    out.channel = native_channel::book;
  else if (name == "metrics")
    out.channel = native_channel::metrics;
  else if (name == "bars")
    out.channel = native_channel::bars;
  else {
    error = bad_request(
      R"("channel" must be "trades", "book", "metrics" or "bars")", out.id);
    return false;
  }
  const auto* symbol = member(doc, "symbol");
  if (symbol == nullptr || !symbol->IsString()
      || !is_symbol_name(view(*symbol))) {
    error = bad_request(R"("symbol" must be a symbol name such as "BTCUSDT")",
                        out.id);
    return false;
  }
  out.symbol = upper_symbol(view(*symbol));
  if (const auto* from = member(doc, "from_id")) {
    if (out.channel != native_channel::trades || !from->IsUint64()
        || from->GetUint64() == 0) {
      error = bad_request(
        R"("from_id" is an aggregate trade id (> 0), for the trades channel)",
        out.id);
      return false;
    }
    out.from_id = from->GetUint64();
  }
  if (out.channel == native_channel::bars) {
    const auto* interval = member(doc, "interval");
    bool found = false;
    if (interval != nullptr && interval->IsString())
      for (std::size_t i = 0; i < std::size(bar_intervals); ++i)
        if (view(*interval) == bar_intervals.at(i).name) {
          out.interval = i;
          found = true;
        }
    if (!found) {
      error = bad_request(
        R"("interval" must be "1s", "1m", "5m" or "1h" for bars)", out.id);
      return false;
    }
  }
  return true;
}

} // namespace

const char* to_string(native_channel x) {
  switch (x) {
    case native_channel::trades:
      return "trades";
    case native_channel::book:
      return "book";
    case native_channel::metrics:
      return "metrics";
    case native_channel::bars:
      return "bars";
  }
  return "?";
}

std::optional<native_request> decode_native_request(std::string_view text,
                                                    native_error& error) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    error = bad_request("expected one JSON object such as "
                        R"({"op":"subscribe","channel":"trades",)"
                        R"("symbol":"BTCUSDT"})",
                        std::nullopt);
    return std::nullopt;
  }
  native_request out;
  if (const auto* id = member(doc, "id")) {
    if (!id->IsUint64()) {
      error = bad_request(R"("id" must be an unsigned integer)", std::nullopt);
      return std::nullopt;
    }
    out.id = id->GetUint64();
  }
  const auto* op = member(doc, "op");
  if (op == nullptr || !op->IsString()
      || (view(*op) != "subscribe" && view(*op) != "unsubscribe")) {
    error = bad_request(R"("op" must be "subscribe" or "unsubscribe")", out.id);
    return std::nullopt;
  }
  out.subscribe = view(*op) == "subscribe";
  if (out.subscribe) {
    if (!read_subscribe(doc, out, error))
      return std::nullopt;
    return out;
  }
  const auto* sub = member(doc, "sub");
  if (sub == nullptr || !sub->IsUint64()) {
    error = bad_request(
      R"("sub" must be the number a "subscribed" answer gave)", out.id);
    return std::nullopt;
  }
  out.sub = sub->GetUint64();
  return out;
}

std::string encode_native_error(const native_error& x) {
  std::string out = R"({"type":"error",)";
  append_id(out, x.id);
  out += ",\"code\":";
  append_string(out, x.code);
  out += ",\"message\":";
  append_string(out, x.message);
  if (x.code == "not_held") {
    out += ",\"oldest_id\":";
    append_number(out, x.oldest_id);
  }
  out.push_back('}');
  return out;
}

std::string encode_subscribed(const native_request& x, std::uint64_t sub) {
  std::string out = R"({"type":"subscribed",)";
  append_id(out, x.id);
  out += ",\"sub\":";
  append_number(out, sub);
  out += R"(,"channel":")";
  out += to_string(x.channel);
  out += R"(","symbol":)";
  append_string(out, x.symbol);
  if (x.channel == native_channel::bars) {
    out += R"(,"interval":")";
    out += bar_intervals.at(x.interval).name;
    out.push_back('"');
  }
  if (x.from_id) {
    out += ",\"from_id\":";
    append_number(out, *x.from_id);
  }
  out.push_back('}');
  return out;
}

std::string encode_unsubscribed(std::optional<std::uint64_t> id,
                                std::uint64_t sub) {
  std::string out = R"({"type":"unsubscribed",)";
  append_id(out, id);
  out += ",\"sub\":";
  append_number(out, sub);
  out.push_back('}');
  return out;
}

void append_native_head(std::string& out, std::string_view type,
                        std::uint64_t sub, std::uint64_t seq) {
  out += R"({"type":")";
  out += type;
  out += R"(","sub":)";
  append_number(out, sub);
  out += ",\"seq\":";
  append_number(out, seq);
  out.push_back(',');
}

void append_gap_tail(std::string& out, std::uint64_t from_id,
                     std::uint64_t to_id) {
  out += "\"from_id\":";
  append_number(out, from_id);
  out += ",\"to_id\":";
  append_number(out, to_id);
  out.push_back('}');
}

// The object's order: whose bar, then which interval.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
void append_bar_object(std::string& out, std::string_view symbol,
                       std::string_view interval, const bar& x) {
  out += R"({"s":)";
  append_string(out, symbol);
  out += ",\"i\":";
  append_string(out, interval);
  out += ",\"t\":";
  append_number(out, x.open_ms);
  out += ",\"T\":";
  append_number(out, x.open_ms + x.interval_ms - 1);
  out += ",\"o\":";
  append_quoted_e8(out, x.open_e8);
  out += ",\"h\":";
  append_quoted_e8(out, x.high_e8);
  out += ",\"l\":";
  append_quoted_e8(out, x.low_e8);
  out += ",\"c\":";
  append_quoted_e8(out, x.close_e8);
  out += ",\"v\":";
  append_quoted_e8(out, x.volume_e8);
  out += ",\"bv\":";
  append_quoted_e8(out, x.buy_volume_e8);
  out += ",\"sv\":";
  append_quoted_e8(out, x.volume_e8 - x.buy_volume_e8);
  out += ",\"qv\":";
  append_quoted_e16(out, x.quote_e16);
  out += ",\"vwap\":";
  append_quoted_e8(out, x.volume_e8 == 0
                          ? int128{0}
                          : div_round_half_even(x.quote_e16, x.volume_e8));
  out += ",\"n\":";
  append_number(out, x.trades);
  out += ",\"first_id\":";
  append_number(out, x.first_id);
  out += ",\"last_id\":";
  append_number(out, x.last_id);
  out += x.complete ? ",\"complete\":true}" : ",\"complete\":false}";
}

// The message's order: whose bar, then which interval.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
void append_bar_tail(std::string& out, std::string_view symbol,
                     std::string_view interval, const bar& x) {
  out += R"("data":)";
  append_bar_object(out, symbol, interval, x);
  out.push_back('}');
}

std::string encode_heartbeat(std::int64_t time_ms,
                             const std::vector<stream_state>& streams) {
  std::string out = R"({"type":"heartbeat","time":)";
  append_number(out, time_ms);
  out += ",\"streams\":[";
  bool first = true;
  for (const auto& s : streams) {
    out += first ? "{\"symbol\":" : ",{\"symbol\":";
    first = false;
    append_string(out, s.symbol);
    out += ",\"stream\":";
    append_string(out, s.stream);
    out += R"(,"state":")";
    out += to_string(s.state);
    out += R"(","last_message_age_ms":)";
    append_number(out, s.last_message_age_ms);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

} // namespace sv
