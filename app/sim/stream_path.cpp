// stream_path: which aggTrade streams a WebSocket request path asks for (/ws/... or /stream?streams=...).
#include "app/sim/stream_path.hpp"

#include <algorithm>

#include "app/sim/rest_handler.hpp"
#include "app/sim/sim_exchange.hpp"
#include "app/sim/trade_generator.hpp"

namespace sv {

namespace {

/// Adds the symbols of "a@aggTrade/b@aggTrade" to `out`; false on any bad stream.
bool add_streams(std::string_view list, stream_request& out) {
  constexpr std::string_view suffix = "@aggTrade";
  while (!list.empty()) {
    auto slash = list.find('/');
    auto stream = list.substr(0, slash);
    list = slash == std::string_view::npos ? std::string_view{} : list.substr(slash + 1);
    if (stream.size() <= suffix.size()
        || stream.substr(stream.size() - suffix.size()) != suffix)
      return false;
    auto symbol = to_upper_symbol(stream.substr(0, stream.size() - suffix.size()));
    if (!valid_symbol(symbol))
      return false;
    if (std::find(out.symbols.begin(), out.symbols.end(), symbol) == out.symbols.end())
      out.symbols.push_back(std::move(symbol));
  }
  return !out.symbols.empty();
}

} // namespace

std::optional<stream_request> parse_stream_path(std::string_view path,
                                                std::string_view query) {
  stream_request out;
  constexpr std::string_view raw_prefix = "/ws/";
  if (path.substr(0, raw_prefix.size()) == raw_prefix) {
    if (!add_streams(path.substr(raw_prefix.size()), out))
      return std::nullopt;
    return out;
  }
  if (path == "/stream") {
    out.combined = true;
    for (const auto& [name, value] : parse_query(query))
      if (name == "streams" && !add_streams(value, out))
        return std::nullopt;
    if (out.symbols.empty())
      return std::nullopt;
    return out;
  }
  return std::nullopt;
}

} // namespace sv
