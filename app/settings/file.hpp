// file: loading the TOML config file into settings, with errors that name the file, the
// line and the key; internal to app/settings/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "app/settings/config.hpp"

namespace sv::config_detail {

/// Where each setting's value came from, by TOML key: "--opt" or "file:line"; absent: the
/// default. Errors that involve two settings name both origins.
using origins = std::map<std::string_view, std::string>;

/// Reads `path` and applies its keys to `s`, in file order so the first error
/// is the first one the operator sees in the file; records each key's line in `origin`.
std::optional<config_error> apply_file(const std::string& path, settings& s,
                                       origins& origin);

/// apply_file() after reading: parses `text` as the TOML contents of the file named
/// `path` (used only in messages) and applies its keys to `s`. Reads no file and no
/// environment; bounds nothing (apply_file() refuses files above
/// config_file_bytes_max before calling it). Main thread (or a fuzzer's).
std::optional<config_error> apply_text(std::string_view text,
                                       const std::string& path, settings& s,
                                       origins& origin);

} // namespace sv::config_detail
