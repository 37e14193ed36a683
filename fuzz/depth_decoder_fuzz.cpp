// depth_decoder_fuzz: depthUpdate frames (raw and combined-stream) from the peer, against a DOM oracle.
//
// Checks, for any bytes:
// - decode() never crashes, never reads past the input (ASan) and never hits UB;
// - an accepted frame is one RapidJSON's DOM parser also accepts, with e ==
//   "depthUpdate", U <= u, and every bid and ask level equal (count, order, price,
//   quantity) to the DOM's 2-string arrays;
// - every price and quantity round-trips through format_e8 / parse_e8;
// - a decoder reused after the previous input answers like a fresh one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"
#include "actors/wire/depth_decoder.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

std::int64_t e8_of(const rapidjson::Value& v) {
  std::int64_t out = -1;
  SV_FUZZ_CHECK(v.IsString());
  SV_FUZZ_CHECK(sv::parse_e8({v.GetString(), v.GetStringLength()}, out));
  return out;
}

void check_levels(const rapidjson::Value& dom,
                  const std::vector<sv::price_level>& levels) {
  SV_FUZZ_CHECK(dom.IsArray());
  SV_FUZZ_CHECK(dom.Size() == levels.size());
  for (rapidjson::SizeType i = 0; i < dom.Size(); ++i) {
    const auto& level = dom[i];
    SV_FUZZ_CHECK(level.IsArray() && level.Size() == 2);
    SV_FUZZ_CHECK(levels[i].price_e8 == e8_of(level[0]));
    SV_FUZZ_CHECK(levels[i].qty_e8 == e8_of(level[1]));
    std::int64_t back = -1;
    SV_FUZZ_CHECK(sv::parse_e8(sv::format_e8(levels[i].price_e8), back)
                  && back == levels[i].price_e8);
    SV_FUZZ_CHECK(sv::parse_e8(sv::format_e8(levels[i].qty_e8), back)
                  && back == levels[i].qty_e8);
  }
}

bool same(const sv::depth_update& x, const sv::depth_update& y) {
  return x.symbol == y.symbol && x.first_update_id == y.first_update_id
         && x.final_update_id == y.final_update_id
         && x.event_time_ms == y.event_time_ms && x.bids == y.bids
         && x.asks == y.asks;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string frame(reinterpret_cast<const char*>(data), size);
  static sv::depth_decoder reused{"BNBBTC"};
  sv::depth_decoder fresh{"bnbbtc"};
  sv::depth_update x;
  sv::depth_update y;
  auto st = fresh.decode(frame, x);
  SV_FUZZ_CHECK(reused.decode(frame, y) == st);
  if (st != sv::decode_status::ok) {
    SV_FUZZ_CHECK(!fresh.detail().empty());
    return 0;
  }
  SV_FUZZ_CHECK(fresh.detail().empty());
  SV_FUZZ_CHECK(same(x, y));
  SV_FUZZ_CHECK(x.symbol == "BNBBTC");
  SV_FUZZ_CHECK(x.first_update_id <= x.final_update_id);
  rapidjson::Document doc;
  doc.Parse(frame.data(), frame.size());
  SV_FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  const rapidjson::Value* obj = &doc;
  auto wrapped = doc.FindMember("data");
  if (wrapped != doc.MemberEnd() && wrapped->value.IsObject()
      && wrapped->value.HasMember("e"))
    obj = &wrapped->value;
  const auto& o = *obj;
  SV_FUZZ_CHECK(o.HasMember("e") && o["e"].IsString()
                && std::string_view{o["e"].GetString()} == "depthUpdate");
  SV_FUZZ_CHECK(o.HasMember("U") && o["U"].IsUint64()
                && o["U"].GetUint64() == x.first_update_id);
  SV_FUZZ_CHECK(o.HasMember("u") && o["u"].IsUint64()
                && o["u"].GetUint64() == x.final_update_id);
  SV_FUZZ_CHECK(o.HasMember("E") && o["E"].IsInt64()
                && o["E"].GetInt64() == x.event_time_ms);
  SV_FUZZ_CHECK(o.HasMember("b") && o.HasMember("a"));
  check_levels(o["b"], x.bids);
  check_levels(o["a"], x.asks);
  return 0;
}
