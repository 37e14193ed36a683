// frame_decoder: a RapidJSON SAX handler reading aggTrade frames into trades.
#include "actors/wire/frame_decoder.hpp"

#include <cassert>
#include <cstddef>
#include <utility>

// RapidJSON's default assertion, spelled out: it never throws, and the Reader
// only asserts on programmer errors (never on input), so decode() cannot throw
// from here.
#ifndef RAPIDJSON_ASSERT
#  define RAPIDJSON_ASSERT(x) assert(x)
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include "actors/core/decimal.hpp"
#include "actors/core/symbol_case.hpp"

namespace sv {

const char* to_string(decode_status x) {
  switch (x) {
    case decode_status::ok:
      return "ok";
    case decode_status::malformed_json:
      return "malformed_json";
    case decode_status::missing_field:
      return "missing_field";
    case decode_status::mistyped_field:
      return "mistyped_field";
    case decode_status::unknown_event:
      return "unknown_event";
    case decode_status::symbol_mismatch:
      return "symbol_mismatch";
  }
  return "unknown";
}

namespace {

/// Containers deeper than this abort the parse. An aggTrade frame needs 2
/// levels (wrapper + data), an error reply 3, a kline 3; the bound keeps
/// RapidJSON's recursive descent from exhausting the stack on `[[[[...`.
constexpr int depth_max = 32;

/// The frame copy keeps its capacity up to this size: 16x a combined-stream
/// aggTrade frame (~250 bytes), so a larger one (never an aggTrade) is not kept
/// in memory.
constexpr std::size_t copy_capacity_max = 4096;

/// E and T: Unix milliseconds have 13 digits, microseconds
/// (timeUnit=MICROSECOND) 16.
constexpr std::uint64_t time_limit
  = 10'000'000'000'000'000; // 10^16, first 17-digit value

/// The aggTrade fields, in the order missing ones are reported.
enum field : unsigned {
  f_e,
  f_E,
  f_s,
  f_a,
  f_p,
  f_q,
  f_f,
  f_l,
  f_T,
  f_m,
  f_M, ///< optional ("ignore" in Binance's docs)
  field_count,
};

/// Field letters, indexed by `field`.
constexpr const char field_names[field_count + 1] = "eEsapqflTmM";

/// Every field except M = bits 0..9.
constexpr unsigned required_mask = (1U << f_M) - 1;

/// What the value after the current key is.
enum class slot : std::uint8_t {
  skip,    ///< unknown key or array element: ignored (containers included)
  field,   ///< an aggTrade field, see `handler::field_`
  stream,  ///< root `stream`: must be a string, content ignored
  data,    ///< root `data`: the combined-stream payload object
  code,    ///< `code` of a Binance error (in the payload or its `error` object)
  error,   ///< `error` object of a WebSocket error reply
  control, ///< `result` or `msg`: marks a reply, not a market event
  control_id, ///< `id` of a reply
};

/// What the object being read is.
enum class role : std::uint8_t {
  root,  ///< the frame's top-level object
  data,  ///< the combined-stream payload
  error, ///< the `error` object of a reply
  other, ///< anything else: keys ignored
};

/// Why a field's value was rejected (kept until the end: an `e` other than
/// aggTrade wins).
enum class fault : std::uint8_t {
  none,
  not_string,
  not_decimal,
  not_decimal_string,
  not_unsigned,
  not_time,
  not_bool,
  not_object,
};

const char* fault_text(fault x) {
  switch (x) {
    case fault::none:
      break;
    case fault::not_string:
      return "not a string";
    case fault::not_decimal:
      return "not a decimal";
    case fault::not_decimal_string:
      return "not a decimal string";
    case fault::not_unsigned:
      return "not an unsigned 64-bit integer";
    case fault::not_time:
      return "not a non-negative integer of at most 16 digits";
    case fault::not_bool:
      return "not a bool";
    case fault::not_object:
      return "not an object";
  }
  return "invalid";
}

bool equals(const char* str, rapidjson::SizeType len, std::string_view lit) {
  return std::string_view{str, len} == lit;
}

/// The SAX handler for one decode() call: a state machine over keys that writes
/// the recognised values straight into `out`. Returning false stops the Reader
/// (kParseErrorTermination); `abort_` then says why.
struct handler {
  const std::string& symbol; // canonical, upper case
  trade& out;
  std::string& event_text;  // `e` when it is not aggTrade (capacity reused)
  std::string& symbol_text; // `s` when it does not match (capacity reused)

  role roles[depth_max + 1] = {};
  int depth = 0; // open containers
  slot pending = slot::skip;
  slot taken = slot::skip; // what the last take() returned
  field pending_field = f_e;
  unsigned seen = 0; // bit per field
  bool root_has_fields = false;
  bool has_data = false;
  bool event_seen = false; // `e` was a string
  bool event_ok = false;   // ... equal to "aggTrade"
  bool symbol_ok = true;
  bool has_code = false;
  std::int64_t code = 0;
  bool has_error = false;   // an `error` object or a `msg`
  bool has_control = false; // `result` or `id`
  bool has_id = false;
  std::uint64_t id = 0;
  fault first_fault = fault::none;
  char fault_name[8] = {};     // field or key name of first_fault
  bool wrapper_fault = false;  // first_fault is on `stream` or `data`
  const char* abort = nullptr; // why the handler stopped the parse
  bool duplicate = false;      // ... because pending_field appeared twice

  void set_fault(fault f, const char* name) {
    if (first_fault != fault::none)
      return;
    first_fault = f;
    wrapper_fault = name[0] != '\0' && name[1] != '\0'; // fields are one letter
    std::size_t i = 0;
    for (; name[i] != '\0' && i + 1 < sizeof(fault_name); ++i)
      fault_name[i] = name[i];
    fault_name[i] = '\0';
  }

  void field_fault(fault f) {
    const char name[2] = {field_names[pending_field], '\0'};
    set_fault(f, name);
  }

  /// Consumes the key slot for the value that just started.
  slot take() {
    taken = std::exchange(pending, slot::skip);
    return taken;
  }

  /// A scalar at depth 0: the frame is not an object.
  bool scalar_at_root() {
    if (depth != 0)
      return false;
    abort = "not a JSON object";
    return true;
  }

  // -- scalars ---------------------------------------------------------------

  bool Null() {
    if (scalar_at_root())
      return false;
    switch (take()) {
      case slot::field:
        field_fault(expected_fault());
        break;
      case slot::stream:
        set_fault(fault::not_string, "stream");
        break;
      case slot::data:
        set_fault(fault::not_object, "data");
        break;
      case slot::control:
      case slot::control_id:
        has_control = true;
        break;
      default:
        break;
    }
    return true;
  }

  bool Bool(bool b) {
    if (scalar_at_root())
      return false;
    switch (take()) {
      case slot::field:
        if (pending_field == f_m)
          out.buyer_is_maker = b;
        else if (pending_field != f_M)
          field_fault(expected_fault());
        break;
      default:
        other(taken);
        break;
    }
    return true;
  }

  bool Int(int i) {
    return Int64(i);
  }

  bool Uint(unsigned u) {
    return Uint64(u);
  }

  bool Int64(std::int64_t i) {
    // Only negative values arrive here: non-negative ones come as Uint/Uint64.
    if (scalar_at_root())
      return false;
    switch (take()) {
      case slot::field:
        field_fault(expected_fault());
        break;
      case slot::code:
        has_code = true;
        code = i;
        break;
      case slot::control_id:
        has_control = true;
        break;
      default:
        other(taken);
        break;
    }
    return true;
  }

  bool Uint64(std::uint64_t u) {
    if (scalar_at_root())
      return false;
    switch (take()) {
      case slot::field:
        switch (pending_field) {
          case f_a:
            out.agg_id = u;
            break;
          case f_f:
            out.first_id = u;
            break;
          case f_l:
            out.last_id = u;
            break;
          case f_E:
          case f_T:
            if (u >= time_limit)
              field_fault(fault::not_time);
            else if (pending_field == f_E)
              out.event_time_ms = static_cast<std::int64_t>(u);
            else
              out.trade_time_ms = static_cast<std::int64_t>(u);
            break;
          default:
            field_fault(expected_fault());
            break;
        }
        break;
      case slot::code:
        has_code = true;
        // Binance codes are small; a huge one is clamped rather than wrapped.
        code = u > static_cast<std::uint64_t>(INT64_MAX)
                 ? INT64_MAX
                 : static_cast<std::int64_t>(u);
        break;
      case slot::control_id:
        has_control = true;
        has_id = true;
        id = u;
        break;
      default:
        other(taken);
        break;
    }
    return true;
  }

  bool Double(double) {
    // Fractions, exponents and integers beyond 64 bits all arrive here.
    if (scalar_at_root())
      return false;
    if (take() == slot::field)
      field_fault(expected_fault());
    else
      other(taken);
    return true;
  }

  bool RawNumber(const char*, rapidjson::SizeType, bool) {
    // Only with kParseNumbersAsStringsFlag, which decode() does not use.
    return false;
  }

  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (scalar_at_root())
      return false;
    switch (take()) {
      case slot::field:
        string_field(str, len);
        break;
      case slot::control_id:
        has_control = true; // the WebSocket API uses string ids
        break;
      case slot::data:
        set_fault(fault::not_object, "data");
        break;
      default:
        break; // stream, msg, code text, result: content ignored
    }
    return true;
  }

  void string_field(const char* str, rapidjson::SizeType len) {
    switch (pending_field) {
      case f_e:
        event_seen = true;
        event_ok = equals(str, len, "aggTrade");
        if (!event_ok)
          event_text.assign(str, len);
        break;
      case f_s:
        symbol_ok = same_symbol(std::string_view{str, len}, symbol);
        if (!symbol_ok)
          symbol_text.assign(str, len);
        break;
      case f_p:
        if (!parse_e8({str, len}, out.price_e8))
          field_fault(fault::not_decimal);
        break;
      case f_q:
        if (!parse_e8({str, len}, out.qty_e8))
          field_fault(fault::not_decimal);
        break;
      default:
        field_fault(expected_fault());
        break;
    }
  }

  /// A bool or number for a slot other than a field, a code or an id.
  void other(slot s) {
    if (s == slot::stream)
      set_fault(fault::not_string, "stream");
    else if (s == slot::data)
      set_fault(fault::not_object, "data");
    else if (s == slot::control || s == slot::control_id)
      has_control = true;
  }

  /// The fault for a value of the wrong JSON type in the pending field.
  fault expected_fault() const {
    switch (pending_field) {
      case f_e:
      case f_s:
        return fault::not_string;
      case f_p:
      case f_q:
        return fault::not_decimal_string;
      case f_a:
      case f_f:
      case f_l:
        return fault::not_unsigned;
      case f_E:
      case f_T:
        return fault::not_time;
      case f_m:
      case f_M:
        return fault::not_bool;
      case field_count:
        break;
    }
    return fault::not_string;
  }

  // -- containers ------------------------------------------------------------

  bool open(bool is_object) {
    if (depth == depth_max) {
      abort = "nested deeper than 32 levels";
      return false;
    }
    role r = role::other;
    if (depth == 0) {
      if (!is_object) {
        abort = "not a JSON object";
        return false;
      }
      r = role::root;
    } else {
      switch (take()) {
        case slot::field:
          field_fault(expected_fault());
          break;
        case slot::stream:
          set_fault(fault::not_string, "stream");
          break;
        case slot::data:
          if (!is_object) {
            set_fault(fault::not_object, "data");
          } else if (root_has_fields) {
            abort = "frame mixes aggTrade fields with a data object";
            return false;
          } else {
            has_data = true;
            r = role::data;
          }
          break;
        case slot::error:
          has_error = true;
          if (is_object)
            r = role::error;
          break;
        case slot::control:
        case slot::control_id:
          has_control = true;
          break;
        default:
          break;
      }
    }
    roles[++depth] = r;
    return true;
  }

  bool StartObject() {
    return open(true);
  }

  bool StartArray() {
    return open(false);
  }

  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }

  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }

  bool Key(const char* str, rapidjson::SizeType len, bool) {
    pending = slot::skip;
    const role r = roles[depth];
    if (r == role::other)
      return true;
    if (r == role::error) {
      if (equals(str, len, "code"))
        pending = slot::code;
      return true;
    }
    if (len == 1) {
      for (unsigned i = 0; i < field_count; ++i) {
        if (field_names[i] != str[0])
          continue;
        if (r == role::root) {
          if (has_data) {
            abort = "frame mixes aggTrade fields with a data object";
            return false;
          }
          root_has_fields = true;
        }
        if ((seen & (1U << i)) != 0) {
          abort = "duplicate field";
          duplicate = true;
          pending_field = static_cast<field>(i);
          return false;
        }
        seen |= 1U << i;
        pending_field = static_cast<field>(i);
        pending = slot::field;
        return true;
      }
      return true;
    }
    if (r == role::root && equals(str, len, "stream"))
      pending = slot::stream;
    else if (r == role::root && equals(str, len, "data"))
      pending = slot::data;
    else if (equals(str, len, "code"))
      pending = slot::code;
    else if (equals(str, len, "error"))
      pending = slot::error;
    else if (equals(str, len, "msg")) {
      has_error = true;
      pending = slot::control;
    } else if (equals(str, len, "result"))
      pending = slot::control;
    else if (equals(str, len, "id"))
      pending = slot::control_id;
    return true;
  }
};

} // namespace

struct frame_decoder::impl {
  std::string symbol; // upper case
  std::string detail;
  std::string event_text;
  std::string symbol_text;
  std::string
    copy; // the frame + '\0', parsed in place; capacity kept for reuse
  rapidjson::Reader reader;

  decode_status mistyped(const handler& h) {
    detail.assign("field ");
    detail.append(h.fault_name);
    detail.append(": ");
    detail.append(fault_text(h.first_fault));
    return decode_status::mistyped_field;
  }

  decode_status malformed(std::size_t offset, const char* why) {
    detail.assign("malformed JSON at offset ");
    detail.append(std::to_string(offset));
    detail.append(": ");
    detail.append(why);
    return decode_status::malformed_json;
  }
};

frame_decoder::frame_decoder(std::string symbol)
  : impl_(std::make_unique<impl>()) {
  impl_->symbol = upper_symbol(symbol);
}

frame_decoder::~frame_decoder() = default;

const std::string& frame_decoder::detail() const noexcept {
  return impl_->detail;
}

decode_status frame_decoder::decode(std::string_view frame, trade& out) {
  auto& st = *impl_;
  st.detail.clear();
  handler h{st.symbol, out, st.event_text, st.symbol_text};
  // In-situ parsing of a NUL-terminated copy: ~25% faster than MemoryStream
  // over the view (no per-character bounds check, strings not copied onto the
  // Reader's stack), and the Reader never reads past the terminator, so nothing
  // beyond frame.size() is touched. kParseStopWhenDoneFlag: trailing bytes are
  // checked below, which also catches an embedded NUL that RapidJSON takes for
  // the end.
  st.copy.assign(frame.data(), frame.size());
  st.copy.push_back('\0');
  rapidjson::InsituStringStream is{st.copy.data()};
  constexpr unsigned flags = rapidjson::kParseInsituFlag
                             | rapidjson::kParseStopWhenDoneFlag;
  auto result = st.reader.Parse<flags>(is, h);
  if (st.copy.capacity() > copy_capacity_max)
    std::string{}.swap(
      st.copy); // an unusually large frame: do not keep its buffer
  if (result.IsError()) {
    if (result.Code() == rapidjson::kParseErrorTermination
        && h.abort != nullptr) {
      if (h.duplicate) {
        st.malformed(result.Offset(), "duplicate field ");
        st.detail.push_back(field_names[h.pending_field]);
        return decode_status::malformed_json;
      }
      return st.malformed(result.Offset(), h.abort);
    }
    return st.malformed(result.Offset(),
                        rapidjson::GetParseError_En(result.Code()));
  }
  std::size_t pos = is.Tell();
  while (pos < frame.size()
         && (frame[pos] == ' ' || frame[pos] == '\t' || frame[pos] == '\n'
             || frame[pos] == '\r'))
    ++pos;
  if (pos != frame.size())
    return st.malformed(pos, "trailing characters after the object");

  if (h.event_seen && !h.event_ok) {
    st.detail.assign("unknown event e=");
    st.detail.append(st.event_text);
    return decode_status::unknown_event;
  }
  if (h.wrapper_fault)
    return st.mistyped(h);
  if ((h.seen & (1U << f_e)) == 0) {
    if (h.has_code) {
      st.detail.assign("not an aggTrade: error code ");
      st.detail.append(std::to_string(h.code));
      return decode_status::unknown_event;
    }
    if (h.has_error) {
      st.detail.assign("not an aggTrade: error reply");
      return decode_status::unknown_event;
    }
    if (h.has_control) {
      st.detail.assign("not an aggTrade: control reply");
      if (h.has_id) {
        st.detail.append(" id=");
        st.detail.append(std::to_string(h.id));
      }
      return decode_status::unknown_event;
    }
    // Only an otherwise complete aggTrade lacks "e"; anything else (bookTicker,
    // partial depth) is some other payload.
    if (h.first_fault != fault::none
        || (h.seen | (1U << f_e)) != (h.seen | required_mask)) {
      st.detail.assign("not an aggTrade: no field e");
      return decode_status::unknown_event;
    }
  }
  if (h.first_fault != fault::none)
    return st.mistyped(h);
  if ((h.seen & required_mask) != required_mask) {
    for (unsigned i = 0; i < field_count; ++i) {
      if ((required_mask & (1U << i)) != 0 && (h.seen & (1U << i)) == 0) {
        st.detail.assign("missing field ");
        st.detail.push_back(field_names[i]);
        break;
      }
    }
    return decode_status::missing_field;
  }
  if (!h.symbol_ok) {
    st.detail.assign("symbol mismatch s=");
    st.detail.append(st.symbol_text);
    st.detail.append(" expected ");
    st.detail.append(st.symbol);
    return decode_status::symbol_mismatch;
  }
  // Reuses out.symbol's buffer: no allocation once it holds this symbol.
  if (out.symbol != st.symbol)
    out.symbol = st.symbol;
  return decode_status::ok;
}

} // namespace sv
