// Tests of depth_event_json: Binance's depthUpdate text, byte for byte, from every capture.
#include <catch2/catch.hpp>

#include <string>

#include "actors/wire/depth_decoder.hpp"
#include "actors/wire/depth_event_json.hpp"
#include "tests/support/fixtures.hpp"

using namespace sv;

TEST_CASE("every captured depthUpdate event is written back byte for byte",
          "[depth_event_json]") {
  SV_REQUIRE_FIXTURES(dir);
  std::size_t checked = 0;
  for (const char* file :
       {"/depthUpdate-samples.jsonl", "/depthUpdate-samples-BADGERBTC.jsonl"}) {
    for (const auto& line : test::read_lines(dir + file)) {
      auto at = line.find(R"("s":")") + 5;
      depth_decoder decoder{line.substr(at, line.find('"', at) - at)};
      depth_update u;
      REQUIRE(decoder.decode(line, u) == decode_status::ok);
      std::string out;
      append_depth_event(out, u);
      CHECK(out == line);
      ++checked;
    }
  }
  CHECK(checked > 10);
}

TEST_CASE("the combined wrapper names the stream the client asked for",
          "[depth_event_json]") {
  depth_update u;
  u.symbol = "BNBBTC";
  u.first_update_id = 157;
  u.final_update_id = 160;
  u.event_time_ms = 1;
  u.bids = {{150'000, 1'000'000'000}};
  std::string out;
  append_combined_depth_event(out, "bnbbtc@depth", u);
  CHECK(out
        == R"({"stream":"bnbbtc@depth","data":{"e":"depthUpdate","E":1,)"
           R"("s":"BNBBTC","U":157,"u":160,"b":[["0.00150000","10.00000000"]],)"
           R"("a":[]}})");
}
