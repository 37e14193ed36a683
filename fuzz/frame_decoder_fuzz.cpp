// frame_decoder_fuzz: aggTrade frames (raw and combined-stream) from the peer, against a DOM oracle.
//
// Checks, for any bytes:
// - decode() never crashes, never reads past the input (ASan) and never hits UB;
// - an accepted frame is one RapidJSON's DOM parser also accepts, and every field of
//   the trade equals what the DOM holds (of `data` for a combined-stream wrapper);
// - p and q round-trip: format_e8(price_e8) parses back to the same value;
// - decoding is deterministic: a decoder reused after the previous input gives the
//   same status and trade as a fresh one;
// - the trade re-encoded as a canonical raw frame and as a combined-stream frame
//   decodes to the same trade.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"
#include "actors/wire/frame_decoder.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

constexpr const char* symbol = "BTCUSDT";

bool same(const sv::trade& x, const sv::trade& y) {
  return x.symbol == y.symbol && x.agg_id == y.agg_id
         && x.first_id == y.first_id && x.last_id == y.last_id
         && x.price_e8 == y.price_e8 && x.qty_e8 == y.qty_e8
         && x.trade_time_ms == y.trade_time_ms
         && x.event_time_ms == y.event_time_ms
         && x.buyer_is_maker == y.buyer_is_maker;
}

bool equals_ignoring_case(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(x[i]) != lower(y[i]))
      return false;
  }
  return true;
}

std::int64_t e8_of(const rapidjson::Value& v) {
  std::int64_t out = -1;
  SV_FUZZ_CHECK(v.IsString());
  SV_FUZZ_CHECK(sv::parse_e8({v.GetString(), v.GetStringLength()}, out));
  return out;
}

/// The trade as a canonical raw frame.
std::string encode(const sv::trade& t) {
  std::string out = R"({"e":"aggTrade","E":)";
  out += std::to_string(t.event_time_ms);
  out += R"(,"s":")" + t.symbol + R"(","a":)" + std::to_string(t.agg_id);
  out += R"(,"p":")" + sv::format_e8(t.price_e8);
  out += R"(","q":")" + sv::format_e8(t.qty_e8);
  out += R"(","f":)" + std::to_string(t.first_id);
  out += R"(,"l":)" + std::to_string(t.last_id);
  out += R"(,"T":)" + std::to_string(t.trade_time_ms);
  out += t.buyer_is_maker ? R"(,"m":true,"M":true})"
                          : R"(,"m":false,"M":true})";
  return out;
}

void check_against_dom(std::string_view frame, const sv::trade& t) {
  rapidjson::Document doc;
  doc.Parse(frame.data(), frame.size());
  SV_FUZZ_CHECK(!doc.HasParseError());
  SV_FUZZ_CHECK(doc.IsObject());
  const rapidjson::Value* obj = &doc;
  auto data = doc.FindMember("data");
  if (data != doc.MemberEnd() && data->value.IsObject()
      && data->value.HasMember("e"))
    obj = &data->value;
  auto& o = *obj;
  SV_FUZZ_CHECK(o.HasMember("e") && o["e"].IsString()
                && std::string_view{o["e"].GetString()} == "aggTrade");
  SV_FUZZ_CHECK(o.HasMember("s") && o["s"].IsString());
  SV_FUZZ_CHECK(equals_ignoring_case(
    {o["s"].GetString(), o["s"].GetStringLength()}, symbol));
  SV_FUZZ_CHECK(t.symbol == symbol);
  for (const char* k : {"a", "f", "l"})
    SV_FUZZ_CHECK(o.HasMember(k) && o[k].IsUint64());
  SV_FUZZ_CHECK(t.agg_id == o["a"].GetUint64());
  SV_FUZZ_CHECK(t.first_id == o["f"].GetUint64());
  SV_FUZZ_CHECK(t.last_id == o["l"].GetUint64());
  for (const char* k : {"E", "T"})
    SV_FUZZ_CHECK(o.HasMember(k) && o[k].IsInt64());
  SV_FUZZ_CHECK(t.event_time_ms == o["E"].GetInt64());
  SV_FUZZ_CHECK(t.trade_time_ms == o["T"].GetInt64());
  SV_FUZZ_CHECK(o.HasMember("p") && o.HasMember("q"));
  SV_FUZZ_CHECK(t.price_e8 == e8_of(o["p"]));
  SV_FUZZ_CHECK(t.qty_e8 == e8_of(o["q"]));
  SV_FUZZ_CHECK(o.HasMember("m") && o["m"].IsBool());
  SV_FUZZ_CHECK(t.buyer_is_maker == o["m"].GetBool());
  // Decimal round trip through actors/core/decimal.
  std::int64_t back = -1;
  SV_FUZZ_CHECK(sv::parse_e8(sv::format_e8(t.price_e8), back)
                && back == t.price_e8);
  SV_FUZZ_CHECK(sv::parse_e8(sv::format_e8(t.qty_e8), back)
                && back == t.qty_e8);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  // The decoder must not read past `size`: a copy in an exactly sized heap
  // buffer lets ASan see any overread.
  std::string frame(reinterpret_cast<const char*>(data), size);
  static sv::frame_decoder reused{symbol};
  sv::frame_decoder fresh{"btcusdt"};
  sv::trade t;
  sv::trade u;
  auto st = fresh.decode(frame, t);
  auto st_reused = reused.decode(frame, u);
  SV_FUZZ_CHECK(st == st_reused);
  SV_FUZZ_CHECK(sv::to_string(st) != nullptr);
  if (st != sv::decode_status::ok) {
    SV_FUZZ_CHECK(!fresh.detail().empty());
    return 0;
  }
  SV_FUZZ_CHECK(fresh.detail().empty());
  SV_FUZZ_CHECK(same(t, u));
  check_against_dom(frame, t);
  auto raw = encode(t);
  sv::trade v;
  SV_FUZZ_CHECK(fresh.decode(raw, v) == sv::decode_status::ok);
  SV_FUZZ_CHECK(same(t, v));
  auto combined = R"({"stream":"btcusdt@aggTrade","data":)" + raw + "}";
  SV_FUZZ_CHECK(fresh.decode(combined, v) == sv::decode_status::ok);
  SV_FUZZ_CHECK(same(t, v));
  return 0;
}
