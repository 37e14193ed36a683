// replay_source: the lines of a --replay JSONL file, each sent verbatim as one text frame.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sv {

/// Reads `path` into its non-empty lines (without "\n" or a trailing "\r"). Returns
/// nullopt and sets `error` if the file cannot be read or holds more than
/// `lines_max` lines (everything is kept in memory). Main thread, at start-up.
std::optional<std::vector<std::string>>
load_replay(const std::string& path, std::string& error,
            std::size_t lines_max = 10'000'000);

} // namespace sv
