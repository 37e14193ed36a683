// depth_decoder: reads depthUpdate frames and REST depth snapshots with RapidJSON's DOM.
//
// A DOM rather than frame_decoder's SAX handler: depth frames arrive ~10/s per
// symbol (not per trade), carry variable-length level arrays, and are easier to
// check field by field once parsed. Prices and quantities go through parse_e8,
// never through a double.
#include "actors/wire/depth_decoder.hpp"

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>

// As in frame_decoder.cpp: RapidJSON only asserts on programmer errors, never on
// input, so nothing here throws from it.
#ifndef RAPIDJSON_ASSERT
#  define RAPIDJSON_ASSERT(x) assert(x)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "actors/core/decimal.hpp"
#include "actors/core/symbol_case.hpp"

namespace sv {

namespace {

using value = rapidjson::Value;

/// Iterative parsing: a hostile `[[[[...` costs heap proportional to the frame,
/// never stack. The Document's pool allocator frees without recursion too.
constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag;

/// E: Unix milliseconds have 13 digits, microseconds (timeUnit=MICROSECOND) 16.
constexpr std::uint64_t time_limit
  = 10'000'000'000'000'000; // 10^16, first 17-digit value

/// Bytes of an offending string quoted in detail(): enough to recognise it, not
/// enough to flood a log line.
constexpr std::size_t excerpt_max = 32;

/// The depthUpdate fields, in the order missing ones are reported.
enum field : unsigned {
  f_e,
  f_E,
  f_s,
  f_U,
  f_u,
  f_b,
  f_a,
  field_count,
};

/// Field letters, indexed by `field`.
constexpr const char field_names[field_count + 1] = "eEsUuba";

std::string_view text(const value& v) {
  return {v.GetString(), v.GetStringLength()};
}

/// The field a one-letter key names, or field_count.
field field_of(const value& key) {
  if (key.GetStringLength() != 1)
    return field_count;
  for (unsigned i = 0; i < field_count; ++i)
    if (field_names[i] == key.GetString()[0])
      return static_cast<field>(i);
  return field_count;
}

/// `"<at most excerpt_max bytes of s>"`, for detail texts.
std::string quoted(std::string_view s) {
  std::string r = "\"";
  r.append(s.substr(0, excerpt_max));
  if (s.size() > excerpt_max)
    r.append("...");
  r.push_back('"');
  return r;
}

/// "malformed JSON at offset 17: <RapidJSON's message>".
std::string parse_error_text(const rapidjson::Document& doc) {
  std::string r = "malformed JSON at offset ";
  r += std::to_string(doc.GetErrorOffset());
  r += ": ";
  r += rapidjson::GetParseError_En(doc.GetParseError());
  return r;
}

/// Parses `frame` into `doc`; on failure sets `error` to a "malformed JSON"
/// line. An embedded NUL is refused first: RapidJSON takes it for the end of
/// the input and would accept whatever follows it.
bool parse(std::string_view frame, rapidjson::Document& doc,
           std::string& error) {
  if (auto nul = frame.find('\0'); nul != std::string_view::npos) {
    error = "malformed JSON at offset " + std::to_string(nul) + ": NUL byte";
    return false;
  }
  doc.Parse<parse_flags>(frame.data(), frame.size());
  if (doc.HasParseError()) {
    error = parse_error_text(doc);
    return false;
  }
  if (!doc.IsObject()) {
    error = "malformed JSON at offset 0: not a JSON object";
    return false;
  }
  return true;
}

/// Reads a `[["price","qty"],...]` array named `name` into `out` (cleared
/// first). On failure sets `error` to "field <name>[i]: ..." and returns false.
bool read_levels(const value& v, std::string_view name,
                 std::vector<price_level>& out, std::string& error) {
  auto fail = [&](std::string_view at, std::string_view why) {
    error = "field ";
    error += name;
    error += at;
    error += ": ";
    error += why;
    return false;
  };
  out.clear();
  if (!v.IsArray())
    return fail("", "not an array of levels");
  out.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const auto& level = v[i];
    const std::string at = "[" + std::to_string(i) + "]";
    if (!level.IsArray() || level.Size() != 2 || !level[0].IsString()
        || !level[1].IsString())
      return fail(at, "not a [price, quantity] array of 2 strings");
    price_level x;
    if (!parse_e8(text(level[0]), x.price_e8))
      return fail(at, "price " + quoted(text(level[0]))
                        + " is not an 8-decimal string");
    if (!parse_e8(text(level[1]), x.qty_e8))
      return fail(at, "quantity " + quoted(text(level[1]))
                        + " is not an 8-decimal string");
    out.push_back(x);
  }
  return true;
}

/// Why an object without `e` is no depthUpdate: a Binance error, a reply to one
/// of our requests, or some other payload (bookTicker, partial depth).
std::string not_an_event_text(const value& payload) {
  auto code = payload.FindMember("code");
  if (code != payload.MemberEnd() && code->value.IsInt64())
    return "not a depthUpdate: error code "
           + std::to_string(code->value.GetInt64());
  if (auto error = payload.FindMember("error");
      error != payload.MemberEnd() && error->value.IsObject()) {
    auto inner = error->value.FindMember("code");
    if (inner != error->value.MemberEnd() && inner->value.IsInt64())
      return "not a depthUpdate: error code "
             + std::to_string(inner->value.GetInt64());
  }
  if (payload.HasMember("error") || payload.HasMember("msg"))
    return "not a depthUpdate: error reply";
  auto id = payload.FindMember("id");
  if (payload.HasMember("result") || id != payload.MemberEnd()) {
    std::string r = "not a depthUpdate: control reply";
    if (id != payload.MemberEnd() && id->value.IsUint64())
      r += " id=" + std::to_string(id->value.GetUint64());
    return r;
  }
  return "not a depthUpdate: no field e";
}

/// What a frame holds: the payload (raw or inside a combined-stream wrapper)
/// and its depthUpdate fields.
struct frame_parts {
  const value* payload = nullptr; ///< null when `data` is not an object
  const char* wrapper_fault
    = nullptr; ///< `stream`/`data` mistyped: loses to an unknown `e`
  std::array<const value*, field_count>
    fields{}; ///< each field, null if absent
};

/// Fills `parts` from `doc` (an object). Returns false with `error` set when a
/// field is given twice (refused, not "last wins", as in frame_decoder) or the
/// frame mixes payload fields with a `data` object.
bool split(const rapidjson::Document& doc, frame_parts& parts,
           std::string& error) {
  const value* stream = nullptr;
  const value* data = nullptr;
  bool root_has_fields = false;
  for (const auto& m : doc.GetObject()) {
    const auto key = text(m.name);
    const value** slot = key == "stream" ? &stream
                         : key == "data" ? &data
                                         : nullptr;
    if (slot == nullptr) {
      root_has_fields = root_has_fields || field_of(m.name) != field_count;
      continue;
    }
    if (*slot != nullptr) {
      error = "malformed JSON: duplicate field " + std::string{key};
      return false;
    }
    *slot = &m.value;
  }
  if (data != nullptr && root_has_fields) {
    error = "malformed JSON: frame mixes depthUpdate fields with a data object";
    return false;
  }
  if (stream != nullptr && !stream->IsString())
    parts.wrapper_fault = "field stream: not a string";
  else if (data != nullptr && !data->IsObject())
    parts.wrapper_fault = "field data: not an object";
  parts.payload = data == nullptr ? &doc : data->IsObject() ? data : nullptr;
  if (parts.payload == nullptr)
    return true; // every field absent; the wrapper fault says why
  for (const auto& m : parts.payload->GetObject()) {
    const field f = field_of(m.name);
    if (f == field_count)
      continue; // unknown keys are skipped, whatever their value
    if (parts.fields[f] != nullptr) {
      error = std::string{"malformed JSON: duplicate field "} + field_names[f];
      return false;
    }
    parts.fields[f] = &m.value;
  }
  return true;
}

/// "field <f>: <why>".
std::string field_text(field f, std::string_view why) {
  std::string r = "field ";
  r.push_back(field_names[f]);
  r += ": ";
  r += why;
  return r;
}

/// Checks every present field's type, reading the levels into `out`, so that a
/// mistyped field is reported before any missing one. Returns false with
/// `error` naming the first mistyped field.
bool check_types(const frame_parts& parts, depth_update& out,
                 std::string& error) {
  const auto& fields = parts.fields;
  auto fail = [&](field f, std::string_view why) {
    error = field_text(f, why);
    return false;
  };
  if (const value* v = fields[f_e]; v != nullptr && !v->IsString())
    return fail(f_e, "not a string");
  if (const value* v = fields[f_E];
      v != nullptr && (!v->IsUint64() || v->GetUint64() >= time_limit))
    return fail(f_E, "not a non-negative integer of at most 16 digits");
  if (const value* v = fields[f_s]; v != nullptr && !v->IsString())
    return fail(f_s, "not a string");
  for (field f : {f_U, f_u})
    if (const value* v = fields[f]; v != nullptr && !v->IsUint64())
      return fail(f, "not an unsigned 64-bit integer");
  if (fields[f_b] != nullptr
      && !read_levels(*fields[f_b], "b", out.bids, error))
    return false;
  if (fields[f_a] != nullptr
      && !read_levels(*fields[f_a], "a", out.asks, error))
    return false;
  if (fields[f_U] != nullptr && fields[f_u] != nullptr
      && fields[f_U]->GetUint64() > fields[f_u]->GetUint64())
    return fail(f_U, "U=" + std::to_string(fields[f_U]->GetUint64())
                       + " is greater than u="
                       + std::to_string(fields[f_u]->GetUint64()));
  return true;
}

} // namespace

struct depth_decoder::impl {
  std::string symbol; // upper case
  std::string detail;

  decode_status fail(decode_status status, std::string text) {
    detail = std::move(text);
    return status;
  }
};

depth_decoder::depth_decoder(std::string symbol)
  : impl_(std::make_unique<impl>()) {
  impl_->symbol = upper_symbol(symbol);
}

depth_decoder::~depth_decoder() = default;

const std::string& depth_decoder::detail() const noexcept {
  return impl_->detail;
}

decode_status depth_decoder::decode(std::string_view frame, depth_update& out) {
  auto& st = *impl_;
  st.detail.clear();
  rapidjson::Document doc;
  if (!parse(frame, doc, st.detail))
    return decode_status::malformed_json;
  frame_parts parts;
  if (!split(doc, parts, st.detail))
    return decode_status::malformed_json;
  const auto& fields = parts.fields;

  // serverShutdown comes back here with its name in detail(), which is what the
  // connection actor looks for.
  if (const value* e = fields[f_e];
      e != nullptr && e->IsString() && text(*e) != "depthUpdate")
    return st.fail(decode_status::unknown_event,
                   "unknown event e=" + std::string{text(*e)});
  if (parts.wrapper_fault != nullptr)
    return st.fail(decode_status::mistyped_field, parts.wrapper_fault);
  assert(parts.payload
         != nullptr); // else `data` was no object: a wrapper fault
  if (fields[f_e] == nullptr)
    return st.fail(decode_status::unknown_event,
                   not_an_event_text(*parts.payload));

  if (!check_types(parts, out, st.detail))
    return decode_status::mistyped_field;

  for (unsigned i = 0; i < field_count; ++i)
    if (fields[i] == nullptr)
      return st.fail(decode_status::missing_field,
                     std::string{"missing field "} + field_names[i]);

  const auto s = text(*fields[f_s]);
  if (!same_symbol(s, st.symbol))
    return st.fail(decode_status::symbol_mismatch,
                   "symbol mismatch s=" + std::string{s} + " expected "
                     + st.symbol);

  if (out.symbol != st.symbol)
    out.symbol = st.symbol; // reuses the buffer once it holds this symbol
  out.first_update_id = fields[f_U]->GetUint64();
  out.final_update_id = fields[f_u]->GetUint64();
  out.event_time_ms = static_cast<std::int64_t>(fields[f_E]->GetUint64());
  return decode_status::ok;
}

bool decode_depth_snapshot(std::string_view body, const std::string& symbol,
                           depth_snapshot& out, std::string& error) {
  rapidjson::Document doc;
  if (!parse(body, doc, error))
    return false;
  auto id = doc.FindMember("lastUpdateId");
  if (id == doc.MemberEnd()) {
    // A Binance error body ({"code":-1121,"msg":"Invalid symbol."}) says why.
    auto code = doc.FindMember("code");
    auto msg = doc.FindMember("msg");
    if (code != doc.MemberEnd() && code->value.IsInt64()) {
      error = "not a depth snapshot: error code "
              + std::to_string(code->value.GetInt64());
      if (msg != doc.MemberEnd() && msg->value.IsString())
        error += ": " + quoted(text(msg->value));
      return false;
    }
    error = "missing field lastUpdateId";
    return false;
  }
  if (!id->value.IsUint64()) {
    error = "field lastUpdateId: not an unsigned 64-bit integer";
    return false;
  }
  for (const char* name : {"bids", "asks"}) {
    auto side = doc.FindMember(name);
    if (side == doc.MemberEnd()) {
      error = std::string{"missing field "} + name;
      return false;
    }
    auto& levels = name[0] == 'b' ? out.bids : out.asks;
    if (!read_levels(side->value, name, levels, error))
      return false;
  }
  out.symbol = symbol;
  out.last_update_id = id->value.GetUint64();
  error.clear();
  return true;
}

} // namespace sv
