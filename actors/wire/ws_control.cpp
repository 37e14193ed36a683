// ws_control: Binance's control messages with RapidJSON (Writer out, in-situ DOM in:
// control messages are rare and small, a few per second per socket at most).
#include "actors/wire/ws_control.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sv {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::array<std::pair<control_method, const char*>, 5> method_names{{
  {control_method::subscribe, "SUBSCRIBE"},
  {control_method::unsubscribe, "UNSUBSCRIBE"},
  {control_method::list_subscriptions, "LIST_SUBSCRIPTIONS"},
  {control_method::set_property, "SET_PROPERTY"},
  {control_method::get_property, "GET_PROPERTY"},
}};

/// The one property Binance's stream servers know.
constexpr std::string_view combined_property = "combined";

void write_string(json_writer& w, std::string_view x) {
  w.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
}

std::string finish(const rapidjson::StringBuffer& sb) {
  return std::string{sb.GetString(), sb.GetSize()};
}

/// " at line L column C" for the 1-based position of byte `offset` of `text`, as
/// Binance's (serde's) messages end.
std::string position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return " at line " + std::to_string(line) + " column "
         + std::to_string(offset - line_start + 1);
}

/// serde's words (Binance's server) for RapidJSON's parse errors.
const char* parse_error_text(rapidjson::ParseErrorCode code, std::size_t offset,
                             std::size_t size) {
  if (offset >= size)
    return "EOF while parsing a value";
  switch (code) {
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return "trailing characters";
    case rapidjson::kParseErrorObjectMissName:
      return "key must be a string";
    case rapidjson::kParseErrorObjectMissColon:
      return "expected `:`";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket:
      return "expected `,` or `}`";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket:
      return "expected `,` or `]`";
    default:
      return "expected value";
  }
}

/// Offset of the last non-blank byte of `text` (the object's closing brace).
std::size_t last_byte(std::string_view text) {
  auto end = text.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? 0 : end;
}

/// SUBSCRIBE/UNSUBSCRIBE: params must be an array of strings (each a stream name,
/// which the server then checks); Binance answers "invalid stream" otherwise.
bool read_stream_params(const rapidjson::Value& params,
                        std::vector<std::string>& out) {
  if (!params.IsArray())
    return false;
  out.reserve(params.Size());
  for (const auto& x : params.GetArray()) {
    if (!x.IsString())
      return false;
    out.emplace_back(x.GetString(), x.GetStringLength());
  }
  return true;
}

/// Reads one client request in three steps, each of which either succeeds or
/// fills `error` with Binance's answer: the JSON object, then id and method, then
/// the method's params.
class request_reader {
public:
  request_reader(std::string_view frame, control_error& error)
    : frame_(frame), text_(frame), error_(error) {
  }

  bool parse() {
    // In situ: the DOM's strings point into text_, which places the method's
    // value for the "unknown variant" position.
    doc_.ParseInsitu(text_.data());
    // In situ parsing stops at a NUL byte: one inside the frame is malformed.
    auto nul = frame_.find('\0');
    if (doc_.HasParseError() || nul != std::string_view::npos) {
      auto offset = nul != std::string_view::npos ? nul : doc_.GetErrorOffset();
      return refuse(3, std::string{"Invalid JSON: "}
                         + parse_error_text(doc_.GetParseError(), offset,
                                            frame_.size())
                         + position_of(frame_, offset));
    }
    if (!doc_.IsObject())
      return refuse(2, "Invalid request: expected a JSON object" + at_end());
    return true;
  }

  bool read_head(control_request& out) {
    auto id_it = doc_.FindMember("id");
    if (id_it != doc_.MemberEnd() && id_it->value.IsUint64())
      id_ = id_it->value.GetUint64();
    auto method_it = doc_.FindMember("method");
    if (method_it == doc_.MemberEnd())
      return refuse(2, "Invalid request: missing field `method`" + at_end());
    if (id_it == doc_.MemberEnd())
      return refuse(2, "Invalid request: missing field `id`" + at_end());
    if (!id_)
      return refuse(2,
                    "Invalid request: request ID must be an unsigned integer");
    out.id = *id_;
    const auto& method = method_it->value;
    if (method.IsString()) {
      std::string_view name{method.GetString(), method.GetStringLength()};
      for (const auto& [x, wire] : method_names)
        if (name == wire) {
          out.method = x;
          return true;
        }
    }
    // serde reports the position of the value's closing quote; in situ, the
    // string starts where its text began.
    auto end = method.IsString()
                 ? static_cast<std::size_t>(method.GetString() - text_.data())
                     + method.GetStringLength()
                 : last_byte(frame_);
    std::string expected;
    for (const auto& [x, wire] : method_names)
      expected += std::string{expected.empty() ? "" : ", "} + "`" + wire + "`";
    return refuse(
      2, "Invalid request: unknown variant `"
           + std::string{method.IsString() ? method.GetString() : ""}
           + "`, expected one of " + expected + position_of(frame_, end));
  }

  bool read_params(control_request& out) {
    auto params_it = doc_.FindMember("params");
    const rapidjson::Value* params
      = params_it == doc_.MemberEnd() ? nullptr : &params_it->value;
    switch (out.method) {
      case control_method::list_subscriptions:
        return true;
      case control_method::subscribe:
      case control_method::unsubscribe:
        if (params == nullptr)
          return refuse(2,
                        "Invalid request: missing field `params`" + at_end());
        if (!read_stream_params(*params, out.params))
          return refuse(2, "Invalid request: invalid stream");
        return true;
      case control_method::set_property:
      case control_method::get_property:
        return read_property(params, out);
    }
    return true;
  }

private:
  /// GET_PROPERTY ["combined"], SET_PROPERTY ["combined", true|false].
  bool read_property(const rapidjson::Value* params, control_request& out) {
    bool named = params != nullptr && params->IsArray() && !params->Empty()
                 && (*params)[0].IsString();
    if (!named)
      return refuse(2, "Invalid request: property name must be a string");
    std::string_view property{(*params)[0].GetString(),
                              (*params)[0].GetStringLength()};
    if (property != combined_property)
      return refuse(0, "Unknown property");
    out.params.emplace_back(property);
    if (out.method == control_method::get_property)
      return true;
    if (params->Size() < 2 || !(*params)[1].IsBool())
      return refuse(1, "Invalid value type: expected Boolean");
    out.params.emplace_back((*params)[1].GetBool() ? "true" : "false");
    return true;
  }

  [[nodiscard]] std::string at_end() const {
    return position_of(frame_, last_byte(frame_));
  }

  bool refuse(int code, std::string msg) {
    error_.code = code;
    error_.msg = std::move(msg);
    error_.id = id_;
    return false;
  }

  std::string_view frame_;
  std::string text_;
  rapidjson::Document doc_;
  control_error& error_;
  std::optional<std::uint64_t> id_; ///< once read; answers without it say null
};

} // namespace

const char* to_string(control_method x) {
  for (const auto& [method, name] : method_names)
    if (method == x)
      return name;
  return "SUBSCRIBE";
}

std::string encode_control_request(const control_request& x) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("method");
  w.String(to_string(x.method));
  if (x.method != control_method::list_subscriptions) {
    w.Key("params");
    w.StartArray();
    for (std::size_t i = 0; i < x.params.size(); ++i) {
      // SET_PROPERTY's value is JSON (true/false), not a string.
      if (x.method == control_method::set_property && i == 1)
        w.Bool(x.params[i] == "true");
      else
        write_string(w, x.params[i]);
    }
    w.EndArray();
  }
  w.Key("id");
  w.Uint64(x.id);
  w.EndObject();
  return finish(sb);
}

std::optional<control_request> decode_control_request(std::string_view frame,
                                                      control_error& error) {
  request_reader reader{frame, error};
  control_request out;
  if (!reader.parse() || !reader.read_head(out) || !reader.read_params(out))
    return std::nullopt;
  return out;
}

std::string encode_result_null(std::uint64_t id) {
  return R"({"result":null,"id":)" + std::to_string(id) + "}";
}

std::string encode_server_shutdown(std::int64_t event_ms, bool combined) {
  auto event = R"({"e":"serverShutdown","E":)" + std::to_string(event_ms) + "}";
  if (!combined)
    return event;
  return R"({"stream":"!serverShutdown","data":)" + event + "}";
}

std::string encode_result_list(const std::vector<std::string>& names,
                               std::uint64_t id) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("result");
  w.StartArray();
  for (const auto& x : names)
    write_string(w, x);
  w.EndArray();
  w.Key("id");
  w.Uint64(id);
  w.EndObject();
  return finish(sb);
}

std::string encode_result_bool(bool value, std::uint64_t id) {
  return std::string{"{\"result\":"} + (value ? "true" : "false")
         + ",\"id\":" + std::to_string(id) + "}";
}

std::string encode_control_error(const control_error& x) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.Int(x.code);
  w.Key("msg");
  write_string(w, x.msg);
  w.EndObject();
  w.Key("id");
  if (x.id)
    w.Uint64(*x.id);
  else
    w.Null();
  w.EndObject();
  return finish(sb);
}

bool decode_control_answer(std::string_view frame, control_answer& out) {
  // Data frames are the hot path: reject them on their first key.
  constexpr std::string_view stream_prefix = "{\"stream\":";
  constexpr std::string_view event_prefix = "{\"e\":";
  if (frame.substr(0, stream_prefix.size()) == stream_prefix
      || frame.substr(0, event_prefix.size()) == event_prefix)
    return false;
  rapidjson::Document doc;
  doc.Parse(frame.data(), frame.size());
  if (doc.HasParseError() || !doc.IsObject())
    return false;
  auto id_it = doc.FindMember("id");
  auto result_it = doc.FindMember("result");
  auto error_it = doc.FindMember("error");
  if (id_it == doc.MemberEnd()
      || (result_it == doc.MemberEnd()) == (error_it == doc.MemberEnd()))
    return false;
  if (!id_it->value.IsUint64() && !id_it->value.IsNull())
    return false;
  out = control_answer{};
  out.id = id_it->value.IsUint64() ? id_it->value.GetUint64() : 0;
  if (result_it != doc.MemberEnd()) {
    out.ok = true;
    if (result_it->value.IsArray())
      for (const auto& x : result_it->value.GetArray())
        if (x.IsString())
          out.result.emplace_back(x.GetString(), x.GetStringLength());
    return true;
  }
  const auto& e = error_it->value;
  if (!e.IsObject())
    return false;
  auto code = e.FindMember("code");
  auto msg = e.FindMember("msg");
  if (code != e.MemberEnd() && code->value.IsInt())
    out.error_code = code->value.GetInt();
  if (msg != e.MemberEnd() && msg->value.IsString())
    out.error_msg.assign(msg->value.GetString(), msg->value.GetStringLength());
  return true;
}

std::string_view combined_stream_name(std::string_view frame) {
  constexpr std::string_view prefix = R"({"stream":")";
  if (frame.substr(0, prefix.size()) != prefix)
    return {};
  auto rest = frame.substr(prefix.size());
  auto end = rest.find_first_of("\"\\");
  if (end == std::string_view::npos || end == 0 || rest[end] != '"')
    return {};
  return rest.substr(0, end);
}

} // namespace sv
