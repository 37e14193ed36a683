// depth_json: Binance's exact text for order-book data (depthUpdate event, combined wrapper, REST depth snapshot).
#include "app/sim/exchange/depth_json.hpp"

#include "actors/core/decimal.hpp"
#include "app/sim/exchange/stream_json.hpp"

namespace sv {

namespace {

/// [["p","q"],...]
void append_levels(std::string& out, const std::vector<book_level>& levels) {
  out.push_back('[');
  bool first = true;
  for (const auto& l : levels) {
    if (!first)
      out.push_back(',');
    first = false;
    out += "[\"";
    append_e8(out, l.price_e8);
    out += "\",\"";
    append_e8(out, l.qty_e8);
    out += "\"]";
  }
  out.push_back(']');
}

} // namespace

void append_depth_event(std::string& out, std::string_view symbol,
                        const depth_diff& d) {
  out += "{\"e\":\"depthUpdate\",\"E\":";
  append_int(out, d.event_ms);
  out += ",\"s\":\"";
  out += symbol;
  out += "\",\"U\":";
  append_int(out, d.first_update_id);
  out += ",\"u\":";
  append_int(out, d.final_update_id);
  out += ",\"b\":";
  append_levels(out, d.bids);
  out += ",\"a\":";
  append_levels(out, d.asks);
  out.push_back('}');
}

void append_depth_snapshot(std::string& out, const book_snapshot& s) {
  out += "{\"lastUpdateId\":";
  append_int(out, s.last_update_id);
  out += ",\"bids\":";
  append_levels(out, s.bids);
  out += ",\"asks\":";
  append_levels(out, s.asks);
  out.push_back('}');
}

std::string depth_stream_name(std::string_view symbol) {
  return stream_name(symbol, "@depth@100ms");
}

} // namespace sv
