// sim_exchange: the set of simulated symbols, created on first use, and their stats document.
#include "app/sim/exchange/sim_exchange.hpp"

#include <cassert>

#include "actors/core/decimal.hpp"

namespace sv {

bool valid_symbol(std::string_view symbol) noexcept {
  constexpr std::size_t symbol_len_max = 20;
  if (symbol.empty() || symbol.size() > symbol_len_max)
    return false;
  for (char c : symbol) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
              || c == '_' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

symbol_market* sim_exchange::find(std::string_view symbol) const {
  auto i = markets_.find(symbol);
  return i == markets_.end() ? nullptr : i->second.get();
}

symbol_market& sim_exchange::get_or_create(std::string_view symbol) {
  assert(valid_symbol(symbol));
  if (auto* m = find(symbol))
    return *m;
  auto market = std::make_unique<symbol_market>(std::string(symbol), limits_);
  auto& ref = *market;
  markets_.emplace(std::string(symbol), std::move(market));
  return ref;
}

namespace {

void append_optional_id(std::string& out, std::optional<std::int64_t> id) {
  out += id ? std::to_string(*id) : std::string("null");
}

} // namespace

std::string sim_exchange::stats_json() const {
  std::string out = "{\"symbols\":{";
  bool first = true;
  for (const auto& [name, market] : markets_) {
    const auto& t = market->totals();
    if (!first)
      out.push_back(',');
    first = false;
    out += "\"" + name + "\":{\"emitted\":" + std::to_string(t.emitted);
    out += ",\"first_id\":";
    append_optional_id(out, market->first_emitted_id());
    out += ",\"last_id\":";
    append_optional_id(out, market->last_emitted_id());
    out += ",\"buy_volume\":\"" + format_e8(t.buy_volume_e8);
    out += "\",\"sell_volume\":\"" + format_e8(t.sell_volume_e8);
    out += "\",\"buy_quote\":\"" + format_e16_as_e8(t.buy_quote_e16);
    out += "\",\"sell_quote\":\"" + format_e16_as_e8(t.sell_quote_e16);
    out += "\",\"connections\":" + std::to_string(market->connections());
    out += ",\"connections_total\":"
           + std::to_string(market->connections_total());
    out += ",\"faults_applied\":" + std::to_string(market->faults_applied());
    out += ",\"skipped_on_reconnect\":"
           + std::to_string(market->skipped_on_reconnect());
    const auto& depth = market->depth();
    out += ",\"depth_first_update_id\":"
           + std::to_string(depth.book().initial_update_id());
    out += ",\"depth_update_id\":"
           + std::to_string(depth.book().last_update_id());
    out += ",\"depth_events\":" + std::to_string(depth.emitted());
    out += ",\"depth_dropped\":" + std::to_string(depth.dropped());
    out += ",\"depth_connections\":" + std::to_string(depth.connections());
    out += "}";
  }
  out += "}";
  out += ",\"rest_requests\":" + std::to_string(rest_requests_);
  out += ",\"rest_rejected\":" + std::to_string(rest_rejected_);
  if (faults_ != nullptr && !faults_->empty())
    out += ",\"faults\":" + faults_->stats_json();
  out += "}";
  return out;
}

} // namespace sv
