// fixtures: locates and reads the Binance fixture files under SV_FIXTURES_DIR.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sv::test {

/// The fixture directory (the SV_FIXTURES_DIR compile definition) if it exists,
/// else nullopt: a test then WARNs "skipped: fixtures not found: <dir>" and
/// succeeds.
std::optional<std::string> fixtures_dir();

/// The configured fixture directory, whether or not it exists (for the WARN
/// line).
std::string fixtures_dir_configured();

/// The whole file; throws std::runtime_error if it cannot be read.
std::string read_file(const std::string& path);

/// The file's lines without their '\n' (and a trailing '\r'), empty lines
/// dropped; throws std::runtime_error if it cannot be read.
std::vector<std::string> read_lines(const std::string& path);

} // namespace sv::test
