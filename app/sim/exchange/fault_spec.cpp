// fault_spec: the simulator's fault modes (--fault MODE[:k=v,...]), their parsing and who gets them.
#include "app/sim/exchange/fault_spec.hpp"

#include <algorithm>
#include <charconv>

#include "actors/core/symbol_case.hpp"
#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/exchange/trade_generator.hpp"

namespace sv {

namespace {

struct mode_name {
  fault_mode mode;
  const char* name;
};

constexpr mode_name mode_names[] = {
  {fault_mode::hang_upgrade, "hang-upgrade"},
  {fault_mode::stall_tls, "stall-tls"},
  {fault_mode::reject, "reject"},
  {fault_mode::reset_after, "reset-after"},
  {fault_mode::close_after, "close-after"},
  {fault_mode::silent_after, "silent-after"},
  {fault_mode::no_first_frame, "no-first-frame"},
  {fault_mode::malformed_every, "malformed-every"},
  {fault_mode::no_pong, "no-pong"},
  {fault_mode::server_shutdown_after, "server-shutdown-after"},
  {fault_mode::skip_on_reconnect, "skip-on-reconnect"},
  {fault_mode::rest_429, "rest-429"},
  {fault_mode::rest_down, "rest-down"},
  {fault_mode::drop_depth, "drop-depth"},
  {fault_mode::drop_subscription, "drop-subscription"},
};

/// Parameters every mode accepts (REST modes count requests, drop-depth counts
/// events: neither counts connections).
bool is_common_key(fault_mode m, std::string_view key) {
  return key == "symbol"
         || (key == "connections" && !fault_is_rest(m) && !fault_is_depth(m));
}

/// Parameters specific to `m`.
bool key_allowed(fault_mode m, std::string_view key) {
  switch (m) {
    case fault_mode::reject:
      return key == "status" || key == "retry_after";
    case fault_mode::reset_after:
    case fault_mode::silent_after:
    case fault_mode::drop_subscription:
      return key == "frames";
    case fault_mode::close_after:
      return key == "frames" || key == "code" || key == "reason";
    case fault_mode::malformed_every:
      return key == "k";
    case fault_mode::no_pong:
      return key == "silent";
    case fault_mode::server_shutdown_after:
      return key == "frames" || key == "grace_ms";
    case fault_mode::skip_on_reconnect:
      return key == "trades";
    case fault_mode::rest_429:
      return key == "count" || key == "retry_after";
    case fault_mode::rest_down:
      return key == "count";
    case fault_mode::drop_depth:
      return key == "after" || key == "every";
    case fault_mode::hang_upgrade:
    case fault_mode::stall_tls:
    case fault_mode::no_first_frame:
      return false;
  }
  return false;
}

template <class Int>
bool parse_int(std::string_view text, Int& out, Int lo, Int hi) {
  Int v{};
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc{} || res.ptr != text.data() + text.size() || v < lo
      || v > hi)
    return false;
  out = v;
  return true;
}

constexpr std::int64_t frames_max = std::int64_t{1} << 40;
constexpr std::int64_t grace_ms_max = 3'600'000; // one hour
/// skip-on-reconnect emits its trades in one go on the service thread; a million
/// takes well under a second.
constexpr std::int64_t skip_trades_max = 1'000'000;

} // namespace

const char* fault_mode_name(fault_mode m) noexcept {
  for (const auto& n : mode_names)
    if (n.mode == m)
      return n.name;
  return "?";
}

bool fault_is_connection_level(fault_mode m) noexcept {
  return m == fault_mode::hang_upgrade || m == fault_mode::stall_tls;
}

bool fault_is_rest(fault_mode m) noexcept {
  return m == fault_mode::rest_429 || m == fault_mode::rest_down;
}

bool fault_is_depth(fault_mode m) noexcept {
  return m == fault_mode::drop_depth;
}

bool depth_drop_due(const fault_spec& f, std::int64_t number) noexcept {
  if (f.mode != fault_mode::drop_depth || f.after < 0)
    return false;
  auto first = f.after + 1;
  if (number == first)
    return true;
  return f.every > 0 && number > first && (number - first) % f.every == 0;
}

std::optional<fault_spec> parse_fault_spec(std::string_view text,
                                           std::string& error) {
  fault_spec f;
  f.text = std::string(text);
  auto colon = text.find(':');
  auto name = text.substr(0, colon);
  auto found = std::find_if(std::begin(mode_names), std::end(mode_names),
                            [&](const mode_name& n) { return name == n.name; });
  if (found == std::end(mode_names)) {
    error = "unknown fault mode '" + std::string(name) + "'";
    return std::nullopt;
  }
  f.mode = found->mode;
  if (f.mode == fault_mode::malformed_every)
    f.k = 0; // mandatory
  std::string_view rest = colon == std::string_view::npos
                            ? std::string_view{}
                            : text.substr(colon + 1);
  bool have_frames = false;
  bool have_retry_after = false;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto kv = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{}
                                           : rest.substr(comma + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error = "fault parameter '" + std::string(kv) + "' is not key=value";
      return std::nullopt;
    }
    auto key = kv.substr(0, eq);
    auto value = kv.substr(eq + 1);
    auto bad = [&](const char* why) {
      error = "fault " + std::string(name) + ": " + std::string(key) + " "
              + why;
      return std::nullopt;
    };
    if (!is_common_key(f.mode, key) && !key_allowed(f.mode, key))
      return bad(key == "connections" && fault_is_rest(f.mode)
                   ? "is not a parameter of this mode (use count=N)"
                   : "is not a parameter of this mode");
    if (key == "symbol") {
      f.symbol = upper_symbol(value);
      if (!valid_symbol(f.symbol))
        return bad("needs a valid symbol");
    } else if (key == "connections") {
      if (!parse_int(value, f.connections_max, std::int64_t{1}, frames_max))
        return bad("needs an integer >= 1");
    } else if (key == "frames") {
      if (!parse_int(value, f.frames, std::int64_t{0}, frames_max))
        return bad("needs an integer >= 0");
      have_frames = true;
    } else if (key == "status") {
      if (!parse_int(value, f.status, 400, 599))
        return bad("needs an HTTP status 400..599");
    } else if (key == "retry_after") {
      if (!parse_int(value, f.retry_after_s, std::int64_t{0},
                     std::int64_t{86400}))
        return bad("needs seconds 0..86400");
      have_retry_after = true;
    } else if (key == "code") {
      if (!parse_int(value, f.code, 1000, 4999) || f.code == 1005
          || f.code == 1006 || f.code == 1015)
        return bad("needs a close code 1000..4999 (not 1005, 1006, 1015)");
    } else if (key == "reason") {
      constexpr std::size_t reason_len_max
        = 120; // close payload <= 125 with the code
      if (value.size() > reason_len_max)
        return bad("is longer than 120 bytes");
      for (char c : value)
        if (c < 0x20 || c > 0x7e)
          return bad("must be printable ASCII");
      f.reason = std::string(value);
    } else if (key == "k") {
      // k=1 would make every frame malformed and the trades never arrive.
      if (!parse_int(value, f.k, std::int64_t{2}, frames_max))
        return bad("needs an integer >= 2");
    } else if (key == "grace_ms") {
      if (!parse_int(value, f.grace_ms, std::int64_t{0}, grace_ms_max))
        return bad("needs milliseconds 0..3600000");
    } else if (key == "silent") {
      if (value != "0" && value != "1")
        return bad("needs 0 or 1");
      f.silent = value == "1";
    } else if (key == "trades") {
      if (!parse_int(value, f.trades, std::int64_t{1}, skip_trades_max))
        return bad("needs an integer 1..1000000");
    } else if (key == "count") {
      if (!parse_int(value, f.count, std::int64_t{1}, frames_max))
        return bad("needs an integer >= 1");
    } else if (key == "after") {
      if (!parse_int(value, f.after, std::int64_t{0}, frames_max))
        return bad("needs an integer >= 0");
    } else if (key == "every") {
      if (!parse_int(value, f.every, std::int64_t{0}, frames_max))
        return bad("needs an integer >= 0");
    }
  }
  if (f.mode == fault_mode::skip_on_reconnect && f.trades < 1) {
    error = "fault skip-on-reconnect needs trades=G";
    return std::nullopt;
  }
  if (f.mode == fault_mode::drop_depth && f.after < 0) {
    error = "fault drop-depth needs after=N";
    return std::nullopt;
  }
  if (f.mode == fault_mode::rest_429 && !have_retry_after)
    f.retry_after_s = 1;
  bool needs_frames = f.mode == fault_mode::reset_after
                      || f.mode == fault_mode::close_after
                      || f.mode == fault_mode::silent_after
                      || f.mode == fault_mode::server_shutdown_after
                      || f.mode == fault_mode::drop_subscription;
  if (needs_frames && !have_frames) {
    error = "fault " + std::string(name) + " needs frames=N";
    return std::nullopt;
  }
  if (f.mode == fault_mode::malformed_every && f.k < 2) {
    error = "fault malformed-every needs k=K";
    return std::nullopt;
  }
  if (f.mode == fault_mode::drop_subscription && f.symbol.empty()) {
    error = "fault drop-subscription needs symbol=S: it drops that symbol's "
            "stream";
    return std::nullopt;
  }
  if (f.mode == fault_mode::stall_tls && !f.symbol.empty()) {
    error = "fault stall-tls cannot be scoped by symbol: no path is known "
            "before TLS";
    return std::nullopt;
  }
  return f;
}

const fault_spec* fault_plan::take(const std::vector<fault_mode>& modes,
                                   const std::vector<std::string>& symbols) {
  static const std::vector<std::string> unknown{std::string()};
  const auto& keys = symbols.empty() ? unknown : symbols;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const auto& f = specs_[i];
    // REST and depth faults are counted per request / event, never per connection.
    if (fault_is_rest(f.mode) || fault_is_depth(f.mode)
        || std::find(modes.begin(), modes.end(), f.mode) == modes.end())
      continue;
    if (!f.symbol.empty()
        && std::find(symbols.begin(), symbols.end(), f.symbol) == symbols.end())
      continue;
    auto& counts = counts_[i];
    bool under = f.connections_max < 0;
    if (!f.symbol.empty())
      under = under || counts[f.symbol] < f.connections_max;
    else
      for (const auto& k : keys)
        under = under || counts[k] < f.connections_max;
    if (!under)
      continue;
    if (!f.symbol.empty())
      ++counts[f.symbol];
    else
      for (const auto& k : keys)
        ++counts[k];
    ++applied_[i];
    return &f;
  }
  return nullptr;
}

const fault_spec* fault_plan::take_rest(std::string_view symbol) {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const auto& f = specs_[i];
    if (!fault_is_rest(f.mode))
      continue;
    if (!f.symbol.empty() && f.symbol != symbol)
      continue;
    if (f.count >= 0 && applied_[i] >= f.count)
      continue;
    ++applied_[i];
    return &f;
  }
  return nullptr;
}

const fault_spec* fault_plan::take_depth_drop(std::string_view symbol,
                                              std::int64_t number) {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const auto& f = specs_[i];
    if (!fault_is_depth(f.mode) || (!f.symbol.empty() && f.symbol != symbol))
      continue;
    if (!depth_drop_due(f, number))
      continue;
    ++applied_[i];
    return &f;
  }
  return nullptr;
}

bool fault_plan::may_apply(const std::vector<fault_mode>& modes) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const auto& f = specs_[i];
    // REST and depth faults are counted per request / event, never per connection.
    if (fault_is_rest(f.mode) || fault_is_depth(f.mode)
        || std::find(modes.begin(), modes.end(), f.mode) == modes.end())
      continue;
    if (f.connections_max < 0 || f.symbol.empty())
      return true; // an unseen symbol still has its whole budget
    auto c = counts_[i].find(f.symbol);
    if (c == counts_[i].end() || c->second < f.connections_max)
      return true;
  }
  return false;
}

std::string fault_plan::stats_json() const {
  std::string out = "[";
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    // The option text passed parse_fault_spec: symbols, digits, '=', ',', ':' and
    // the close reason. Escape the two characters JSON cares about.
    std::string text;
    for (char c : specs_[i].text) {
      if (c == '"' || c == '\\')
        text.push_back('\\');
      text.push_back(c);
    }
    out += "{\"fault\":\"" + text
           + "\",\"applied\":" + std::to_string(applied_[i]) + "}";
  }
  out.push_back(']');
  return out;
}

} // namespace sv
