// group_symbol_change: one runtime change of a shard group's symbols (data only).
#pragma once

#include <cstdint>
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

/// What a group member did with a change asked of it.
enum class group_change_outcome : std::uint8_t {
  queued,    ///< to be written to the group's bucket at once (HTTP 202)
  unchanged, ///< the group has it so already: nothing written (200)
  unknown,   ///< a removal of a symbol the group lacks (404)
  unreachable, ///< the bucket was not reached at the last round, or stopping (503)
  full,        ///< too many changes wait to be written (503)
};

/// The answer to a change: its outcome and the change as it is written, its
/// streams resolved (an add without streams gets the symbol's streams in the
/// group, or the member's default streams for a new symbol), so that every
/// member starts the symbol with the same streams.
struct group_change_result {
  group_change_outcome outcome = group_change_outcome::queued;
  group_symbol_change change;
};

} // namespace sv
