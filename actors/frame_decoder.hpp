// frame_decoder: turns Binance aggTrade frames (raw or combined-stream) into trades.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "messages/trade.hpp"

namespace sv {

/// Why a frame did not decode into a trade.
enum class decode_status : std::uint8_t {
  ok,              ///< `out` holds the trade
  malformed_json,  ///< not well-formed JSON, or not a JSON object
  missing_field,   ///< a required aggTrade field (e,E,s,a,p,q,f,l,T,m) is absent
  mistyped_field,  ///< a field has the wrong JSON type or an unparsable decimal
  unknown_event,   ///< well-formed, but `e` is not "aggTrade" (e.g. an error or control reply)
  symbol_mismatch, ///< `s` differs from the symbol this decoder expects
};

/// Text for a decode_status ("missing_field").
const char* to_string(decode_status x);

/// Decodes one symbol's aggTrade frames. One instance per connection actor; not
/// thread-safe. Accepts both raw frames (`{"e":"aggTrade",...}` from /ws/<s>@aggTrade)
/// and combined-stream frames (`{"stream":"<s>@aggTrade","data":{...}}`). Never throws;
/// after warm-up it does not allocate (a SAX parse into fixed fields).
class frame_decoder {
public:
  /// `symbol` is matched case-insensitively against each payload's `s`.
  explicit frame_decoder(std::string symbol);
  ~frame_decoder();
  frame_decoder(const frame_decoder&) = delete;
  frame_decoder& operator=(const frame_decoder&) = delete;

  /// Decodes `frame` into `out`. On failure `out` is unspecified and the detail()
  /// text names the offending field.
  decode_status decode(std::string_view frame, trade& out);

  /// One short line on the last failure ("field p: not a decimal"); empty after ok.
  const std::string& detail() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sv
