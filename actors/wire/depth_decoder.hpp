// depth_decoder: turns Binance depthUpdate frames and REST depth snapshots into depth messages.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "actors/wire/frame_decoder.hpp"
#include "messages/depth.hpp"

namespace sv {

/// Decodes one symbol's `<symbol>@depth@100ms` frames, raw (`{"e":"depthUpdate",...}`)
/// or combined-stream (`{"stream":"<s>@depth@100ms","data":{...}}`). One instance per
/// connection actor; not thread-safe; never throws except std::bad_alloc.
/// Statuses mean what they mean for frame_decoder, for the fields e, E, s, U, u,
/// b, a: `e` other than "depthUpdate" (or absent, e.g. serverShutdown or a control
/// reply) is unknown_event; U > u, a price or quantity that is not an 8-decimal
/// string, or a level that is not a 2-string array is mistyped_field.
class depth_decoder {
public:
  /// `symbol` is matched case-insensitively against each payload's `s`.
  explicit depth_decoder(std::string symbol);
  ~depth_decoder();
  depth_decoder(const depth_decoder&) = delete;
  depth_decoder& operator=(const depth_decoder&) = delete;

  /// Decodes `frame` into `out` (its vectors are reused). On ok `out.symbol` is this
  /// decoder's upper-case symbol. On failure `out` is unspecified and detail()
  /// names the offending field.
  decode_status decode(std::string_view frame, depth_update& out);

  /// One short line on the last failure; empty after ok.
  const std::string& detail() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Decodes a `GET /api/v3/depth` body (`{"lastUpdateId":N,"bids":[["p","q"],...],
/// "asks":[...]}`) into `out` with `out.symbol = symbol`. Returns false and sets
/// `error` to one line naming the field on anything else. Never throws except
/// std::bad_alloc.
bool decode_depth_snapshot(std::string_view body, const std::string& symbol,
                           depth_snapshot& out, std::string& error);

} // namespace sv
