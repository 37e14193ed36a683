// rest_decoder: parses Binance REST bodies with RapidJSON's DOM (a cold path: pages of
// up to 1000 rows during a backfill, not the live feed).
#include "actors/wire/rest_decoder.hpp"

#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"

namespace sv {

namespace {

constexpr std::size_t excerpt_max = 200;

/// T, as for the stream decoders: Unix milliseconds have 13 digits, microseconds
/// (timeUnit=MICROSECOND) 16.
constexpr std::uint64_t time_limit
  = 10'000'000'000'000'000; // 10^16, first 17-digit value

bool read_u64(const rapidjson::Value& row, const char* key,
              std::uint64_t& out) {
  auto i = row.FindMember(key);
  if (i == row.MemberEnd() || !i->value.IsUint64())
    return false;
  out = i->value.GetUint64();
  return true;
}

bool read_e8(const rapidjson::Value& row, const char* key, std::int64_t& out) {
  auto i = row.FindMember(key);
  if (i == row.MemberEnd() || !i->value.IsString())
    return false;
  return parse_e8({i->value.GetString(), i->value.GetStringLength()}, out);
}

} // namespace

bool decode_agg_trades(std::string_view body, const std::string& symbol,
                       std::vector<trade>& out, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    error = "not a JSON array";
    return false;
  }
  out.reserve(out.size() + doc.Size());
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const auto& row = doc[i];
    trade x;
    x.symbol = symbol;
    std::uint64_t time = 0;
    auto field_error = [&](const char* key) {
      error = "row " + std::to_string(i) + ": field " + key
              + " missing or mistyped";
      return false;
    };
    if (!row.IsObject())
      return field_error("(row is not an object)");
    if (!read_u64(row, "a", x.agg_id))
      return field_error("a");
    if (!read_e8(row, "p", x.price_e8))
      return field_error("p");
    if (!read_e8(row, "q", x.qty_e8))
      return field_error("q");
    if (!read_u64(row, "f", x.first_id))
      return field_error("f");
    if (!read_u64(row, "l", x.last_id))
      return field_error("l");
    // A T of 2^63 or more would turn into a negative trade time.
    if (!read_u64(row, "T", time) || time >= time_limit)
      return field_error("T");
    auto m = row.FindMember("m");
    if (m == row.MemberEnd() || !m->value.IsBool())
      return field_error("m");
    x.buyer_is_maker = m->value.GetBool();
    x.trade_time_ms = static_cast<std::int64_t>(time);
    x.event_time_ms = x.trade_time_ms;
    out.push_back(std::move(x));
  }
  return true;
}

std::string describe_rest_error(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    auto code = doc.FindMember("code");
    auto msg = doc.FindMember("msg");
    if (code != doc.MemberEnd() && code->value.IsInt64()
        && msg != doc.MemberEnd() && msg->value.IsString())
      return "code " + std::to_string(code->value.GetInt64()) + ": "
             + std::string{msg->value.GetString(),
                           msg->value.GetStringLength()};
  }
  return std::string{body.substr(0, excerpt_max)};
}

} // namespace sv
