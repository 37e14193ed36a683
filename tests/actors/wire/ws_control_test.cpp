// ws_control_test: Binance's control messages and answers against the documented
// examples and observed replies in ../shared/fixtures/binance, and bad requests.
#include "actors/wire/ws_control.hpp"

#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tests/support/fixtures.hpp"

using namespace sv;

namespace {

/// `v` written compactly, so two JSON texts compare by value and key order.
std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

/// The answer a server gives to `frame`, or "" when it is a valid request.
control_error refusal_of(const std::string& frame) {
  control_error error;
  auto request = decode_control_request(frame, error);
  if (request)
    error.msg.clear();
  return error;
}

/// Binance's documented message template as a regex: "%s" stands for any text and
/// digits for any number (the docs' positions belong to their own example).
std::regex template_regex(const std::string& templ) {
  std::string pattern;
  for (char c : templ) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      if (pattern.size() < 6 || pattern.substr(pattern.size() - 6) != "[0-9]+")
        pattern += "[0-9]+";
    } else if (std::string{"\\^$.|?*+()[]{}"}.find(c) != std::string::npos) {
      pattern += std::string{"\\"} + c;
    } else {
      pattern += c;
    }
  }
  return std::regex{std::regex_replace(pattern, std::regex{"%s"}, ".+")};
}

/// Same JSON value, whatever the key order (RapidJSON compares objects by member).
bool same_json(const std::string& text, const rapidjson::Value& expected) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return !doc.HasParseError() && doc == expected;
}

const rapidjson::Value* find_fixture_entry(const rapidjson::Document& doc,
                                           const std::string& id) {
  for (const auto& x : doc.GetArray())
    if (x["id"].GetString() == id)
      return &x;
  return nullptr;
}

} // namespace

TEST_CASE("each documented control request decodes, re-encodes to the same "
          "JSON, and its documented answer is what the encoders write",
          "[ws_control][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = test::read_file(dir + "/ws-control-messages.json");
  doc.Parse(text.c_str());
  REQUIRE(doc.IsObject());
  int checked = 0;
  for (const char* name : {"subscribe", "unsubscribe", "list_subscriptions",
                           "set_property", "get_property"}) {
    INFO(name);
    const auto& example = doc[name];
    auto request_text = compact(example["request"]);
    control_error error;
    auto request = decode_control_request(request_text, error);
    REQUIRE(request);
    CHECK(encode_control_request(*request) == request_text);
    const auto& response = example["response"];
    const auto& result = response["result"];
    std::string answer;
    if (result.IsNull())
      answer = encode_result_null(request->id);
    else if (result.IsBool())
      answer = encode_result_bool(result.GetBool(), request->id);
    else
      answer = encode_result_list({"btcusdt@aggTrade"}, request->id);
    CHECK(answer == compact(response));
    control_answer read;
    REQUIRE(decode_control_answer(answer, read));
    CHECK(read.ok);
    CHECK(read.id == request->id);
    ++checked;
  }
  CHECK(checked == 5);
  const auto& sub = doc["subscribe"]["request"]["params"];
  control_error error;
  auto request = decode_control_request(compact(doc["subscribe"]["request"]),
                                        error);
  REQUIRE(request);
  REQUIRE(request->params.size() == sub.Size());
  CHECK(request->params[0] == "btcusdt@aggTrade");
  CHECK(request->params[1] == "btcusdt@depth");
  CHECK(request->method == control_method::subscribe);
}

TEST_CASE("the error answers Binance was seen sending are read with their "
          "code, message and id",
          "[ws_control][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = test::read_file(dir + "/error-responses.json");
  doc.Parse(text.c_str());
  REQUIRE(doc.IsArray());
  const auto* stream = find_fixture_entry(doc, "ws-invalid-stream-observed");
  const auto* json = find_fixture_entry(doc, "ws-invalid-json-observed");
  REQUIRE(stream != nullptr);
  REQUIRE(json != nullptr);
  control_answer read;
  REQUIRE(decode_control_answer(compact((*stream)["body"]), read));
  CHECK_FALSE(read.ok);
  CHECK(read.id == 2);
  CHECK(read.error_code == 2);
  CHECK(read.error_msg == "Invalid request: invalid stream");
  REQUIRE(decode_control_answer(compact((*json)["body"]), read));
  CHECK_FALSE(read.ok);
  CHECK(read.id == 0);
  CHECK(read.error_code == 3);
  // Our own error answers have the same shape and read back the same.
  control_error ours{2, "Invalid request: invalid stream", 2};
  CHECK(same_json(encode_control_error(ours), (*stream)["body"]));
  control_error no_id{3, "Invalid json", std::nullopt};
  CHECK(same_json(encode_control_error(no_id), (*json)["body"]));
}

TEST_CASE("bad requests get the answers of Binance's documented error table",
          "[ws_control][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = test::read_file(dir + "/error-responses.json");
  doc.Parse(text.c_str());
  const auto* table = find_fixture_entry(doc, "ws-doc-table");
  REQUIRE(table != nullptr);
  // One request per documented row, in the table's order, that earns that row
  // ("too many parameters" is the server's own limit; see the sim's tests).
  struct row_case {
    const char* request;
    bool has_id;
  };
  const std::vector<row_case> cases{
    {R"({"method":"GET_PROPERTY","params":["colour"],"id":7})", true},
    {R"({"method":"SET_PROPERTY","params":["combined","yes"],"id":7})", true},
    {R"({"method":"SET_PROPERTY","params":[5,true],"id":7})", true},
    {R"({"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":-1})", false},
    {R"({"method":"SUBSCRIBEX","params":["btcusdt@aggTrade"],"id":7})", true},
    {nullptr, false},
    {R"({"params":["btcusdt@aggTrade"],"id":7})", true},
    {R"({"method":"SUBSCRIBE","params":[btcusdt@aggTrade],"id":7})", false},
  };
  const auto& bodies = (*table)["bodies"];
  REQUIRE(bodies.Size() == cases.size());
  for (rapidjson::SizeType i = 0; i < bodies.Size(); ++i) {
    if (cases[i].request == nullptr)
      continue;
    INFO(cases[i].request);
    auto error = refusal_of(cases[i].request);
    std::string doc_msg = bodies[i]["msg"].GetString();
    CHECK(error.code == bodies[i]["code"].GetInt());
    CHECK(std::regex_match(error.msg, template_regex(doc_msg)));
    CHECK(error.id.has_value() == cases[i].has_id);
  }
}

TEST_CASE("malformed requests are refused with the offending place and never "
          "accepted",
          "[ws_control]") {
  CHECK(refusal_of("").msg
        == "Invalid JSON: EOF while parsing a value at line "
           "1 column 1");
  CHECK(refusal_of(R"({"method":"LIST_SUBSCRIPTIONS","id":1} x)").msg
        == "Invalid JSON: trailing characters at line 1 column 40");
  CHECK(refusal_of(
          std::string{"{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1}\0x", 40})
          .code
        == 3);
  CHECK(
    refusal_of("[1,2]").msg.rfind("Invalid request: expected a JSON object", 0)
    == 0);
  CHECK(refusal_of(R"({"method":"SUBSCRIBE","params":["a"]})").msg
        == "Invalid request: missing field `id` at line 1 column 37");
  CHECK(refusal_of(R"({"method":"SUBSCRIBE","params":["a"],"id":"1"})").msg
        == "Invalid request: request ID must be an unsigned integer");
  CHECK(refusal_of(R"({"method":"SUBSCRIBE","params":["a"],"id":1.5})").msg
        == "Invalid request: request ID must be an unsigned integer");
  CHECK(refusal_of(R"({"method":"SUBSCRIBE","id":1})").msg
        == "Invalid request: missing field `params` at line 1 column 29");
  CHECK(refusal_of(R"({"method":"SUBSCRIBE","params":"a","id":1})").msg
        == "Invalid request: invalid stream");
  CHECK(refusal_of(R"({"method":"UNSUBSCRIBE","params":["a",1],"id":1})").msg
        == "Invalid request: invalid stream");
  // The unknown variant's position is its closing quote, as serde reports it.
  CHECK(refusal_of(R"({"method":"NOPE","id":1})").msg
        == "Invalid request: unknown variant `NOPE`, expected one of "
           "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, "
           "`GET_PROPERTY` at line 1 column 16");
  CHECK(refusal_of(R"({"method":7,"id":1})")
          .msg.rfind("Invalid request: unknown variant ``", 0)
        == 0);
  CHECK(refusal_of("{\"method\":\n\"LIST\",\"id\":1}")
          .msg.find("at line 2 column 6")
        != std::string::npos);
  // Valid ones pass, whatever the key order and spacing.
  CHECK(refusal_of(R"( { "id" : 9 , "method" : "LIST_SUBSCRIPTIONS" } )")
          .msg.empty());
  CHECK(refusal_of(R"({"id":18446744073709551615,"method":"UNSUBSCRIBE",)"
                   R"("params":[]})")
          .msg.empty());
}

TEST_CASE("a stream name with quotes or control bytes is escaped in a request "
          "and reads back the same",
          "[ws_control]") {
  control_request x{control_method::subscribe, {"a\"b\\c\nd", "e"}, 42};
  auto text = encode_control_request(x);
  control_error error;
  auto back = decode_control_request(text, error);
  REQUIRE(back);
  CHECK(back->params == x.params);
  CHECK(back->id == 42);
  CHECK(encode_control_request({control_method::list_subscriptions, {}, 3})
        == R"({"method":"LIST_SUBSCRIPTIONS","id":3})");
}

TEST_CASE("answers are told from data frames: data frames are never read as "
          "answers, and answers without an id or a result are not answers",
          "[ws_control][fixtures]") {
  control_answer read;
  CHECK_FALSE(decode_control_answer(
    R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","a":1}})", read));
  CHECK_FALSE(decode_control_answer(R"({"e":"aggTrade","a":1})", read));
  CHECK_FALSE(decode_control_answer(R"({"result":null})", read));
  CHECK_FALSE(decode_control_answer(R"({"id":1})", read));
  CHECK_FALSE(
    decode_control_answer(R"({"result":null,"error":{},"id":1})", read));
  CHECK_FALSE(decode_control_answer(R"({"result":null,"id":"1"})", read));
  CHECK_FALSE(decode_control_answer("not json", read));
  REQUIRE(decode_control_answer(R"({"id":5,"result":["a","b"]})", read));
  CHECK(read.ok);
  CHECK(read.result == std::vector<std::string>{"a", "b"});
  SV_REQUIRE_FIXTURES(dir);
  int frames = 0;
  for (const auto& line :
       test::read_lines(dir + "/combined-stream-samples.jsonl")) {
    CHECK_FALSE(decode_control_answer(line, read));
    ++frames;
  }
  for (const auto& line : test::read_lines(dir + "/aggTrade-samples.jsonl"))
    CHECK_FALSE(decode_control_answer(line, read));
  CHECK(frames > 0);
}

TEST_CASE("the stream name of every captured combined frame is read from its "
          "prefix and equals the JSON's",
          "[ws_control][fixtures]") {
  CHECK(combined_stream_name(R"({"stream":"","data":{}})").empty());
  CHECK(combined_stream_name(R"({"stream":"a\"b","data":{}})").empty());
  CHECK(combined_stream_name(R"({"stream":"abc)").empty());
  CHECK(combined_stream_name(R"({ "stream":"abc","data":{}})").empty());
  CHECK(combined_stream_name(R"({"stream":"x@aggTrade","data":{}})")
        == "x@aggTrade");
  SV_REQUIRE_FIXTURES(dir);
  int checked = 0;
  for (const auto& line :
       test::read_lines(dir + "/combined-stream-samples.jsonl")) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    REQUIRE(doc.IsObject());
    CHECK(combined_stream_name(line) == doc["stream"].GetString());
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("the serverShutdown event is written byte for byte as Binance's, raw "
          "and as the combined \"!serverShutdown\" stream",
          "[ws_control][fixtures]") {
  auto combined = encode_server_shutdown(42, true);
  CHECK(combined_stream_name(combined) == "!serverShutdown");
  control_answer answer;
  CHECK_FALSE(decode_control_answer(combined, answer));
  SV_REQUIRE_FIXTURES(dir);
  rapidjson::Document doc;
  auto text = test::read_file(dir + "/ws-control-messages.json");
  doc.Parse(text.c_str());
  REQUIRE(doc.IsObject());
  auto stamp = doc["server_shutdown_raw"]["E"].GetInt64();
  CHECK(encode_server_shutdown(stamp, false)
        == compact(doc["server_shutdown_raw"]));
  CHECK(encode_server_shutdown(stamp, true)
        == compact(doc["server_shutdown_combined"]));
}
