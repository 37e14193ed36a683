// depth_decoder_test: the depthUpdate and REST depth decoders on Binance fixtures and bad input.
#include "actors/wire/depth_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
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

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

/// Checks decoded levels against the DOM's `[["p","q"],...]`; returns how many
/// have quantity 0.
int check_levels(const std::vector<sv::price_level>& got,
                 const rapidjson::Value& want) {
  REQUIRE(want.IsArray());
  REQUIRE(got.size() == want.Size());
  int zeros = 0;
  for (rapidjson::SizeType i = 0; i < want.Size(); ++i) {
    const char* price = want[i][0].GetString();
    const char* qty = want[i][1].GetString();
    INFO("level " << i << ": " << price << " " << qty);
    CHECK(got[i].price_e8 == e8(price));
    CHECK(got[i].qty_e8 == e8(qty));
    // Binance sends 8 decimals, so formatting reproduces the text exactly.
    CHECK(sv::format_e8(got[i].price_e8) == price);
    CHECK(sv::format_e8(got[i].qty_e8) == qty);
    zeros += got[i].qty_e8 == 0 ? 1 : 0;
  }
  return zeros;
}

/// Checks a decoded event against the DOM of its payload; returns the number
/// of zero-quantity levels.
int check_event(const sv::depth_update& u, const rapidjson::Value& data) {
  CHECK(u.symbol == data["s"].GetString());
  CHECK(u.event_time_ms == data["E"].GetInt64());
  CHECK(u.first_update_id == data["U"].GetUint64());
  CHECK(u.final_update_id == data["u"].GetUint64());
  return check_levels(u.bids, data["b"]) + check_levels(u.asks, data["a"]);
}

/// NKNUSDT line 2 of depthUpdate-samples.jsonl, as members.
std::vector<member> valid_members() {
  return {{"e", R"("depthUpdate")"},
          {"E", "1633998512568"},
          {"s", R"("NKNUSDT")"},
          {"U", "499869753"},
          {"u", "499869754"},
          {"b", R"([["0.35170000","4265.00000000"]])"},
          {"a", R"([["0.35290000","10968.00000000"]])"}};
}

const std::string valid_frame = object(valid_members());

std::string with(const std::string& key, const std::string& value) {
  auto members = valid_members();
  for (auto& m : members)
    if (m.first == key)
      m.second = value;
  return object(members);
}

std::string without(const std::string& key) {
  auto members = valid_members();
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const member& m) { return m.first == key; }),
                members.end());
  return object(members);
}

std::string combined(const std::string& data) {
  return R"({"stream":"nknusdt@depth@100ms","data":)" + data + "}";
}

void check_valid(const sv::depth_update& u) {
  CHECK(u.symbol == "NKNUSDT");
  CHECK(u.event_time_ms == 1633998512568);
  CHECK(u.first_update_id == 499869753);
  CHECK(u.final_update_id == 499869754);
  CHECK(u.bids == std::vector<sv::price_level>{{35'170'000, 426'500'000'000}});
  CHECK(u.asks
        == std::vector<sv::price_level>{{35'290'000, 1'096'800'000'000}});
}

} // namespace

// -- fixtures -----------------------------------------------------------------

TEST_CASE("every depthUpdate sample decodes into the values an independent DOM "
          "parse finds",
          "[depth_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  struct file {
    const char* name;
    const char* symbol;
    std::size_t lines;
    int zeros; // SOURCES.md
    std::uint64_t first_U;
    std::uint64_t last_u;
  };
  for (const file& f : {file{"/depthUpdate-samples.jsonl", "NKNUSDT", 150, 28,
                             499869750, 499870179},
                        file{"/depthUpdate-samples-BADGERBTC.jsonl",
                             "badgerbtc", 78, 34, 49759187, 49759280}}) {
    INFO(f.name);
    auto lines = sv::test::read_lines(dir + f.name);
    REQUIRE(lines.size() == f.lines);
    sv::depth_decoder dec{f.symbol};
    sv::depth_update u; // reused: its vectors must not keep old levels
    int zeros = 0;
    int one_side_empty = 0;
    std::uint64_t previous_u = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& line = lines[i];
      INFO("line " << i + 1 << ": " << line);
      rapidjson::Document doc;
      doc.Parse(line.c_str(), line.size());
      REQUIRE_FALSE(doc.HasParseError());
      REQUIRE(decode_exact(dec, line, u) == decode_status::ok);
      CHECK(dec.detail().empty());
      zeros += check_event(u, doc);
      one_side_empty += u.bids.empty() || u.asks.empty() ? 1 : 0;
      if (i == 0)
        CHECK(u.first_update_id == f.first_U);
      else
        CHECK(u.first_update_id == previous_u + 1); // contiguous capture
      previous_u = u.final_update_id;
    }
    CHECK(previous_u == f.last_u);
    CHECK(zeros == f.zeros);
    if (f.lines == 150)
      CHECK(one_side_empty == 99); // SOURCES.md
  }
}

TEST_CASE("the combined-stream depth frames decode and every other stream is "
          "an unknown event",
          "[depth_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  auto lines = sv::test::read_lines(dir + "/combined-stream-samples.jsonl");
  REQUIRE(lines.size() == 265);
  int depth = 0;
  int others = 0;
  for (const auto& line : lines) {
    INFO(line);
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    REQUIRE_FALSE(doc.HasParseError());
    const auto& data = doc["data"];
    const std::string stream = doc["stream"].GetString();
    sv::depth_decoder dec{data.HasMember("s") ? data["s"].GetString()
                                              : "NKNUSDT"};
    sv::depth_update u;
    auto status = decode_exact(dec, line, u);
    if (contains(stream, "@depth")) {
      ++depth;
      REQUIRE(status == decode_status::ok);
      check_event(u, data);
      // The same payload unwrapped, as /ws/<stream> delivers it.
      sv::depth_update raw;
      REQUIRE(decode_exact(dec, to_json(data), raw) == decode_status::ok);
      check_event(raw, data);
    } else {
      ++others;
      CHECK(status == decode_status::unknown_event);
      CHECK(starts_with(dec.detail(), data.HasMember("e")
                                        ? "unknown event e="
                                        : "not a depthUpdate"));
    }
  }
  CHECK(depth == 177);
  CHECK(others == 88);
}

TEST_CASE("the REST depth snapshots decode with the level counts and ids "
          "SOURCES.md gives, equal to a DOM parse",
          "[depth_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  struct file {
    const char* name;
    const char* symbol;
    std::size_t bids;
    std::size_t asks;
    std::uint64_t id;
  };
  for (const file& f : {file{"/depth-snapshot-NKNUSDT-limit1000.json",
                             "NKNUSDT", 609, 1000, 499869752},
                        file{"/depth-snapshot-BADGERBTC-limit5000.json",
                             "BADGERBTC", 440, 1301, 49759189},
                        file{"/depth-snapshot-BTCUSDT-limit10.json", "BTCUSDT",
                             10, 10, 14527958487}}) {
    INFO(f.name);
    auto body = sv::test::read_file(dir + f.name);
    sv::depth_snapshot s;
    std::string error = "stale";
    REQUIRE(sv::decode_depth_snapshot(body, f.symbol, s, error));
    CHECK(error.empty());
    CHECK(s.symbol == f.symbol);
    CHECK(s.last_update_id == f.id);
    CHECK(s.bids.size() == f.bids);
    CHECK(s.asks.size() == f.asks);
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    REQUIRE(doc.IsObject());
    CHECK(s.last_update_id == doc["lastUpdateId"].GetUint64());
    check_levels(s.bids, doc["bids"]);
    check_levels(s.asks, doc["asks"]);
    // Best first, as sent: bids fall and asks rise, and the book is not crossed.
    for (std::size_t i = 1; i < s.bids.size(); ++i)
      CHECK(s.bids[i].price_e8 < s.bids[i - 1].price_e8);
    for (std::size_t i = 1; i < s.asks.size(); ++i)
      CHECK(s.asks[i].price_e8 > s.asks[i - 1].price_e8);
    CHECK(s.bids.front().price_e8 < s.asks.front().price_e8);
  }
}

TEST_CASE("the documentation's depthUpdate and REST depth examples decode "
          "with fewer than 8 decimals",
          "[depth_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = sv::test::read_file(dir + "/doc-examples.json");
  doc.Parse(text.c_str(), text.size());
  REQUIRE(doc.IsObject());
  sv::depth_decoder dec{"BNBBTC"};
  sv::depth_update u;
  REQUIRE(decode_exact(dec, to_json(doc["depthUpdate"]), u)
          == decode_status::ok);
  CHECK(u.first_update_id == 157);
  CHECK(u.final_update_id == 160);
  CHECK(u.bids == std::vector<sv::price_level>{{e8("0.0024"), e8("10")}});
  CHECK(u.asks == std::vector<sv::price_level>{{e8("0.0026"), e8("100")}});
  sv::depth_snapshot s;
  std::string error;
  REQUIRE(
    sv::decode_depth_snapshot(to_json(doc["rest_depth"]), "BNBBTC", s, error));
  CHECK(s.last_update_id == 1027024);
  CHECK(s.asks == std::vector<sv::price_level>{{400'000'200, 1'200'000'000}});
  // The other examples are no depthUpdate.
  for (const char* name :
       {"aggTrade", "trade", "partialDepth", "bookTicker", "rest_depth"}) {
    INFO(name);
    CHECK(decode_exact(dec, to_json(doc[name]), u)
          == decode_status::unknown_event);
  }
}

TEST_CASE("other raw streams, control replies, error bodies and serverShutdown "
          "are unknown events",
          "[depth_decoder][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  for (const char* name :
       {"/aggTrade-samples.jsonl", "/bookTicker-samples.jsonl",
        "/partial-depth-samples.jsonl", "/trade-samples.jsonl"}) {
    for (const auto& line : sv::test::read_lines(dir + name)) {
      INFO(name << ": " << line);
      CHECK(decode_exact(dec, line, u) == decode_status::unknown_event);
    }
  }
  rapidjson::Document doc;
  auto text = sv::test::read_file(dir + "/ws-control-messages.json");
  doc.Parse(text.c_str(), text.size());
  REQUIRE(doc.IsObject());
  int frames = 0;
  for (const auto& m : doc.GetObject()) {
    if (!m.value.IsObject())
      continue; // _source
    const rapidjson::Value& v
      = m.value.HasMember("response") ? m.value["response"] : m.value;
    ++frames;
    auto frame = to_json(v);
    INFO(m.name.GetString() << ": " << frame);
    CHECK(decode_exact(dec, frame, u) == decode_status::unknown_event);
    if (starts_with(m.name.GetString(), "server_shutdown"))
      CHECK(contains(dec.detail(), "serverShutdown"));
    else
      CHECK(starts_with(dec.detail(), "not a depthUpdate: control reply id="));
  }
  CHECK(frames == 7);
  auto errors_text = sv::test::read_file(dir + "/error-responses.json");
  rapidjson::Document errors;
  errors.Parse(errors_text.c_str(), errors_text.size());
  REQUIRE(errors.IsArray());
  int bodies = 0;
  for (const auto& entry : errors.GetArray()) {
    if (!entry.HasMember("body") || !entry["body"].IsObject())
      continue;
    ++bodies;
    auto frame = to_json(entry["body"]);
    INFO(frame);
    CHECK(decode_exact(dec, frame, u) == decode_status::unknown_event);
    CHECK(starts_with(dec.detail(), "not a depthUpdate: error"));
    CHECK(decode_exact(dec, combined(frame), u)
          == decode_status::unknown_event);
  }
  CHECK(bodies == 10);
}

// -- synthetic frames -----------------------------------------------------------

TEST_CASE("a raw frame and the same frame in a combined wrapper decode alike, "
          "with keys in any order",
          "[depth_decoder]") {
  sv::depth_decoder dec{"nknusdt"};
  sv::depth_update u;
  REQUIRE(decode_exact(dec, valid_frame, u) == decode_status::ok);
  check_valid(u);
  CHECK(dec.detail().empty());
  REQUIRE(decode_exact(dec, combined(valid_frame), u) == decode_status::ok);
  check_valid(u);
  auto members = valid_members();
  std::reverse(members.begin(), members.end());
  members.emplace_back("x",
                       R"({"e":"kline","b":5})"); // unknown keys are skipped
  REQUIRE(
    decode_exact(
      dec, R"({"data":)" + object(members) + R"(,"stream":"whatever"})", u)
    == decode_status::ok);
  check_valid(u);
}

TEST_CASE("a reused update keeps no levels from the previous frame",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  u.symbol = "STALE";
  REQUIRE(decode_exact(dec, valid_frame, u) == decode_status::ok);
  REQUIRE(decode_exact(dec, with("b", "[]"), u) == decode_status::ok);
  CHECK(u.bids.empty());
  CHECK(u.asks.size() == 1);
  CHECK(u.symbol == "NKNUSDT");
}

TEST_CASE("a frame truncated at any byte offset is malformed JSON and says "
          "where",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  for (const auto& frame : {valid_frame, combined(valid_frame)}) {
    for (std::size_t n = 0; n < frame.size(); ++n) {
      INFO("prefix " << n << ": " << frame.substr(0, n));
      sv::depth_update u;
      CHECK(decode_exact(dec, std::string_view{frame}.substr(0, n), u)
            == decode_status::malformed_json);
      CHECK(starts_with(dec.detail(), "malformed JSON at offset "));
    }
  }
}

TEST_CASE("other malformed input is malformed JSON: not an object, trailing "
          "bytes, an embedded NUL, a field given twice",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  struct row {
    std::string frame;
    const char* detail;
  };
  const row rows[] = {
    {"[]", "malformed JSON at offset 0: not a JSON object"},
    {"\"depthUpdate\"", "malformed JSON at offset 0: not a JSON object"},
    {valid_frame + " x", "malformed JSON at offset "},
    {valid_frame + std::string{"\0{}", 3}, "malformed JSON at offset "},
    {R"({"s":"NKN)" + std::string{"\0", 1} + R"(USDT"})",
     "malformed JSON at offset 9: NUL byte"},
    {valid_frame.substr(0, valid_frame.size() - 1) + R"(,"U":1})",
     "malformed JSON: duplicate field U"},
    {combined(valid_frame.substr(0, valid_frame.size() - 1) + R"(,"b":[]})"),
     "malformed JSON: duplicate field b"},
    {R"({"stream":"a","stream":"b","data":)" + valid_frame + "}",
     "malformed JSON: duplicate field stream"},
    {R"({"e":"depthUpdate","data":)" + valid_frame + "}",
     "malformed JSON: frame mixes depthUpdate fields with a data object"},
  };
  for (const auto& r : rows) {
    INFO(r.frame);
    CHECK(decode_exact(dec, r.frame, u) == decode_status::malformed_json);
    CHECK(starts_with(dec.detail(), r.detail));
  }
}

TEST_CASE("deeply nested junk costs no stack: it is skipped under an unknown "
          "key and refused when truncated",
          "[depth_decoder]") {
  constexpr std::size_t nesting = 200'000;
  const std::string junk = std::string(nesting, '[')
                           + std::string(nesting, ']');
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  auto members = valid_members();
  members.emplace_back("x", junk);
  REQUIRE(decode_exact(dec, object(members), u) == decode_status::ok);
  check_valid(u);
  CHECK(decode_exact(dec, R"({"x":)" + junk.substr(0, nesting + 10), u)
        == decode_status::malformed_json);
}

TEST_CASE("each removed field is reported as missing by name, except e which "
          "makes the frame no depthUpdate",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  for (const char* key : {"E", "s", "U", "u", "b", "a"}) {
    for (const auto& frame : {without(key), combined(without(key))}) {
      INFO(frame);
      CHECK(decode_exact(dec, frame, u) == decode_status::missing_field);
      CHECK(dec.detail() == std::string{"missing field "} + key);
    }
  }
  CHECK(decode_exact(dec, without("e"), u) == decode_status::unknown_event);
  CHECK(dec.detail() == "not a depthUpdate: no field e");
  CHECK(decode_exact(dec, "{}", u) == decode_status::unknown_event);
  CHECK(decode_exact(dec, R"({"stream":"x","data":{}})", u)
        == decode_status::unknown_event);
}

TEST_CASE("a value of the wrong type is a mistyped field named in detail()",
          "[depth_decoder]") {
  struct row {
    const char* key;
    const char* value;
    const char* detail;
  };
  const row rows[] = {
    {"e", "1", "field e: not a string"},
    {"E", R"("1633998512568")",
     "field E: not a non-negative integer of at most 16 digits"},
    {"E", "-1", "field E: not a non-negative integer of at most 16 digits"},
    {"E", "10000000000000000",
     "field E: not a non-negative integer of at most 16 digits"},
    {"E", "1.5", "field E: not a non-negative integer of at most 16 digits"},
    {"s", "5", "field s: not a string"},
    {"U", R"("499869753")", "field U: not an unsigned 64-bit integer"},
    {"U", "-1", "field U: not an unsigned 64-bit integer"},
    {"u", "18446744073709551616", "field u: not an unsigned 64-bit integer"},
    {"u", "null", "field u: not an unsigned 64-bit integer"},
    {"b", "{}", "field b: not an array of levels"},
    {"a", R"("0.35")", "field a: not an array of levels"},
    {"b", R"([["0.35170000"]])",
     "field b[0]: not a [price, quantity] array of 2 strings"},
    {"b", R"([["0.1","1"],["0.35170000","1","2"]])",
     "field b[1]: not a [price, quantity] array of 2 strings"},
    {"a", R"([[0.3529,"1"]])",
     "field a[0]: not a [price, quantity] array of 2 strings"},
    {"a", R"(["0.3529"])",
     "field a[0]: not a [price, quantity] array of 2 strings"},
    {"b", R"([["0.351700001","1"]])",
     R"(field b[0]: price "0.351700001" is not an 8-decimal string)"},
    {"b", R"([["-0.35","1"]])",
     R"(field b[0]: price "-0.35" is not an 8-decimal string)"},
    {"a", R"([["0.35","1e3"]])",
     R"(field a[0]: quantity "1e3" is not an 8-decimal string)"},
    {"a", R"([["0.35",""]])",
     R"(field a[0]: quantity "" is not an 8-decimal string)"},
    {"a", R"([["0.35","92233720368.54775808"]])",
     R"(field a[0]: quantity "92233720368.54775808" is not an 8-decimal string)"},
    {"U", "499869755", "field U: U=499869755 is greater than u=499869754"},
  };
  sv::depth_decoder dec{"NKNUSDT"};
  for (const auto& r : rows) {
    for (const auto& frame :
         {with(r.key, r.value), combined(with(r.key, r.value))}) {
      INFO(frame);
      sv::depth_update u;
      CHECK(decode_exact(dec, frame, u) == decode_status::mistyped_field);
      CHECK(dec.detail() == r.detail);
    }
  }
  sv::depth_update u;
  CHECK(decode_exact(dec, R"({"stream":5,"data":)" + valid_frame + "}", u)
        == decode_status::mistyped_field);
  CHECK(dec.detail() == "field stream: not a string");
  CHECK(decode_exact(dec, R"({"stream":"x","data":[)" + valid_frame + "]}", u)
        == decode_status::mistyped_field);
  CHECK(dec.detail() == "field data: not an object");
  // A long bad decimal is cut short in detail().
  CHECK(decode_exact(
          dec, with("b", R"([[")" + std::string(100, 'x') + R"(","1"]])"), u)
        == decode_status::mistyped_field);
  CHECK(dec.detail().size() < 100);
  // A mistyped field wins over a missing one.
  auto frame = without("a");
  frame.replace(frame.find("499869753"), 9, "\"x\"");
  CHECK(decode_exact(dec, frame, u) == decode_status::mistyped_field);
  CHECK(dec.detail() == "field U: not an unsigned 64-bit integer");
}

TEST_CASE("U == u, quantity 0, empty sides, full 64-bit ids and microsecond "
          "times decode",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  auto members = valid_members();
  members[1].second = "9999999999999999";
  members[3].second = "18446744073709551615";
  members[4].second = "18446744073709551615";
  members[5].second = R"([["0.35170000","0.00000000"],["0.1","0"]])";
  members[6].second = "[]";
  REQUIRE(decode_exact(dec, object(members), u) == decode_status::ok);
  CHECK(u.event_time_ms == 9'999'999'999'999'999);
  CHECK(u.first_update_id == UINT64_MAX);
  CHECK(u.final_update_id == UINT64_MAX);
  CHECK(u.bids
        == std::vector<sv::price_level>{{35'170'000, 0}, {10'000'000, 0}});
  CHECK(u.asks.empty());
}

TEST_CASE("a frame for another symbol is a symbol mismatch, ignoring case",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  REQUIRE(decode_exact(dec, with("s", R"("nknUSDT")"), u) == decode_status::ok);
  CHECK(u.symbol == "NKNUSDT");
  CHECK(decode_exact(dec, with("s", R"("ETHUSDT")"), u)
        == decode_status::symbol_mismatch);
  CHECK(dec.detail() == "symbol mismatch s=ETHUSDT expected NKNUSDT");
  CHECK(decode_exact(dec, combined(with("s", R"("NKNUSD")")), u)
        == decode_status::symbol_mismatch);
  // Every other problem is reported first.
  CHECK(decode_exact(dec, without("U").replace(1, 0, R"("s":"X",)"), u)
        == decode_status::malformed_json); // s given twice
  auto other = with("s", R"("ETHUSDT")");
  CHECK(decode_exact(dec, other.replace(other.find("499869753"), 9, "1.5"), u)
        == decode_status::mistyped_field);
}

TEST_CASE("an aggTrade, a serverShutdown and a control reply are unknown "
          "events whose detail names them",
          "[depth_decoder]") {
  sv::depth_decoder dec{"NKNUSDT"};
  sv::depth_update u;
  CHECK(decode_exact(dec,
                     R"({"e":"aggTrade","E":1,"s":"NKNUSDT","a":1,"p":"0.1",)"
                     R"("q":"1","f":1,"l":1,"T":1,"m":true,"M":true})",
                     u)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "unknown event e=aggTrade");
  CHECK(decode_exact(dec, R"({"e":"serverShutdown","E":1770123456789})", u)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "unknown event e=serverShutdown");
  CHECK(
    decode_exact(dec,
                 R"({"stream":"!serverShutdown","data":{"e":"serverShutdown",)"
                 R"("E":1770123456789}})",
                 u)
    == decode_status::unknown_event);
  CHECK(dec.detail() == "unknown event e=serverShutdown");
  // An unknown event wins even over mistyped fields and wrapper faults.
  CHECK(decode_exact(dec,
                     R"({"stream":5,"data":{"e":"serverShutdown","U":"x"}})", u)
        == decode_status::unknown_event);
  CHECK(decode_exact(dec, R"({"result":null,"id":7})", u)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "not a depthUpdate: control reply id=7");
  CHECK(decode_exact(
          dec, R"({"code":-1003,"msg":"Too much request weight used"})", u)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "not a depthUpdate: error code -1003");
  CHECK(decode_exact(
          dec, R"({"id":2,"error":{"code":2,"msg":"Invalid request"}})", u)
        == decode_status::unknown_event);
  CHECK(dec.detail() == "not a depthUpdate: error code 2");
}

TEST_CASE("a malformed snapshot body is refused with an error naming the "
          "field",
          "[depth_decoder]") {
  const std::string valid
    = R"({"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]})";
  sv::depth_snapshot s;
  std::string error;
  REQUIRE(sv::decode_depth_snapshot(valid, "BNBBTC", s, error));
  CHECK(s.symbol == "BNBBTC");
  CHECK(s.last_update_id == 160);
  struct row {
    std::string body;
    const char* error;
  };
  const row rows[] = {
    {valid.substr(0, 1), "malformed JSON at offset "},
    {valid.substr(0, 30), "malformed JSON at offset "},
    {valid.substr(0, valid.size() - 1), "malformed JSON at offset "},
    {"[]", "malformed JSON at offset 0: not a JSON object"},
    {R"({"bids":[],"asks":[]})", "missing field lastUpdateId"},
    {R"({"lastUpdateId":"160","bids":[],"asks":[]})",
     "field lastUpdateId: not an unsigned 64-bit integer"},
    {R"({"lastUpdateId":-1,"bids":[],"asks":[]})",
     "field lastUpdateId: not an unsigned 64-bit integer"},
    {R"({"lastUpdateId":160,"asks":[]})", "missing field bids"},
    {R"({"lastUpdateId":160,"bids":[]})", "missing field asks"},
    {R"({"lastUpdateId":160,"bids":{},"asks":[]})",
     "field bids: not an array of levels"},
    {R"({"lastUpdateId":160,"bids":[],"asks":[["0.0026"]]})",
     "field asks[0]: not a [price, quantity] array of 2 strings"},
    {R"({"lastUpdateId":160,"bids":[["0.0024","10"],["x","10"]],"asks":[]})",
     R"(field bids[1]: price "x" is not an 8-decimal string)"},
    {R"({"code":-1121,"msg":"Invalid symbol."})",
     R"(not a depth snapshot: error code -1121: "Invalid symbol.")"},
  };
  for (const auto& r : rows) {
    INFO(r.body);
    error.clear();
    CHECK_FALSE(sv::decode_depth_snapshot(r.body, "BNBBTC", s, error));
    CHECK(starts_with(error, r.error));
  }
}
