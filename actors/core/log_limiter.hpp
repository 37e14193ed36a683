// log_limiter: decides which repeated log lines are written and which are only counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

/// Bounds what repeated log lines cost. Lines are grouped by similarity (the text
/// with every token that starts with a digit replaced by '#', so "fd 17" and "fd
/// 23" are similar); the first line of a group in a window of `window_ms` is
/// written, the rest of that window only counted. When the group shows up again
/// after its window, or at flush(), the count comes out as one summary
/// (`suppressed N similar in T s`). At most `groups_max` groups are tracked; a line
/// of a further group falls into one shared overflow group. So, whatever the input,
/// at most 2 x (groups_max + 1) lines are written per window.
///
/// Pure: time is passed in (milliseconds on any monotonic clock) and nothing is
/// logged here; the caller writes what the verdicts say. Not thread-safe: the
/// caller locks (lws logs from its service threads).
class log_limiter {
public:
  /// Bounds of a limiter.
  struct options {
    /// Length of a group's window: its first line is written, the rest counted.
    std::int64_t window_ms = 10000;
    /// Groups tracked at once; a further group shares the overflow group.
    std::size_t groups_max = 32;
  };

  /// A group's lines that were counted but not written.
  struct summary {
    std::string sample;           ///< the first line of the group's window
    std::uint64_t suppressed = 0; ///< lines counted but not written
    std::int64_t over_ms
      = 0; ///< from the window's start to the last counted line
  };

  /// What to do with one line.
  struct verdict {
    bool write = false; ///< write the line itself
    /// Summaries of windows that ended (this line's group's, and any other group
    /// evicted to make room); write them before the line.
    std::vector<summary> summaries;
  };

  /// The shared group of lines that found no free group; its sample is this text.
  static constexpr std::string_view overflow_sample
    = "(lines of further groups)";

  explicit log_limiter(options opts);

  /// Decides about `line` seen at `now_ms` (non-decreasing between calls).
  verdict admit(std::string_view line, std::int64_t now_ms);

  /// Ends every window that is over at `now_ms` (all of them if `all`): returns
  /// the summaries of those that counted lines and forgets their groups.
  std::vector<summary> flush(std::int64_t now_ms, bool all = false);

  /// The group key of `line`: digit-led tokens become '#'.
  static std::string similarity_key(std::string_view line);

  /// Groups tracked now (overflow included), for tests.
  [[nodiscard]] std::size_t groups() const {
    return groups_.size();
  }

private:
  struct group {
    std::string key;                  ///< similarity_key() of its lines
    std::string sample;               ///< the first line of the current window
    std::int64_t window_start_ms = 0; ///< when the current window began
    std::int64_t last_ms = 0;         ///< the last line counted in this window
    std::uint64_t suppressed = 0;     ///< lines counted in this window
  };

  /// Writes g's summary into `out` if it counted lines.
  static void summarise(const group& g, std::vector<summary>& out);

  options opts_;
  std::vector<group> groups_; ///< at most groups_max + 1 (the overflow group)
};

} // namespace sv
