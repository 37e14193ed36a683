// config_reload: SIGHUP's work: re-read the settings and apply what can change live.
#include "app/config_reload.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string_view>

#include <caf/scoped_actor.hpp>

#include "actors/core/log.hpp"
#include "app/settings/config.hpp"
#include "app/wiring.hpp"

namespace sv {

namespace {

/// CLOCK_MONOTONIC in µs, as RELOADING=1's MONOTONIC_USEC= wants it.
long long monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

std::string joined(const std::vector<std::string>& xs) {
  std::string result;
  for (const auto& x : xs)
    result += (result.empty() ? "" : ",") + x;
  return result.empty() ? "-" : result;
}

void tell_ready(service_notifier* notifier, const std::string& status) {
  if (notifier != nullptr)
    notifier->notify("READY=1\nSTATUS=" + status);
}

} // namespace

const std::vector<std::string>& live_keys() {
  static const std::vector<std::string> keys = {"symbols",
                                                "streams",
                                                "book_symbols",
                                                "log_level",
                                                "silence_timeout_s",
                                                "silence_timeout_s_by_symbol",
                                                "large_trade_quote_by_symbol"};
  return keys;
}

bool reload_config(reload_target& target) {
  if (target.notifier != nullptr)
    target.notifier->notify("RELOADING=1\nMONOTONIC_USEC="
                            + std::to_string(monotonic_usec())
                            + "\nSTATUS=reloading");
  auto loaded = load_settings(target.argc, target.argv);
  if (auto* err = std::get_if<config_error>(&loaded)) {
    SV_ERROR("streamvisor", "-", "reload_rejected",
             "error=\"%s\" hint=\"the running configuration stays; fix the "
             "file and send SIGHUP again\"",
             err->message.c_str());
    tell_ready(target.notifier, "reload rejected: " + err->message);
    return false;
  }
  auto next = std::get<load_result>(std::move(loaded)).values;
  auto& running = *target.running;
  std::vector<std::string> restart_needed;
  for (auto key : changed_settings(running, next))
    if (std::find(live_keys().begin(), live_keys().end(), key)
        == live_keys().end())
      restart_needed.emplace_back(key);
  if (auto level = parse_log_level(next.log_level))
    set_log_level(*level);
  auto sup = supervisor_config_for(next);
  caf::anon_send(target.supervisor, reload_atom::value, sup.silence_timeout_ms,
                 sup.silence_timeout_ms_by_symbol);
  plan_applied applied;
  caf::scoped_actor self{*target.sys};
  // Removals wait for their children's close (shutdown_timeout_ms at most).
  auto wait = std::chrono::milliseconds(running.shutdown_timeout_ms)
              + std::chrono::seconds(10);
  if (target.regroup)
    target.regroup(symbol_plan_for(next));
  else
    self
      ->request(target.registry, wait, reload_atom::value,
                symbol_plan_for(next))
      .receive([&](plan_applied& x) { applied = std::move(x); },
               [&](caf::error& err) {
                 applied.failed.push_back("registry: " + caf::to_string(err));
               });
  if (!restart_needed.empty())
    SV_WARN("streamvisor", "-", "reload_needs_restart",
            "keys=%s hint=\"these settings apply at the next start\"",
            joined(restart_needed).c_str());
  if (!applied.failed.empty())
    SV_ERROR("streamvisor", "-", "reload_incomplete", "failed=\"%s\"",
             joined(applied.failed).c_str());
  SV_INFO("streamvisor", "-", "reloaded",
          "added=%s removed=%s symbols=%zu log_level=%s",
          joined(applied.added).c_str(), joined(applied.removed).c_str(),
          next.symbols.size(), next.log_level.c_str());
  // Only the live keys change what runs; the others keep their running
  // values, so the next reload still reports them as needing a restart.
  running.symbols = next.symbols;
  running.streams = next.streams;
  running.book_symbols = next.book_symbols;
  running.log_level = next.log_level;
  running.silence_timeout_s = next.silence_timeout_s;
  running.silence_timeout_s_by_symbol = next.silence_timeout_s_by_symbol;
  running.large_trade_quote_e8_by_symbol = next.large_trade_quote_e8_by_symbol;
  tell_ready(target.notifier,
             "reloaded: " + std::to_string(next.symbols.size()) + " symbols");
  return applied.failed.empty();
}

} // namespace sv
