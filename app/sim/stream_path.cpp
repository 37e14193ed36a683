// stream_path: which streams a WebSocket request path asks for (/ws/... or /stream?streams=...).
#include "app/sim/stream_path.hpp"

#include <algorithm>

#include "actors/core/symbol_case.hpp"
#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/exchange/trade_generator.hpp"
#include "app/sim/rest_handler.hpp"

namespace sv {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size()
         && text.substr(text.size() - suffix.size()) == suffix;
}

/// Adds the streams of "a@aggTrade/b@depth@100ms" to `out` (none for an empty
/// list); false on any bad stream.
bool add_streams(std::string_view list, stream_request& out) {
  while (!list.empty()) {
    auto slash = list.find('/');
    auto stream = list.substr(0, slash);
    list = slash == std::string_view::npos ? std::string_view{}
                                           : list.substr(slash + 1);
    auto ref = parse_stream_name(stream);
    if (!ref)
      return false;
    if (std::find(out.symbols.begin(), out.symbols.end(), ref->symbol)
        == out.symbols.end())
      out.symbols.push_back(ref->symbol);
    auto same = [&](const stream_ref& r) {
      return r.symbol == ref->symbol && r.kind == ref->kind;
    };
    if (std::find_if(out.streams.begin(), out.streams.end(), same)
        == out.streams.end())
      out.streams.push_back(std::move(*ref));
  }
  return true;
}

} // namespace

std::optional<stream_ref> parse_stream_name(std::string_view name) {
  constexpr std::string_view trade_suffix = "@aggTrade";
  constexpr std::string_view depth_suffix = "@depth@100ms";
  stream_ref ref;
  std::size_t suffix_len = 0;
  if (ends_with(name, trade_suffix)) {
    ref.kind = stream_kind::agg_trade;
    suffix_len = trade_suffix.size();
  } else if (ends_with(name, depth_suffix)) {
    ref.kind = stream_kind::depth;
    suffix_len = depth_suffix.size();
  } else {
    return std::nullopt;
  }
  ref.symbol = upper_symbol(name.substr(0, name.size() - suffix_len));
  if (!valid_symbol(ref.symbol))
    return std::nullopt;
  return ref;
}

std::optional<stream_request> parse_stream_path(std::string_view path,
                                                std::string_view query) {
  stream_request out;
  constexpr std::string_view raw_prefix = "/ws/";
  if (path == "/ws")
    return out; // streams come by SUBSCRIBE
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
    return out;
  }
  return std::nullopt;
}

} // namespace sv
