// group_symbol_change: one runtime change of a shard group's symbols (data only).
#pragma once

#include <string>
#include <vector>

#include "messages/stream_kind.hpp"

namespace sv {

/// A symbol added to or removed from every member of a shard group at runtime
/// (PUT or DELETE /symbols/{S} on any member). It is kept in the group's
/// bucket sv_symbols_<group> and outlives restarts and reloads: it wins over the
/// members' configured symbols until a later change of the same symbol
/// (docs/scale-out.md, "Changing a group's symbols").
struct group_symbol_change {
  std::string symbol; ///< upper case
  bool add = true;    ///< true: streamed by the group; false: by no member
  /// With `add`: the symbol's streams; empty: its configured streams, or the
  /// default streams for a symbol no config names.
  std::vector<stream_kind> streams;
};

} // namespace sv
