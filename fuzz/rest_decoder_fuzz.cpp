// rest_decoder_fuzz: REST bodies from the peer (aggTrades pages, depth snapshots, error bodies).
//
// Feeds the same bytes to decode_agg_trades, decode_depth_snapshot and
// describe_rest_error. Checks, for any bytes:
// - none of them crashes, reads past the body (ASan) or hits UB;
// - an accepted aggTrades page is a JSON array the DOM parser accepts, with one trade
//   per row whose fields equal the row's (E == T in 0..10^16-1, symbol as given), and an error
//   text otherwise;
// - an accepted depth snapshot is a DOM-valid object whose lastUpdateId and levels
//   (count, order, price, quantity) equal the DOM's;
// - describe_rest_error never returns an empty line for a non-empty body, and
//   never more than the 200-byte excerpt for a body that is not a Binance error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"
#include "actors/wire/depth_decoder.hpp"
#include "actors/wire/rest_decoder.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

std::int64_t e8_of(const rapidjson::Value& v) {
  std::int64_t out = -1;
  SV_FUZZ_CHECK(v.IsString());
  SV_FUZZ_CHECK(sv::parse_e8({v.GetString(), v.GetStringLength()}, out));
  return out;
}

void check_agg_trades(const std::string& body) {
  std::vector<sv::trade> out;
  std::string error;
  if (!sv::decode_agg_trades(body, "BTCUSDT", out, error)) {
    SV_FUZZ_CHECK(!error.empty());
    return;
  }
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  SV_FUZZ_CHECK(!doc.HasParseError() && doc.IsArray());
  SV_FUZZ_CHECK(doc.Size() == out.size());
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const auto& row = doc[i];
    const auto& t = out[i];
    SV_FUZZ_CHECK(row.IsObject());
    SV_FUZZ_CHECK(t.symbol == "BTCUSDT");
    for (const char* k : {"a", "f", "l"})
      SV_FUZZ_CHECK(row.HasMember(k) && row[k].IsUint64());
    SV_FUZZ_CHECK(t.agg_id == row["a"].GetUint64());
    SV_FUZZ_CHECK(t.first_id == row["f"].GetUint64());
    SV_FUZZ_CHECK(t.last_id == row["l"].GetUint64());
    SV_FUZZ_CHECK(row.HasMember("T") && row["T"].IsInt64());
    SV_FUZZ_CHECK(t.trade_time_ms == row["T"].GetInt64());
    SV_FUZZ_CHECK(t.event_time_ms == t.trade_time_ms);
    SV_FUZZ_CHECK(t.trade_time_ms >= 0
                  && t.trade_time_ms < 10'000'000'000'000'000);
    SV_FUZZ_CHECK(row.HasMember("p") && t.price_e8 == e8_of(row["p"]));
    SV_FUZZ_CHECK(row.HasMember("q") && t.qty_e8 == e8_of(row["q"]));
    SV_FUZZ_CHECK(row.HasMember("m") && row["m"].IsBool());
    SV_FUZZ_CHECK(t.buyer_is_maker == row["m"].GetBool());
  }
}

void check_levels(const rapidjson::Value& dom,
                  const std::vector<sv::price_level>& levels) {
  SV_FUZZ_CHECK(dom.IsArray() && dom.Size() == levels.size());
  for (rapidjson::SizeType i = 0; i < dom.Size(); ++i) {
    SV_FUZZ_CHECK(dom[i].IsArray() && dom[i].Size() == 2);
    SV_FUZZ_CHECK(levels[i].price_e8 == e8_of(dom[i][0]));
    SV_FUZZ_CHECK(levels[i].qty_e8 == e8_of(dom[i][1]));
  }
}

void check_depth_snapshot(const std::string& body) {
  sv::depth_snapshot out;
  std::string error;
  if (!sv::decode_depth_snapshot(body, "BTCUSDT", out, error)) {
    SV_FUZZ_CHECK(!error.empty());
    return;
  }
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  SV_FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  SV_FUZZ_CHECK(out.symbol == "BTCUSDT");
  SV_FUZZ_CHECK(doc.HasMember("lastUpdateId") && doc["lastUpdateId"].IsUint64()
                && doc["lastUpdateId"].GetUint64() == out.last_update_id);
  SV_FUZZ_CHECK(doc.HasMember("bids") && doc.HasMember("asks"));
  check_levels(doc["bids"], out.bids);
  check_levels(doc["asks"], out.asks);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  check_agg_trades(body);
  check_depth_snapshot(body);
  auto text = sv::describe_rest_error(body);
  if (!body.empty())
    SV_FUZZ_CHECK(!text.empty());
  if (text.rfind("code ", 0) != 0)
    SV_FUZZ_CHECK(text == body.substr(0, 200));
  return 0;
}
