// stream_json: text shared by every simulated stream: integers, stream names, the combined-stream wrapper.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sv {

/// Appends `v` in decimal (no allocation beyond `out`'s growth).
void append_int(std::string& out, std::int64_t v);

/// The lower-case stream name of `symbol`'s stream `suffix`: ("BTCUSDT", "@aggTrade")
/// -> "btcusdt@aggTrade".
std::string stream_name(std::string_view symbol, std::string_view suffix);

/// Appends the combined-stream form {"stream":"<stream>","data":<event>}, where
/// `append_event(out)` appends the raw event; `stream` is the lower-case name.
template <class AppendEvent>
void append_combined(std::string& out, std::string_view stream,
                     AppendEvent&& append_event) {
  out += "{\"stream\":\"";
  out += stream;
  out += "\",\"data\":";
  append_event(out);
  out.push_back('}');
}

} // namespace sv
