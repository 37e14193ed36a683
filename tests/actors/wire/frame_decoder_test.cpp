// frame_decoder_test: the aggTrade decoder on Binance fixtures and bad frames.
#include "actors/wire/frame_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"
#include "tests/support/decoding.hpp"
#include "tests/support/fixtures.hpp"

namespace {

using sv::decode_status;
using namespace sv::test;

/// BTCUSDT line 55 of aggTrade-samples.jsonl, as members.
std::vector<member> valid_members() {
  return {{"e", R"("aggTrade")"},
          {"E", "1616176861895"},
          {"s", R"("BTCUSDT")"},
          {"a", "640283266"},
          {"p", R"("58942.01000000")"},
          {"q", R"("0.00035600")"},
          {"f", "716849523"},
          {"l", "716849524"},
          {"T", "1616176861893"},
          {"m", "true"},
          {"M", "true"}};
}

const std::string valid_frame = object(valid_members());

std::string with(std::string key, std::string value) {
  auto members = valid_members();
  for (auto& m : members)
    if (m.first == key)
      m.second = value;
  return object(members);
}

std::string combined(const std::string& data) {
  return R"({"stream":"btcusdt@aggTrade","data":)" + data + "}";
}

/// The expected trade for valid_frame.
void check_valid(const sv::trade& t) {
  CHECK(t.symbol == "BTCUSDT");
  CHECK(t.event_time_ms == 1616176861895);
  CHECK(t.agg_id == 640283266);
  CHECK(t.price_e8 == 5'894'201'000'000);
  CHECK(t.qty_e8 == 35'600);
  CHECK(t.first_id == 716849523);
  CHECK(t.last_id == 716849524);
  CHECK(t.trade_time_ms == 1616176861893);
  CHECK(t.buyer_is_maker);
  CHECK(sv::aggressor(t) == sv::side::sell);
}

} // namespace

// -- fixtures -----------------------------------------------------------------

TEST_CASE(
  "the decoder reads every aggTrade sample into the values an independent DOM "
  "parse finds",
  "[frame_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  auto lines = sv::test::read_lines(dir + "/aggTrade-samples.jsonl");
  REQUIRE(lines.size() == 56);
  int sells = 0;
  int buys = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    INFO("line " << i + 1 << ": " << line);
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    REQUIRE_FALSE(doc.HasParseError());
    std::string symbol = doc["s"].GetString();
    // Every other decoder gets the lower-case symbol: matching ignores case.
    if (i % 2 == 1)
      for (auto& c : symbol)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    sv::frame_decoder dec{symbol};
    sv::trade t;
    REQUIRE(decode_exact(dec, line, t) == decode_status::ok);
    CHECK(dec.detail().empty());
    CHECK(t.symbol == doc["s"].GetString());
    CHECK(t.event_time_ms == doc["E"].GetInt64());
    CHECK(t.trade_time_ms == doc["T"].GetInt64());
    CHECK(t.agg_id == doc["a"].GetUint64());
    CHECK(t.first_id == doc["f"].GetUint64());
    CHECK(t.last_id == doc["l"].GetUint64());
    CHECK(t.price_e8 == e8(doc["p"].GetString()));
    CHECK(t.qty_e8 == e8(doc["q"].GetString()));
    // Binance sends 8 decimals, so formatting reproduces the text exactly.
    CHECK(sv::format_e8(t.price_e8) == doc["p"].GetString());
    CHECK(sv::format_e8(t.qty_e8) == doc["q"].GetString());
    CHECK(t.buyer_is_maker == doc["m"].GetBool());
    CHECK(sv::aggressor(t)
          == (doc["m"].GetBool() ? sv::side::sell : sv::side::buy));
    (sv::aggressor(t) == sv::side::sell ? sells : buys) += 1;
  }
  // SOURCES.md: 27 have m=true, 29 m=false.
  CHECK(sells == 27);
  CHECK(buys == 29);
}

TEST_CASE(
  "the decoder reads the 2 combined-stream aggTrades and reports every other "
  "stream as an unknown event",
  "[frame_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  auto lines = sv::test::read_lines(dir + "/combined-stream-samples.jsonl");
  REQUIRE(lines.size() == 265);
  int trades = 0;
  int others = 0;
  sv::frame_decoder btc{"BTCUSDT"}; // matches none of them
  for (const auto& line : lines) {
    INFO(line);
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    REQUIRE_FALSE(doc.HasParseError());
    const auto& data = doc["data"];
    std::string stream = doc["stream"].GetString();
    sv::frame_decoder dec{data.HasMember("s") ? data["s"].GetString()
                                              : "NKNUSDT"};
    sv::trade t;
    auto status = decode_exact(dec, line, t);
    if (stream.find("@aggTrade") != std::string::npos) {
      ++trades;
      REQUIRE(status == decode_status::ok);
      CHECK(t.symbol == data["s"].GetString());
      CHECK(t.agg_id == data["a"].GetUint64());
      CHECK(t.price_e8 == e8(data["p"].GetString()));
      CHECK(t.qty_e8 == e8(data["q"].GetString()));
      CHECK(t.trade_time_ms == data["T"].GetInt64());
      CHECK(t.buyer_is_maker == data["m"].GetBool());
      CHECK(decode_exact(btc, line, t) == decode_status::symbol_mismatch);
    } else {
      ++others;
      CHECK(status == decode_status::unknown_event);
      CHECK(starts_with(dec.detail(), data.HasMember("e") ? "unknown event e="
                                                          : "not an aggTrade"));
      CHECK(decode_exact(btc, line, t) == decode_status::unknown_event);
    }
  }
  CHECK(trades == 2);
  CHECK(others == 263);
}

TEST_CASE(
  "the decoder reports other raw streams and @trade frames as unknown events",
  "[frame_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  for (const char* name :
       {"/depthUpdate-samples.jsonl", "/depthUpdate-samples-BADGERBTC.jsonl",
        "/bookTicker-samples.jsonl", "/partial-depth-samples.jsonl",
        "/trade-samples.jsonl"}) {
    auto lines = sv::test::read_lines(dir + name);
    CHECK_FALSE(lines.empty());
    sv::frame_decoder dec{"NKNUSDT"};
    for (const auto& line : lines) {
      INFO(name << ": " << line);
      sv::trade t;
      CHECK(decode_exact(dec, line, t) == decode_status::unknown_event);
    }
  }
}

TEST_CASE("the decoder never reports a Binance error body as a trade",
          "[frame_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = sv::test::read_file(dir + "/error-responses.json");
  doc.Parse(text.c_str(), text.size());
  REQUIRE(doc.IsArray());
  sv::frame_decoder dec{"BTCUSDT"};
  int bodies = 0;
  for (const auto& entry : doc.GetArray()) {
    if (!entry.HasMember("body") || !entry["body"].IsObject())
      continue; // close frames and the docs table carry no JSON body
    ++bodies;
    auto frame = to_json(entry["body"]);
    INFO(entry["id"].GetString() << ": " << frame);
    sv::trade t;
    CHECK(decode_exact(dec, frame, t) == decode_status::unknown_event);
    CHECK(starts_with(dec.detail(), "not an aggTrade: error"));
    // The same body inside a combined-stream wrapper is no trade either.
    CHECK(decode_exact(dec, combined(frame), t)
          == decode_status::unknown_event);
  }
  CHECK(bodies == 10);
}

TEST_CASE(
  "the decoder reports WebSocket control replies and serverShutdown as unknown "
  "events",
  "[frame_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = sv::test::read_file(dir + "/ws-control-messages.json");
  doc.Parse(text.c_str(), text.size());
  REQUIRE(doc.IsObject());
  sv::frame_decoder dec{"BTCUSDT"};
  int frames = 0;
  for (const auto& m : doc.GetObject()) {
    if (!m.value.IsObject())
      continue; // _source
    std::vector<const rapidjson::Value*> values;
    if (m.value.HasMember("response")) {
      values.push_back(&m.value["response"]);
      values.push_back(
        &m.value["request"]); // our own requests echoed: still no trade
    } else {
      values.push_back(&m.value);
    }
    for (const auto* v : values) {
      ++frames;
      auto frame = to_json(*v);
      INFO(m.name.GetString() << ": " << frame);
      sv::trade t;
      CHECK(decode_exact(dec, frame, t) == decode_status::unknown_event);
      CHECK_FALSE(dec.detail().empty());
    }
  }
  CHECK(frames == 12);
  sv::trade t;
  CHECK(decode_exact(dec, R"({"result":null,"id":1})", t)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "not an aggTrade: control reply id=1");
  CHECK(decode_exact(dec, R"({"e":"serverShutdown","E":1770123456789})", t)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "unknown event e=serverShutdown");
}

TEST_CASE("the decoder reads the documentation's aggTrade and rejects its "
          "other examples",
          "[frame_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = sv::test::read_file(dir + "/doc-examples.json");
  doc.Parse(text.c_str(), text.size());
  REQUIRE(doc.IsObject());
  sv::frame_decoder dec{"BNBBTC"};
  sv::trade t;
  REQUIRE(decode_exact(dec, to_json(doc["aggTrade"]), t) == decode_status::ok);
  CHECK(t.price_e8 == 100'000);          // "0.001"
  CHECK(t.qty_e8 == 100 * sv::e8_scale); // "100"
  CHECK(t.first_id == 100);
  CHECK(t.last_id == 105);
  CHECK(sv::aggressor(t) == sv::side::sell);
  for (const char* name :
       {"trade", "depthUpdate", "partialDepth", "bookTicker", "rest_depth"}) {
    INFO(name);
    CHECK(decode_exact(dec, to_json(doc[name]), t)
          == decode_status::unknown_event);
  }
  // A REST aggTrades row lacks e, E and s: not a stream event.
  CHECK(decode_exact(dec, to_json(doc["rest_aggTrades"][0]), t)
        == decode_status::unknown_event);
  // The REST response itself is an array.
  CHECK(decode_exact(dec, to_json(doc["rest_aggTrades"]), t)
        == decode_status::malformed_json);
}

// -- synthetic frames
// -----------------------------------------------------------

TEST_CASE(
  "the decoder reads a raw frame and the same frame in a combined wrapper",
  "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  REQUIRE(decode_exact(dec, valid_frame, t) == decode_status::ok);
  check_valid(t);
  CHECK(dec.detail().empty());
  sv::trade u;
  REQUIRE(decode_exact(dec, combined(valid_frame), u) == decode_status::ok);
  check_valid(u);
  // Wrapper keys in the other order; stream content is not interpreted.
  sv::trade w;
  REQUIRE(decode_exact(
            dec, R"({"data":)" + valid_frame + R"(,"stream":"whatever"})", w)
          == decode_status::ok);
  check_valid(w);
}

TEST_CASE(
  "the decoder accepts the aggTrade keys in any order and with whitespace",
  "[frame_decoder]") {
  auto members = valid_members();
  std::vector<member> reversed(members.rbegin(), members.rend());
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  REQUIRE(decode_exact(dec, object(reversed), t) == decode_status::ok);
  check_valid(t);
  std::string spaced = " \n{ ";
  for (const auto& [key, value] : members)
    spaced += "\t\"" + key + "\" :\r\n " + value + (key == "M" ? " " : " ,\n");
  spaced += "}\n ";
  sv::trade u;
  REQUIRE(decode_exact(dec, spaced, u) == decode_status::ok);
  check_valid(u);
}

TEST_CASE("the decoder skips unknown keys including nested objects and arrays",
          "[frame_decoder]") {
  const std::string junk
    = R"("x":{"e":"depthUpdate","a":[1,{"p":"x","s":"ETHUSDT"}],"data":{"e":"kline"}},)"
      R"("y":[{"s":"ETHUSDT"},[[]],null,"str",-1.5e3],"z":null,"ww":"str","v":1.5,)"
      R"("bb":true,"k":{"t":1,"T":2,"s":"ETHUSDT","i":"1m","f":3,"L":4,"x":false})";
  sv::frame_decoder dec{"BTCUSDT"};
  auto body = valid_frame.substr(1, valid_frame.size() - 2);
  for (const auto& frame :
       {"{" + junk + "," + body + "}", "{" + body + "," + junk + "}",
        combined("{" + junk + "," + body + "}"),
        R"({)" + junk + R"(,"stream":"btcusdt@aggTrade","data":)" + valid_frame
          + "}"}) {
    INFO(frame);
    sv::trade t;
    REQUIRE(decode_exact(dec, frame, t) == decode_status::ok);
    check_valid(t);
  }
}

TEST_CASE("the decoder reads JSON escapes in strings", "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  auto frame = with("s", R"("\u0042TC\u0055SDT")");
  frame = frame.replace(frame.find("aggTrade"), 8, R"(agg\u0054rade)");
  REQUIRE(decode_exact(dec, frame, t) == decode_status::ok);
  check_valid(t);
}

TEST_CASE("the decoder reports a frame for another symbol as a symbol mismatch "
          "ignoring "
          "case",
          "[frame_decoder]") {
  sv::trade t;
  sv::frame_decoder lower{"btcusdt"};
  REQUIRE(decode_exact(lower, valid_frame, t) == decode_status::ok);
  CHECK(t.symbol
        == "BTCUSDT"); // canonical upper case, whatever the constructor got
  sv::frame_decoder dec{"BTCUSDT"};
  REQUIRE(decode_exact(dec, with("s", R"("btcUSDT")"), t) == decode_status::ok);
  CHECK(t.symbol == "BTCUSDT");

  CHECK(decode_exact(dec, with("s", R"("ETHUSDT")"), t)
        == decode_status::symbol_mismatch);
  CHECK(dec.detail() == "symbol mismatch s=ETHUSDT expected BTCUSDT");
  for (const char* s :
       {R"("BTCUSD")", R"("BTCUSDTX")", R"("")", R"("BTCUSD\u0000")"}) {
    INFO(s);
    CHECK(decode_exact(dec, with("s", s), t) == decode_status::symbol_mismatch);
  }
}

TEST_CASE(
  "the decoder overwrites a stale symbol in a reused trade and clears detail "
  "after ok",
  "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  t.symbol = "ETHUSDT";
  CHECK(decode_exact(dec, "{", t) == decode_status::malformed_json);
  CHECK_FALSE(dec.detail().empty());
  REQUIRE(decode_exact(dec, valid_frame, t) == decode_status::ok);
  CHECK(t.symbol == "BTCUSDT");
  CHECK(dec.detail().empty());
}

TEST_CASE("the decoder reports each removed required field as missing by name",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  for (const char* key : {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m"}) {
    auto members = valid_members();
    for (auto it = members.begin(); it != members.end(); ++it)
      if (it->first == key) {
        members.erase(it);
        break;
      }
    for (const auto& frame : {object(members), combined(object(members))}) {
      INFO(frame);
      sv::trade t;
      CHECK(decode_exact(dec, frame, t) == decode_status::missing_field);
      CHECK(dec.detail() == std::string{"missing field "} + key);
    }
  }
  // M is optional ("ignore" in Binance's docs).
  auto members = valid_members();
  members.pop_back();
  sv::trade t;
  CHECK(decode_exact(dec, object(members), t) == decode_status::ok);
  // An object with no aggTrade fields at all is not an aggTrade.
  CHECK(decode_exact(dec, "{}", t) == decode_status::unknown_event);
  CHECK(decode_exact(dec, R"({"stream":"x","data":{}})", t)
        == decode_status::unknown_event);
}

TEST_CASE(
  "the decoder reports a value of the wrong type as a mistyped field by name",
  "[frame_decoder]") {
  struct row {
    const char* key;
    const char* value;
    const char* detail;
  };
  const row rows[] = {
    {"a", R"("123")", "field a: not an unsigned 64-bit integer"},
    {"a", "-1", "field a: not an unsigned 64-bit integer"},
    {"a", "1.0", "field a: not an unsigned 64-bit integer"},
    {"a", "1e3", "field a: not an unsigned 64-bit integer"},
    {"a", "18446744073709551616",
     "field a: not an unsigned 64-bit integer"}, // 2^64
    {"a", "[1]", "field a: not an unsigned 64-bit integer"},
    {"a", R"({"v":1})", "field a: not an unsigned 64-bit integer"},
    {"f", "true", "field f: not an unsigned 64-bit integer"},
    {"l", "null", "field l: not an unsigned 64-bit integer"},
    {"E", R"("1616176861895")",
     "field E: not a non-negative integer of at most 16 digits"},
    {"E", "-1616176861895",
     "field E: not a non-negative integer of at most 16 digits"},
    {"E", "10000000000000000",
     "field E: not a non-negative integer of at most 16 digits"},
    {"T", "1616176861893.5",
     "field T: not a non-negative integer of at most 16 digits"},
    {"T", "99999999999999999999999",
     "field T: not a non-negative integer of at most 16 digits"},
    {"m", "1", "field m: not a bool"},
    {"m", R"("true")", "field m: not a bool"},
    {"m", "null", "field m: not a bool"},
    {"M", "0", "field M: not a bool"},
    {"p", "58942.01", "field p: not a decimal string"},
    {"p", R"("58942.010000001")",
     "field p: not a decimal"}, // 9 fractional digits
    {"p", R"("-1.0")", "field p: not a decimal"},
    {"p", R"("1e5")", "field p: not a decimal"},
    {"p", R"("")", "field p: not a decimal"},
    {"p", R"("92233720368.54775808")",
     "field p: not a decimal"}, // INT64_MAX + 1 units
    {"q", R"("0.000356001")", "field q: not a decimal"},
    {"q", "null", "field q: not a decimal string"},
    {"s", "123", "field s: not a string"},
    {"s", R"(["BTCUSDT"])", "field s: not a string"},
    {"e", "1", "field e: not a string"},
  };
  sv::frame_decoder dec{"BTCUSDT"};
  for (const auto& r : rows) {
    for (const auto& frame :
         {with(r.key, r.value), combined(with(r.key, r.value))}) {
      INFO(frame);
      sv::trade t;
      CHECK(decode_exact(dec, frame, t) == decode_status::mistyped_field);
      CHECK(dec.detail() == r.detail);
    }
  }
  sv::trade t;
  CHECK(decode_exact(dec, R"({"stream":5,"data":)" + valid_frame + "}", t)
        == decode_status::mistyped_field);
  CHECK(dec.detail() == "field stream: not a string");
  CHECK(decode_exact(dec, R"({"stream":"x","data":"x"})", t)
        == decode_status::mistyped_field);
  CHECK(dec.detail() == "field data: not an object");
  CHECK(decode_exact(dec, R"({"stream":"x","data":[)" + valid_frame + "]}", t)
        == decode_status::mistyped_field);
}

TEST_CASE(
  "the decoder accepts the full uint64 id range and 16-digit microsecond times",
  "[frame_decoder]") {
  auto members = valid_members();
  for (auto& m : members) {
    if (m.first == "a" || m.first == "f" || m.first == "l")
      m.second = "18446744073709551615";
    if (m.first == "E" || m.first == "T")
      m.second = "9999999999999999";
  }
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  REQUIRE(decode_exact(dec, object(members), t) == decode_status::ok);
  CHECK(t.agg_id == UINT64_MAX);
  CHECK(t.first_id == UINT64_MAX);
  CHECK(t.last_id == UINT64_MAX);
  CHECK(t.event_time_ms == 9'999'999'999'999'999);
  CHECK(t.trade_time_ms == 9'999'999'999'999'999);
  REQUIRE(decode_exact(dec, with("E", "0"), t) == decode_status::ok);
  CHECK(t.event_time_ms == 0);
  REQUIRE(decode_exact(dec, with("p", R"("92233720368.54775807")"), t)
          == decode_status::ok);
  CHECK(t.price_e8 == INT64_MAX);
}

TEST_CASE(
  "the decoder reports an event other than aggTrade as unknown even when its "
  "fields would be mistyped",
  "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  CHECK(decode_exact(dec,
                     R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,)"
                     R"("b":[["1.0","2"]],"a":[]})",
                     t)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "unknown event e=depthUpdate");
  CHECK(decode_exact(dec, R"({"a":[],"e":"depthUpdate"})", t)
        == decode_status::unknown_event);
  CHECK(decode_exact(
          dec, R"({"code":-1003,"msg":"Too much request weight used"})", t)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "not an aggTrade: error code -1003");
  CHECK(decode_exact(
          dec, R"({"id":2,"error":{"code":2,"msg":"Invalid request"}})", t)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "not an aggTrade: error code 2");
}

TEST_CASE("the decoder never accepts a frame truncated at any byte offset",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  for (const auto& frame : {valid_frame, combined(valid_frame)}) {
    for (std::size_t n = 0; n < frame.size(); ++n) {
      INFO("prefix " << n << ": " << frame.substr(0, n));
      sv::trade t;
      CHECK(decode_exact(dec, std::string_view{frame}.substr(0, n), t)
            == decode_status::malformed_json);
      CHECK(starts_with(dec.detail(), "malformed JSON at offset "));
    }
  }
}

TEST_CASE("the decoder reads nothing past the end of the frame view",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  // The bytes after the view would complete (or spoil) the object if they were
  // read.
  std::string buffer = valid_frame + "garbage";
  CHECK(dec.decode(std::string_view{buffer}.substr(0, valid_frame.size()), t)
        == decode_status::ok);
  std::string cut = valid_frame + "}";
  CHECK(dec.decode(std::string_view{cut}.substr(0, valid_frame.size() - 1), t)
        == decode_status::malformed_json);
}

TEST_CASE(
  "the decoder names the offset and RapidJSON's reason for malformed JSON",
  "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  CHECK(decode_exact(dec, R"({"e":"aggTrade","E"1})", t)
        == decode_status::malformed_json);
  CHECK(dec.detail()
        == "malformed JSON at offset 19: Missing a colon after a name of "
           "object member.");
  CHECK(decode_exact(dec, "", t) == decode_status::malformed_json);
  CHECK(dec.detail() == "malformed JSON at offset 0: The document is empty.");
}

TEST_CASE(
  "the decoder reads frames larger than the buffer it keeps between decodes",
  "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  auto body = valid_frame.substr(1, valid_frame.size() - 2);
  std::string big = R"({"pad":")" + std::string(100'000, 'x') + R"(",)" + body
                    + "}";
  for (int i = 0; i < 2; ++i) {
    sv::trade t;
    REQUIRE(decode_exact(dec, big, t) == decode_status::ok);
    check_valid(t);
    sv::trade u;
    REQUIRE(decode_exact(dec, valid_frame, u) == decode_status::ok);
    check_valid(u);
  }
  sv::trade t;
  CHECK(decode_exact(dec, std::string_view{big}.substr(0, big.size() - 1), t)
        == decode_status::malformed_json);
}

TEST_CASE(
  "the decoder rejects trailing bytes after the object but allows whitespace",
  "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  for (const std::string& tail :
       {std::string{"x"}, std::string{"{}"}, std::string{","},
        std::string{" 1"}, std::string{"\0", 1}, std::string{"\0x", 2},
        std::string{"}"}}) {
    INFO("tail: " << tail);
    CHECK(decode_exact(dec, valid_frame + tail, t)
          == decode_status::malformed_json);
    CHECK(decode_exact(dec, combined(valid_frame) + tail, t)
          == decode_status::malformed_json);
  }
  CHECK(dec.detail()
        == "malformed JSON at offset "
             + std::to_string(combined(valid_frame).size())
             + ": trailing characters after the object");
  CHECK(decode_exact(dec, valid_frame + " \r\n\t", t) == decode_status::ok);
}

TEST_CASE("the decoder rejects a top level that is not an object",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  for (const char* frame : {"[]", "[", "\"aggTrade\"", "1", "-1", "1.5", "null",
                            "true", "false", "   ", "[{\"e\":\"aggTrade\"}]"}) {
    INFO(frame);
    CHECK(decode_exact(dec, frame, t) == decode_status::malformed_json);
  }
}

TEST_CASE("the decoder rejects a duplicated aggTrade field and a frame mixing "
          "raw fields "
          "with data",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  auto body = valid_frame.substr(1, valid_frame.size() - 2);
  CHECK(decode_exact(dec, "{" + body + R"(,"a":1})", t)
        == decode_status::malformed_json);
  CHECK(dec.detail().find("duplicate field a") != std::string::npos);
  CHECK(decode_exact(dec, "{" + body + R"(,"data":)" + valid_frame + "}", t)
        == decode_status::malformed_json);
  CHECK(decode_exact(dec, R"({"data":)" + valid_frame + "," + body + "}", t)
        == decode_status::malformed_json);
  // Duplicate unknown keys do not matter.
  CHECK(decode_exact(dec, R"({"x":1,"x":2,)" + body + "}", t)
        == decode_status::ok);
}

TEST_CASE("the decoder rejects deep nesting without exhausting the stack",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  sv::trade t;
  const std::size_t levels = 200'000;
  std::string deep = R"({"x":)" + std::string(levels, '[')
                     + std::string(levels, ']') + "}";
  CHECK(decode_exact(dec, deep, t) == decode_status::malformed_json);
  CHECK(dec.detail().find("nested deeper") != std::string::npos);
  CHECK(decode_exact(dec, std::string(levels, '['), t)
        == decode_status::malformed_json);
  // 31 levels inside the root are fine.
  std::string ok_nesting = "{" + valid_frame.substr(1, valid_frame.size() - 2)
                           + R"(,"x":)" + std::string(31, '[')
                           + std::string(31, ']') + "}";
  CHECK(decode_exact(dec, ok_nesting, t) == decode_status::ok);
}

TEST_CASE("the decoder survives 200k random mutations of a valid frame",
          "[frame_decoder]") {
  sv::frame_decoder dec{"BTCUSDT"};
  std::mt19937 rng{7};
  static const char chars[] = "{}[]\":,.-+eE0123456789 \\uatfnlrx\0\xff";
  const std::string alphabet(chars, sizeof(chars) - 1); // keeps the NUL
  const std::string base = combined(valid_frame);
  int ok = 0;
  for (int i = 0; i < 200'000; ++i) {
    std::string frame = base;
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      auto pos = rng() % frame.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          frame[pos] = c;
          break;
        case 1:
          frame.erase(pos, 1);
          break;
        default:
          frame.insert(pos, 1, c);
          break;
      }
    }
    sv::trade t;
    auto status = decode_exact(dec, frame, t);
    if (status == decode_status::ok) {
      ++ok;
      CHECK(t.symbol == "BTCUSDT");
      CHECK(dec.detail().empty());
    } else {
      CHECK_FALSE(dec.detail().empty());
    }
  }
  // Some mutations (inside digits, whitespace) stay valid; most do not.
  CHECK(ok > 0);
  CHECK(ok < 200'000);
}
