// config_file_fuzz: the TOML config file through the real loader (config_detail::apply_text).
//
// Checks, for any bytes given as the contents of a config file:
// - parsing and applying them never crashes, leaks or hits UB, and no exception
//   escapes (toml++'s parse_error becomes a config_error);
// - a refusal is one line (no '\n' or '\r': main prints it as one log line) that starts
//   with "config error: fuzz.toml" and so names the file;
// - loading is deterministic: the same bytes give the same error (or none) twice;
// - what is accepted records an origin ("fuzz.toml:<line>") for each key it set.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "app/settings/file.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

std::string load(std::string_view text, sv::config_detail::origins& origin) {
  sv::settings s;
  auto err = sv::config_detail::apply_text(text, "fuzz.toml", s, origin);
  return err ? err->message : std::string{};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  sv::config_detail::origins first;
  sv::config_detail::origins second;
  auto err = load(text, first);
  SV_FUZZ_CHECK(err == load(text, second));
  if (err.empty()) {
    for (const auto& [key, where] : first)
      SV_FUZZ_CHECK(!key.empty() && where.rfind("fuzz.toml:", 0) == 0);
    return 0;
  }
  SV_FUZZ_CHECK(err.rfind("config error: fuzz.toml", 0) == 0);
  SV_FUZZ_CHECK(err.find_first_of("\r\n") == std::string::npos);
  return 0;
}
