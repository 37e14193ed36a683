// config: settings from defaults, the TOML config file and the command line: the order
// in which they apply and the rules that involve more than one setting. The pieces:
// values.cpp (values of settings), options.cpp (option table, command line, usage),
// file.cpp (the TOML file).
#include "app/settings/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

#include "app/settings/file.hpp"
#include "app/settings/options.hpp"
#include "app/settings/values.hpp"

namespace sv {

using config_detail::origins;

namespace {

/// Checks the rules that involve more than one setting, after the file and the command line.
/// The message names both settings and where each value came from.
std::optional<config_error> check_together(const settings& s,
                                           const origins& origin) {
  auto from = [&origin](std::string_view key) {
    auto i = origin.find(key);
    return i == origin.end() ? std::string{"default"} : i->second;
  };
  if (s.combined && s.streams_per_connection > 1)
    return config_error{
      "config error: combined (" + from("combined")
      + ") and streams_per_connection "
      + std::to_string(s.streams_per_connection) + " ("
      + from("streams_per_connection")
      + ") exclude each other: shared sockets always use the combined "
        "endpoint; unset combined or set streams_per_connection = 1"};
  if (s.backoff_max_ms < s.backoff_initial_ms)
    return config_error{
      "config error: backoff_max_ms " + std::to_string(s.backoff_max_ms) + " ("
      + from("backoff_max_ms") + ") is less than backoff_initial_ms "
      + std::to_string(s.backoff_initial_ms) + " (" + from("backoff_initial_ms")
      + "); backoff_max_ms must be >= backoff_initial_ms"};
  // JetStream refuses a stream whose duplicate window outlasts its messages.
  if (s.nats_age_s_max != 0 && s.nats_age_s_max < s.nats_duplicate_window_s)
    return config_error{
      "config error: nats_age_s_max " + std::to_string(s.nats_age_s_max) + " ("
      + from("nats_age_s_max") + ") is less than nats_duplicate_window_s "
      + std::to_string(s.nats_duplicate_window_s) + " ("
      + from("nats_duplicate_window_s")
      + "); JetStream needs the age limit to be 0 (none) or at least the "
        "duplicate window"};
  if (!s.shard_group.empty() && s.nats_url.empty())
    return config_error{"config error: shard_group " + s.shard_group + " ("
                        + from("shard_group")
                        + ") needs nats_url: the group's leases are kept in "
                          "JetStream; set nats_url or unset shard_group"};
  for (const auto& sym : s.book_symbols)
    if (std::find(s.symbols.begin(), s.symbols.end(), sym) == s.symbols.end())
      return config_error{"config error: book_symbols (" + from("book_symbols")
                          + ") has " + sym + ", which is not in symbols ("
                          + from("symbols")
                          + "); every book symbol must be streamed"};
  // A per-symbol override for a symbol that is not streamed is a typo or a
  // leftover; accepting it silently would leave the operator believing it applies.
  auto unstreamed = [&](std::string_view key,
                        const auto& table) -> std::optional<config_error> {
    for (const auto& entry : table)
      if (std::find(s.symbols.begin(), s.symbols.end(), entry.first)
          == s.symbols.end())
        return config_error{"config error: " + std::string{key} + " ("
                            + from(key) + ") has " + entry.first
                            + ", which is not in symbols (" + from("symbols")
                            + "); remove the entry or stream the symbol"};
    return std::nullopt;
  };
  if (auto err = unstreamed("silence_timeout_s_by_symbol",
                            s.silence_timeout_s_by_symbol))
    return err;
  if (auto err = unstreamed("large_trade_quote_by_symbol",
                            s.large_trade_quote_e8_by_symbol))
    return err;
  if (!s.book_symbols.empty()
      && std::find(s.streams.begin(), s.streams.end(), stream_kind::depth)
           == s.streams.end())
    return config_error{"config error: book_symbols (" + from("book_symbols")
                        + ") is set but streams (" + from("streams")
                        + R"() has no "depth"; add "depth" to streams)"};
  return std::nullopt;
}

} // namespace

// The documented API: a URL and the name of the setting it came from.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
std::variant<endpoint, config_error> parse_endpoint(std::string_view url,
                                                    std::string_view setting) {
  endpoint result;
  if (auto err = config_detail::parse_endpoint_into(url, result))
    return config_detail::cli_error(setting, *err);
  return result;
}

std::variant<load_result, config_error> load_settings(int argc,
                                                      const char* const* argv) {
  using namespace config_detail;
  load_result result;
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i)
    // argv is the C array main() received.
    args.emplace_back(
      argv[i]); // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  // --help and --version win over everything else, even a broken command line.
  for (auto arg : args) {
    if (arg == "--help") {
      result.show_help = true;
      return result;
    }
  }
  for (auto arg : args) {
    if (arg == "--version") {
      result.show_version = true;
      return result;
    }
  }
  std::vector<cli_value> values;
  if (auto err = parse_cli(args, result.config_path, values))
    return *err;
  origins origin;
  if (!result.config_path.empty())
    if (auto err = apply_file(result.config_path, result.values, origin))
      return *err;
  for (const auto& v : values) {
    if (auto err = apply_cli(*v.spec, result.values, v.value, v.has_value))
      return cli_error(v.spec->cli, *err);
    origin[v.spec->key] = std::string(v.spec->cli);
  }
  // combined asks for one /stream?streams= socket per stream, the layout before
  // shared sockets: it turns the default packing off; an explicit one is refused.
  if (result.values.combined && origin.count("streams_per_connection") == 0)
    result.values.streams_per_connection = 1;
  if (auto err = check_together(result.values, origin))
    return *err;
  if (result.values.lock_file.empty())
    result.values.lock_file = default_lock_file();
  return result;
}

std::string default_lock_file() {
  // The XDG base directory spec: ignore the variable unless it is an absolute path. It is also
  // ignored when it names no directory (a stale value after logout), since the lock would
  // then fail to open.
  // NOLINTNEXTLINE(concurrency-mt-unsafe): main thread, before any other thread starts.
  const char* env = std::getenv("XDG_RUNTIME_DIR");
  std::string_view runtime_dir = env != nullptr ? env : "";
  if (!runtime_dir.empty() && runtime_dir.front() == '/') {
    std::error_code ec;
    std::filesystem::path dir(runtime_dir);
    if (std::filesystem::is_directory(dir, ec))
      return (dir / "streamvisor.lock").string();
  }
  // Per user, so that two users on one host do not lock each other out.
  return "/tmp/streamvisor-" + std::to_string(getuid()) + ".lock";
}

std::vector<std::string_view> changed_settings(const settings& a,
                                               const settings& b) {
  return config_detail::changed_keys(a, b);
}

} // namespace sv
