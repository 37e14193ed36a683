// Tests of native_feed_json: requests read strictly, every refusal says why.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "actors/wire/native_feed_json.hpp"

using namespace sv;

TEST_CASE("subscribe requests are read with their channel's fields",
          "[native]") {
  native_error error;
  auto r = decode_native_request(
    R"({"op":"subscribe","id":3,"channel":"trades","symbol":"ethusdt","from_id":77})",
    error);
  REQUIRE(r);
  CHECK(r->subscribe);
  CHECK(r->id == 3U);
  CHECK(r->channel == native_channel::trades);
  CHECK(r->symbol == "ETHUSDT");
  CHECK(r->from_id == 77U);
  r = decode_native_request(
    R"({"op":"subscribe","channel":"bars","symbol":"BTCUSDT","interval":"5m"})",
    error);
  REQUIRE(r);
  CHECK_FALSE(r->id);
  CHECK(std::string{bar_intervals.at(r->interval).name} == "5m");
  r = decode_native_request(R"({"op":"unsubscribe","sub":4})", error);
  REQUIRE(r);
  CHECK_FALSE(r->subscribe);
  CHECK(r->sub == 4U);
}

TEST_CASE("bad requests are refused with bad_request and what to send",
          "[native]") {
  const std::array<const char*, 10> bad{
    "",
    "[1]",
    R"({"op":"subscribe","id":-1,"channel":"trades","symbol":"BTCUSDT"})",
    R"({"op":"publish","channel":"trades","symbol":"BTCUSDT"})",
    R"({"op":"subscribe","channel":"candles","symbol":"BTCUSDT"})",
    R"({"op":"subscribe","channel":"trades","symbol":"BTC/USDT"})",
    R"({"op":"subscribe","channel":"book","symbol":"BTCUSDT","from_id":5})",
    R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT","from_id":0})",
    R"({"op":"subscribe","channel":"bars","symbol":"BTCUSDT","interval":"2m"})",
    R"({"op":"unsubscribe","sub":"x"})",
  };
  for (const char* text : bad) {
    native_error error;
    CAPTURE(text);
    CHECK_FALSE(decode_native_request(text, error));
    CHECK(error.code == "bad_request");
    CHECK_FALSE(error.message.empty());
    auto answer = encode_native_error(error);
    CHECK(answer.rfind(R"({"type":"error",)", 0) == 0);
  }
}

TEST_CASE("answers and heads are the documented JSON", "[native]") {
  native_request r;
  r.id = 1;
  r.channel = native_channel::trades;
  r.symbol = "BTCUSDT";
  r.from_id = 10;
  CHECK(encode_subscribed(r, 2)
        == R"({"type":"subscribed","id":1,"sub":2,"channel":"trades",)"
           R"("symbol":"BTCUSDT","from_id":10})");
  CHECK(encode_unsubscribed(std::nullopt, 2)
        == R"({"type":"unsubscribed","id":null,"sub":2})");
  std::string gap;
  append_native_head(gap, "gap", 2, 9);
  append_gap_tail(gap, 100, 120);
  CHECK(gap == R"({"type":"gap","sub":2,"seq":9,"from_id":100,"to_id":120})");
  native_error e{"not_held", "say \"why\"", 5, 42};
  CHECK(encode_native_error(e)
        == R"({"type":"error","id":5,"code":"not_held",)"
           R"("message":"say \"why\"","oldest_id":42})");
  stream_state s{"BTCUSDT", "aggTrade", child_state::backoff, 1500};
  CHECK(
    encode_heartbeat(7, {s})
    == R"({"type":"heartbeat","time":7,"streams":[{"symbol":"BTCUSDT",)"
       R"("stream":"aggTrade","state":"backoff","last_message_age_ms":1500}]})");
}
