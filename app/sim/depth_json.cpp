// depth_json: Binance's exact text for order-book data (depthUpdate event, combined wrapper, REST depth snapshot).
#include "app/sim/depth_json.hpp"

#include <charconv>

#include "actors/decimal.hpp"

namespace sv {

namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24]; // 20 digits + sign fit any int64
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

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

void append_depth_event(std::string& out, std::string_view symbol, const depth_diff& d) {
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

void append_combined_depth_event(std::string& out, std::string_view stream,
                                 std::string_view symbol, const depth_diff& d) {
  out += "{\"stream\":\"";
  out += stream;
  out += "\",\"data\":";
  append_depth_event(out, symbol, d);
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
  std::string out;
  out.reserve(symbol.size() + 13);
  for (char c : symbol)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  out += "@depth@100ms";
  return out;
}

} // namespace sv
