// Tests of group_symbols (pure): a shard group's runtime symbol changes, their
// bucket form, and the group's symbols they give with the configured ones.
#include <catch2/catch.hpp>

#include "actors/core/group_symbols.hpp"

using namespace sv;

namespace {

symbol_plan configured() {
  symbol_plan p;
  p.symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  p.streams = {{stream_kind::agg_trade, stream_kind::depth},
               {stream_kind::agg_trade},
               {stream_kind::agg_trade}};
  p.large_trade_quote_e8_by_symbol["BTCUSDT"] = 7;
  return p;
}

group_symbol_change add(const std::string& symbol,
                        std::vector<stream_kind> streams = {}) {
  return {symbol, true, std::move(streams)};
}

group_symbol_change drop(const std::string& symbol) {
  return {symbol, false, {}};
}

} // namespace

TEST_CASE("a change is written as symbol.<S> = add [streams] or remove, and "
          "read back the same",
          "[group_symbols]") {
  for (const auto& change :
       {add("XRPUSDT"), add("XRPUSDT", {stream_kind::depth}),
        add("XRPUSDT", {stream_kind::agg_trade, stream_kind::depth}),
        drop("BTCUSDT")}) {
    auto key = group_symbol_key(change.symbol);
    auto value = group_symbol_value(change);
    auto back = parse_group_symbol(key, value);
    REQUIRE(back);
    CHECK(back->symbol == change.symbol);
    CHECK(back->add == change.add);
    CHECK(back->streams == change.streams);
  }
  CHECK(group_symbol_key("XRPUSDT") == "symbol.XRPUSDT");
  CHECK(group_symbol_value(
          add("XRPUSDT", {stream_kind::agg_trade, stream_kind::depth}))
        == "add aggTrade,depth");
  CHECK(group_symbol_value(drop("XRPUSDT")) == "remove");
  // A lower-case key (written by hand) names the same symbol.
  CHECK(parse_group_symbol("symbol.xrpusdt", "add")->symbol == "XRPUSDT");
}

TEST_CASE("entries that are not a change of this version are skipped, not "
          "guessed",
          "[group_symbols]") {
  CHECK_FALSE(parse_group_symbol("lease.BTCUSDT.0", "add"));
  CHECK_FALSE(parse_group_symbol("symbol.", "add"));
  CHECK_FALSE(parse_group_symbol("symbol.BTC-USDT", "add"));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", ""));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", "added"));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", "add "));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", "add trades"));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", "add aggTrade,"));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", "add aggTrade,aggTrade"));
  CHECK_FALSE(parse_group_symbol("symbol.BTCUSDT", "remove aggTrade"));
}

TEST_CASE("the group's symbols are the configured ones in config order, minus "
          "the removed, then the added in name order",
          "[group_symbols]") {
  auto merged = merge_group_symbols(
    configured(), {add("XRPUSDT"), drop("ETHUSDT"),
                   add("ADAUSDT", {stream_kind::depth}), add("SOLUSDT")});
  CHECK(
    merged.symbols
    == std::vector<std::string>{"BTCUSDT", "SOLUSDT", "ADAUSDT", "XRPUSDT"});
  REQUIRE(merged.streams.size() == 4);
  CHECK(
    merged.streams[0]
    == std::vector<stream_kind>{stream_kind::agg_trade, stream_kind::depth});
  // An add without streams keeps a configured symbol's own.
  CHECK(merged.streams[1] == std::vector<stream_kind>{stream_kind::agg_trade});
  CHECK(merged.streams[2] == std::vector<stream_kind>{stream_kind::depth});
  // Empty: the registry's default streams.
  CHECK(merged.streams[3].empty());
  CHECK(merged.large_trade_quote_e8_by_symbol.at("BTCUSDT") == 7);
  // No change: the configured set as it is.
  auto same = merge_group_symbols(configured(), {});
  CHECK(same.symbols == configured().symbols);
  CHECK(same.streams == configured().streams);
}

TEST_CASE("an add names the streams a configured symbol streams from then on; "
          "removing an unknown symbol changes nothing",
          "[group_symbols]") {
  auto merged = merge_group_symbols(
    configured(), {add("BTCUSDT", {stream_kind::agg_trade}), drop("DOGEUSDT")});
  CHECK(merged.symbols == configured().symbols);
  CHECK(merged.streams[0] == std::vector<stream_kind>{stream_kind::agg_trade});
}

TEST_CASE("a later change of a symbol replaces its earlier one",
          "[group_symbols]") {
  std::vector<group_symbol_change> changes;
  replace_group_symbol(changes, add("XRPUSDT"));
  replace_group_symbol(changes, drop("ETHUSDT"));
  replace_group_symbol(changes, drop("XRPUSDT"));
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].symbol == "XRPUSDT");
  CHECK_FALSE(changes[0].add);
  auto merged = merge_group_symbols(configured(), changes);
  CHECK(merged.symbols == std::vector<std::string>{"BTCUSDT", "SOLUSDT"});
  // Given twice to the merge, the later wins too.
  merged = merge_group_symbols(configured(), {drop("BTCUSDT"), add("BTCUSDT")});
  CHECK(merged.symbols.front() == "BTCUSDT");
}

TEST_CASE("a change is judged against the group now and its streams resolved "
          "so every member starts the symbol alike",
          "[group_symbols]") {
  const std::vector<stream_kind> defaults{stream_kind::depth,
                                          stream_kind::agg_trade};
  auto group = merge_group_symbols(configured(), {drop("SOLUSDT")});
  // A bare add of a symbol the group has: its streams there, nothing to do.
  auto r = judge_group_change(group, configured(), defaults, add("BTCUSDT"));
  CHECK(r.outcome == group_change_outcome::unchanged);
  CHECK(
    r.change.streams
    == std::vector<stream_kind>{stream_kind::agg_trade, stream_kind::depth});
  // The same streams in another order: unchanged too; more: queued.
  r = judge_group_change(group, configured(), defaults,
                         add("ETHUSDT", {stream_kind::agg_trade}));
  CHECK(r.outcome == group_change_outcome::unchanged);
  r = judge_group_change(group, configured(), defaults,
                         add("ETHUSDT",
                             {stream_kind::depth, stream_kind::agg_trade}));
  CHECK(r.outcome == group_change_outcome::queued);
  CHECK(
    r.change.streams
    == std::vector<stream_kind>{stream_kind::agg_trade, stream_kind::depth});
  // A bare add of a configured symbol the group removed: its configured
  // streams, not the default.
  r = judge_group_change(group, configured(), defaults, add("SOLUSDT"));
  CHECK(r.outcome == group_change_outcome::queued);
  CHECK(r.change.streams == std::vector<stream_kind>{stream_kind::agg_trade});
  // A bare add of a symbol no config names: the default streams, sorted.
  r = judge_group_change(group, configured(), defaults, add("XRPUSDT"));
  CHECK(r.outcome == group_change_outcome::queued);
  CHECK(
    r.change.streams
    == std::vector<stream_kind>{stream_kind::agg_trade, stream_kind::depth});
  // Removals: of a symbol the group has, queued; of one it lacks, unknown.
  CHECK(
    judge_group_change(group, configured(), defaults, drop("ETHUSDT")).outcome
    == group_change_outcome::queued);
  CHECK(
    judge_group_change(group, configured(), defaults, drop("SOLUSDT")).outcome
    == group_change_outcome::unknown);
}
