// depth_event_json: Binance's exact text for depth data (depthUpdate event, combined wrapper, price levels).
#include "actors/wire/depth_event_json.hpp"

#include <string>

#include "actors/core/decimal.hpp"

namespace sv {

void append_price_levels(std::string& out,
                         const std::vector<price_level>& levels) {
  out.push_back('[');
  for (std::size_t i = 0; i < levels.size(); ++i) {
    out += i == 0 ? R"([")" : R"(,[")";
    append_e8(out, levels[i].price_e8);
    out += R"(",")";
    append_e8(out, levels[i].qty_e8);
    out += R"("])";
  }
  out.push_back(']');
}

void append_depth_event(std::string& out, const depth_update& x) {
  out += R"({"e":"depthUpdate","E":)";
  out += std::to_string(x.event_time_ms);
  out += R"(,"s":")";
  out += x.symbol;
  out += R"(","U":)";
  out += std::to_string(x.first_update_id);
  out += R"(,"u":)";
  out += std::to_string(x.final_update_id);
  out += R"(,"b":)";
  append_price_levels(out, x.bids);
  out += R"(,"a":)";
  append_price_levels(out, x.asks);
  out.push_back('}');
}

void append_combined_depth_event(std::string& out, std::string_view stream,
                                 const depth_update& x) {
  out += R"({"stream":")";
  out += stream;
  out += R"(","data":)";
  append_depth_event(out, x);
  out.push_back('}');
}

} // namespace sv
