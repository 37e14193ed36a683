// group_symbols: a shard group's symbols with its runtime changes applied.
#include "actors/core/group_symbols.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "actors/core/symbol_case.hpp"
#include "actors/core/symbol_name.hpp"

namespace sv {

namespace {

constexpr std::string_view key_prefix = "symbol.";
constexpr std::string_view add_word = "add";
constexpr std::string_view remove_word = "remove";

/// "aggTrade,depth" into its streams; false for an unknown name, a repeat or an
/// empty part.
bool parse_streams(std::string_view text, std::vector<stream_kind>& out) {
  while (!text.empty()) {
    auto comma = text.find(',');
    auto kind = parse_stream_kind(text.substr(0, comma));
    if (!kind || std::find(out.begin(), out.end(), *kind) != out.end())
      return false;
    out.push_back(*kind);
    if (comma == std::string_view::npos)
      return true;
    text.remove_prefix(comma + 1);
    if (text.empty())
      return false; // a trailing comma
  }
  return true;
}

} // namespace

std::string group_symbol_key(const std::string& symbol) {
  return std::string{key_prefix} + symbol;
}

std::string group_symbol_value(const group_symbol_change& change) {
  if (!change.add)
    return std::string{remove_word};
  if (change.streams.empty())
    return std::string{add_word};
  return std::string{add_word} + ' ' + join_streams(change.streams);
}

std::optional<group_symbol_change>
parse_group_symbol(const std::string& key, const std::string& value) {
  std::string_view k{key};
  if (k.substr(0, key_prefix.size()) != key_prefix)
    return std::nullopt;
  k.remove_prefix(key_prefix.size());
  if (!is_symbol_name(k))
    return std::nullopt;
  group_symbol_change change;
  change.symbol = upper_symbol(k);
  std::string_view v{value};
  if (v == remove_word) {
    change.add = false;
    return change;
  }
  if (v.substr(0, add_word.size()) != add_word)
    return std::nullopt;
  v.remove_prefix(add_word.size());
  if (v.empty())
    return change;
  if (v.front() != ' ' || v.size() == 1
      || !parse_streams(v.substr(1), change.streams))
    return std::nullopt;
  return change;
}

symbol_plan
merge_group_symbols(const symbol_plan& configured,
                    const std::vector<group_symbol_change>& changes) {
  std::map<std::string, const group_symbol_change*> by_symbol;
  for (const auto& change : changes)
    by_symbol[change.symbol] = &change;
  symbol_plan out;
  out.large_trade_quote_e8_by_symbol
    = configured.large_trade_quote_e8_by_symbol;
  std::set<std::string> listed;
  for (std::size_t i = 0; i < configured.symbols.size(); ++i) {
    const auto& symbol = configured.symbols[i];
    auto streams = i < configured.streams.size() ? configured.streams[i]
                                                 : std::vector<stream_kind>{};
    auto it = by_symbol.find(symbol);
    if (it != by_symbol.end()) {
      if (!it->second->add)
        continue;
      if (!it->second->streams.empty())
        streams = it->second->streams;
    }
    if (!listed.insert(symbol).second)
      continue;
    out.symbols.push_back(symbol);
    out.streams.push_back(std::move(streams));
  }
  // std::map: the added symbols come sorted, the same on every member.
  for (const auto& [symbol, change] : by_symbol) {
    if (!change->add || listed.count(symbol) != 0)
      continue;
    out.symbols.push_back(symbol);
    out.streams.push_back(change->streams);
  }
  return out;
}

std::vector<stream_kind>
streams_in_plan(const symbol_plan& plan, const std::string& symbol,
                const std::vector<stream_kind>& default_streams) {
  for (std::size_t i = 0; i < plan.symbols.size(); ++i)
    if (plan.symbols[i] == symbol && i < plan.streams.size()
        && !plan.streams[i].empty())
      return plan.streams[i];
  return default_streams;
}

group_change_result
judge_group_change(const symbol_plan& group, const symbol_plan& configured,
                   const std::vector<stream_kind>& default_streams,
                   group_symbol_change change) {
  group_change_result result;
  auto in_group = std::find(group.symbols.begin(), group.symbols.end(),
                            change.symbol)
                  != group.symbols.end();
  if (change.add) {
    auto current = streams_in_plan(in_group ? group : configured, change.symbol,
                                   default_streams);
    std::sort(current.begin(), current.end());
    if (change.streams.empty())
      change.streams = current;
    std::sort(change.streams.begin(), change.streams.end());
    if (in_group && current == change.streams)
      result.outcome = group_change_outcome::unchanged;
  } else if (!in_group) {
    result.outcome = group_change_outcome::unknown;
  }
  result.change = std::move(change);
  return result;
}

std::vector<group_symbol_change>::iterator
find_group_symbol(std::vector<group_symbol_change>& changes,
                  const std::string& symbol) {
  return std::find_if(changes.begin(), changes.end(),
                      [&](const group_symbol_change& c) {
                        return c.symbol == symbol;
                      });
}

std::vector<group_symbol_change>::const_iterator
find_group_symbol(const std::vector<group_symbol_change>& changes,
                  const std::string& symbol) {
  return std::find_if(changes.begin(), changes.end(),
                      [&](const group_symbol_change& c) {
                        return c.symbol == symbol;
                      });
}

void replace_group_symbol(std::vector<group_symbol_change>& changes,
                          group_symbol_change change) {
  auto same = find_group_symbol(changes, change.symbol);
  if (same != changes.end())
    *same = std::move(change);
  else
    changes.push_back(std::move(change));
}

} // namespace sv
