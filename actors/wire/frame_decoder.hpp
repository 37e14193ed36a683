// frame_decoder: turns Binance aggTrade frames (raw or combined-stream) into trades.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "messages/trade.hpp"

namespace sv {

/// Why a frame did not decode into a trade. When several apply, the first in
/// this order wins: malformed_json, unknown_event, mistyped_field,
/// missing_field, symbol_mismatch.
enum class decode_status : std::uint8_t {
  ok,             ///< `out` holds the trade
  malformed_json, ///< not well-formed JSON, not a JSON object, trailing bytes
                  ///< after the object, nesting deeper than 32, an aggTrade
                  ///< field given twice in one frame (duplicates are rejected,
                  ///< not "last wins"), or aggTrade fields both at the top
                  ///< level and in a `data` object
  missing_field,  ///< a required aggTrade field (e,E,s,a,p,q,f,l,T,m) is absent
  mistyped_field, ///< a field has the wrong JSON type or an unparsable decimal
                  ///< (a,f,l: unsigned 64-bit; E,T: 0..10^16-1; p,q: parse_e8
                  ///< strings; m,M: bool; `stream`: string; `data`: object)
  unknown_event, ///< well-formed, but `e` is not "aggTrade"; or there is no `e`
                 ///< and the object is a Binance error (`code`/`msg`/`error`),
                 ///< a control reply (`result`/`id`), or lacks or mistypes
                 ///< another aggTrade field (bookTicker: its `a` is a string)
  symbol_mismatch, ///< `s` differs (ignoring ASCII case) from the symbol this
                   ///< decoder expects
};

/// Text for a decode_status ("missing_field").
const char* to_string(decode_status x);

/// Decodes one symbol's aggTrade frames. One instance per connection actor; not
/// thread-safe. Accepts both raw frames (`{"e":"aggTrade",...}` from
/// /ws/<s>@aggTrade) and combined-stream frames
/// (`{"stream":"<s>@aggTrade","data":{...}}`). Never throws; after warm-up it
/// does not allocate (a SAX parse into fixed fields).
class frame_decoder {
public:
  /// `symbol` is matched case-insensitively against each payload's `s`.
  explicit frame_decoder(std::string symbol);
  ~frame_decoder();
  frame_decoder(const frame_decoder&) = delete;
  frame_decoder& operator=(const frame_decoder&) = delete;

  /// Decodes `frame` into `out`. `frame` needs no NUL terminator; nothing past
  /// `frame.size()` is read. The top level is either the aggTrade object or a
  /// combined-stream wrapper whose `data` object holds it; keys may come in any
  /// order and unknown keys (with any nested value) are skipped. On ok,
  /// `out.symbol` is this decoder's upper-case symbol (assigned only if it
  /// differs, so its buffer is reused) and `M` is checked but not stored; E and
  /// T are stored as sent (milliseconds, or microseconds with
  /// timeUnit=MICROSECOND). On failure `out` is unspecified and the detail()
  /// text names the offending field. Never throws except std::bad_alloc.
  decode_status decode(std::string_view frame, trade& out);

  /// One short line on the last failure: "field p: not a decimal", "missing
  /// field a", "unknown event e=depthUpdate", "not an aggTrade: error code
  /// -1003", "symbol mismatch s=ETHUSDT expected BTCUSDT", "malformed JSON at
  /// offset 17: ...". Empty after ok. Valid until the next decode().
  const std::string& detail() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sv
