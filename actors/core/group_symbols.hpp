// group_symbols: a shard group's symbols, the members' configured set with the
// group's runtime changes applied, and how a change is written in the bucket.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/group_symbol_change.hpp"
#include "messages/symbol_plan.hpp"

namespace sv {

/// The bucket key of a change: `symbol.<SYMBOL>`.
std::string group_symbol_key(const std::string& symbol);

/// The bucket value of a change: "add", "add aggTrade,depth" or "remove".
std::string group_symbol_value(const group_symbol_change& change);

/// Reads an entry of the bucket back. nullopt for a key that is not
/// `symbol.<S>` with a valid symbol name, or a value other than the three
/// forms above (written by a newer version, or by hand): the caller skips it.
std::optional<group_symbol_change> parse_group_symbol(const std::string& key,
                                                      const std::string& value);

/// The group's symbols: `configured`, in its order, without the removed ones
/// and with the streams an add names; then the added symbols it lacks, sorted
/// (their large-trade thresholds are the default's). `changes` holds at most
/// one change per symbol; a later duplicate wins.
symbol_plan
merge_group_symbols(const symbol_plan& configured,
                    const std::vector<group_symbol_change>& changes);

/// `symbol`'s streams in `plan`; `default_streams` if the plan lacks it or
/// names none for it.
std::vector<stream_kind>
streams_in_plan(const symbol_plan& plan, const std::string& symbol,
                const std::vector<stream_kind>& default_streams);

/// Judges `change` against `group` (the group's symbols now) and resolves its
/// streams, so that every member starts the symbol alike: an add without
/// streams gets the symbol's streams in the group, or for a symbol the group
/// lacks its streams in `configured` (one removed earlier), else
/// `default_streams`; streams come sorted. An add the group has with the same
/// streams is unchanged; a removal of a symbol it lacks unknown; else queued.
group_change_result
judge_group_change(const symbol_plan& group, const symbol_plan& configured,
                   const std::vector<stream_kind>& default_streams,
                   group_symbol_change change);

/// The change of `symbol` in `changes` (which hold at most one per symbol), or
/// `changes.end()`.
std::vector<group_symbol_change>::iterator
find_group_symbol(std::vector<group_symbol_change>& changes,
                  const std::string& symbol);
std::vector<group_symbol_change>::const_iterator
find_group_symbol(const std::vector<group_symbol_change>& changes,
                  const std::string& symbol);

/// Puts `change` into `changes` in place of one of the same symbol, or at the
/// end.
void replace_group_symbol(std::vector<group_symbol_change>& changes,
                          group_symbol_change change);

} // namespace sv
