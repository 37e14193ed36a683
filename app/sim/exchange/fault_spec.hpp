// fault_spec: the simulator's fault modes (--fault MODE[:k=v,...]), their parsing and who gets them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

/// What a faulty stream connection does instead of behaving like Binance.
enum class fault_mode {
  hang_upgrade, ///< accept TCP (and TLS), never answer the HTTP upgrade
  stall_tls, ///< accept TCP, never complete the TLS handshake (plain: like hang_upgrade)
  reject,      ///< answer the upgrade with `status` (+ Retry-After) and close
  reset_after, ///< after `frames` frames, abort the TCP connection with RST
  close_after, ///< after `frames` frames, close with `code` and `reason`
  silent_after, ///< after `frames` frames, send nothing more (pings still answered)
  no_first_frame, ///< upgrade, then never send a frame (pings still answered)
  malformed_every, ///< every `k`-th frame is truncated JSON, sent in addition to the trades
  no_pong, ///< stop reading the socket: pings are never answered (trades still sent)
  server_shutdown_after, ///< after `frames` frames send serverShutdown, stream `grace_ms` more, close 1001
  skip_on_reconnect, ///< a symbol's non-first connection: `trades` trades emitted first, not sent on it
  rest_429, ///< the first `count` /api/v3/* requests: 429 + Retry-After, Binance -1003
  rest_down, ///< the first `count` /api/v3/* requests: 503 with a JSON body
  drop_depth, ///< depth event `after`+1 of a symbol (and every `every`-th after it) is
  ///< sent to no connection; its changes stay in the book (a lost frame)
  drop_subscription, ///< `frames` frames after a connection subscribed `symbol`'s aggTrade,
  ///< the server drops that subscription silently (as unsubscribed; its other streams go on)
};

/// One --fault option. Fields a mode does not use keep their defaults.
struct fault_spec {
  fault_mode mode = fault_mode::hang_upgrade; ///< what happens
  std::string symbol; ///< upper-case scope; empty = every symbol
  std::int64_t connections_max
    = -1;                  ///< per symbol: first N connections get it; -1 = all
  std::int64_t frames = 0; ///< frames sent before *_after acts
  int status = 429;        ///< reject: HTTP status 400..599
  std::int64_t retry_after_s
    = -1;          ///< reject: Retry-After seconds; -1 = no header
  int code = 1001; ///< close_after: WebSocket close code 1000..4999
  std::string reason = "sim fault"; ///< close_after: close reason (no commas)
  std::int64_t k = 10;              ///< malformed_every: period, >= 2
  std::int64_t grace_ms
    = 5000;                ///< server_shutdown_after: streaming after the event
  bool silent = false;     ///< no_pong: also send no frames (a mute peer)
  std::int64_t trades = 0; ///< skip_on_reconnect: trades skipped, >= 1
  std::int64_t count = -1; ///< rest_*: requests it applies to; -1 = all
  std::int64_t after
    = -1; ///< drop_depth: events of the symbol sent before the first drop
  std::int64_t every
    = 0; ///< drop_depth: then every `every`-th event too; 0 = only one
  std::string text; ///< the option as given, for logs and /sim/stats
};

/// The mode's command-line name ("hang-upgrade"), for logs and stats.
const char* fault_mode_name(fault_mode m) noexcept;

/// True for the modes decided when the TCP connection is accepted (before any path
/// is known): hang_upgrade and stall_tls.
bool fault_is_connection_level(fault_mode m) noexcept;

/// True for the modes that act on REST requests (/api/v3/*), not on streams:
/// rest_429 and rest_down.
bool fault_is_rest(fault_mode m) noexcept;

/// True for drop_depth: decided per depth event of a symbol, not per connection.
bool fault_is_depth(fault_mode m) noexcept;

/// Whether drop_depth spec `f` drops a symbol's depth event number `number` (1-based,
/// counted since the symbol's book clock started, dropped events included): number
/// after+1, and with every=K > 0 also after+1+K, after+1+2K, ... Pure.
bool depth_drop_due(const fault_spec& f, std::int64_t number) noexcept;

/// Parses "MODE[:k=v,...]" (keys: symbol, connections, frames, status, retry_after,
/// code, reason, k, grace_ms, silent, trades, count, after, every). REST modes take
/// count= instead of connections=; drop-depth takes neither and needs after=N;
/// rest_429's retry_after defaults to 1. Returns nullopt and sets
/// `error` to one line on an unknown mode, unknown key, or a value out of range. Pure.
std::optional<fault_spec> parse_fault_spec(std::string_view text,
                                           std::string& error);

/// The configured faults and how often each was applied, per symbol. Decides which
/// fault (if any) a new connection gets: the first spec in command-line order that
/// matches. Not thread-safe: lws service thread only.
class fault_plan {
public:
  fault_plan() = default;
  explicit fault_plan(std::vector<fault_spec> specs)
    : specs_(std::move(specs)) {
    counts_.resize(specs_.size());
    applied_.resize(specs_.size());
  }

  bool empty() const noexcept {
    return specs_.empty();
  }

  /// The first spec of a mode in `modes` that still applies to a connection for
  /// `symbols` (upper case), counted as applied; nullptr if none. A spec applies if
  /// it is unscoped or its symbol is in `symbols`, and the connection is among the
  /// first `connections_max` of that symbol (unscoped: of any of `symbols`).
  /// An empty `symbols` means "not known yet" (accept time): then only unscoped
  /// specs match and their count is kept under the key "". REST specs never match.
  const fault_spec* take(const std::vector<fault_mode>& modes,
                         const std::vector<std::string>& symbols);

  /// The first REST spec (rest_429, rest_down) that still applies to a request for
  /// `symbol` (upper case; empty = the request names none), counted as applied;
  /// nullptr if none. A spec applies if it is unscoped or scoped to `symbol`, and
  /// fewer than `count` requests got it so far (-1 = no limit).
  const fault_spec* take_rest(std::string_view symbol);

  /// The first drop_depth spec that drops depth event `number` of `symbol` (upper
  /// case; see depth_drop_due), counted as applied; nullptr if none. A spec applies
  /// if it is unscoped or scoped to `symbol`.
  const fault_spec* take_depth_drop(std::string_view symbol,
                                    std::int64_t number);

  /// Whether `take(modes, symbols)` could still return a spec for some non-empty
  /// `symbols` not known yet; does not count.
  bool may_apply(const std::vector<fault_mode>& modes) const;

  /// The stats fragment: [{"fault":"reject:status=429","applied":N},...].
  std::string stats_json() const;

private:
  std::vector<fault_spec> specs_;
  /// Per spec: connections that got it, by symbol ("" = unknown symbol).
  std::vector<std::map<std::string, std::int64_t, std::less<>>> counts_;
  std::vector<std::int64_t> applied_; ///< per spec: total applications
};

} // namespace sv
