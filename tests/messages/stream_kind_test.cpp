// Tests of stream_kind: the text it has at the config, JSON and log edges.
#include "messages/stream_kind.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "messages/status.hpp"

using namespace sv;

TEST_CASE("each stream kind's text is Binance's stream name and parses back to "
          "the same kind",
          "[stream_kind]") {
  CHECK(std::string{to_string(stream_kind::agg_trade)} == "aggTrade");
  CHECK(std::string{to_string(stream_kind::depth)} == "depth");
  for (auto x : {stream_kind::agg_trade, stream_kind::depth})
    CHECK(parse_stream_kind(to_string(x)) == x);
  static_assert(parse_stream_kind("depth") == stream_kind::depth);
}

TEST_CASE("only the exact spelling of a stream parses", "[stream_kind]") {
  for (const auto* text : {"", "aggtrade", "AGGTRADE", "trade", "depth@100ms",
                           "Depth", " depth", "bookTicker"}) {
    INFO(text);
    CHECK_FALSE(parse_stream_kind(text).has_value());
  }
}

TEST_CASE("a list of streams and a child key read as the config and the API "
          "write them",
          "[stream_kind]") {
  CHECK(join_streams({}).empty());
  CHECK(join_streams({stream_kind::depth, stream_kind::agg_trade})
        == "depth,aggTrade");
  CHECK(child_key("BTCUSDT", stream_kind::agg_trade) == "BTCUSDT@aggTrade");
  CHECK(child_key("ETHUSDT", stream_kind::depth) == "ETHUSDT@depth");
}
