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

/// In a Catch2 test: runs the rest of the body only if the fixture directory
/// exists, with `dir` naming it; otherwise WARNs "skipped: fixtures not found:
/// <dir>" and succeeds.
#define SV_REQUIRE_FIXTURES(dir)                                               \
  const auto dir##_found = sv::test::fixtures_dir();                           \
  if (!dir##_found) {                                                          \
    WARN(                                                                      \
      "skipped: fixtures not found: " << sv::test::fixtures_dir_configured()); \
    SUCCEED();                                                                 \
    return;                                                                    \
  }                                                                            \
  const std::string& dir = *dir##_found
