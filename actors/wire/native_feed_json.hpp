// native_feed_json: the native feed's (/v1/feed) requests and messages, both ways.
//
// docs/feed.md, "Native feed", lists every message. In short, a client sends
//   {"op":"subscribe","id":1,"channel":"trades","symbol":"BTCUSDT","from_id":123}
//   {"op":"subscribe","id":2,"channel":"book","symbol":"BTCUSDT"}
//   {"op":"subscribe","id":3,"channel":"metrics","symbol":"BTCUSDT"}
//   {"op":"subscribe","id":4,"channel":"bars","symbol":"BTCUSDT","interval":"1m"}
//   {"op":"unsubscribe","id":5,"sub":2}
// and gets answers ({"type":"subscribed",...}, {"type":"error",...}) and, per
// subscription, messages {"type":T,"sub":S,"seq":N,...} with N = 1, 2, 3, ...
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/core/bar_builder.hpp"
#include "messages/status.hpp"

namespace sv {

enum class native_channel : std::uint8_t { trades, book, metrics, bars };

/// "trades", "book", "metrics", "bars".
const char* to_string(native_channel x);

/// The bar intervals the native feed builds, by name ("1s", "1m", "5m", "1h").
struct bar_interval {
  const char* name;
  std::int64_t ms;
};
inline constexpr std::array<bar_interval, 4> bar_intervals{
  {{"1s", 1000}, {"1m", 60'000}, {"5m", 300'000}, {"1h", 3'600'000}}};

/// One request of a native feed client.
struct native_request {
  bool subscribe = true;           ///< else unsubscribe
  std::optional<std::uint64_t> id; ///< echoed in the answer when given
  native_channel channel = native_channel::trades;
  std::string symbol;                   ///< upper case
  std::optional<std::uint64_t> from_id; ///< trades: resume from this id
  std::size_t interval = 0;             ///< bars: index into bar_intervals
  std::uint64_t sub = 0;                ///< unsubscribe: the subscription
};

/// Why a request is refused: `code` is a word ("bad_request", "unknown_symbol",
/// "not_held", "no_book", "unknown_sub"), `message` says what to do.
struct native_error {
  std::string code;
  std::string message;
  std::optional<std::uint64_t> id;
  std::uint64_t oldest_id = 0; ///< not_held: the oldest id held (0: none)
};

/// Reads one client message. Returns the request, or fills `error` (code
/// bad_request) and returns nothing. Never throws.
std::optional<native_request> decode_native_request(std::string_view text,
                                                    native_error& error);

/// {"type":"error","id":N|null,"code":"...","message":"..."[,"oldest_id":N]}.
std::string encode_native_error(const native_error& x);

/// {"type":"subscribed","id":N|null,"sub":S,"channel":"trades","symbol":"BTCUSDT"
/// [,"interval":"1m"][,"from_id":N]}.
std::string encode_subscribed(const native_request& x, std::uint64_t sub);

/// {"type":"unsubscribed","id":N|null,"sub":S}.
std::string encode_unsubscribed(std::optional<std::uint64_t> id,
                                std::uint64_t sub);

/// Appends `{"type":"<type>","sub":S,"seq":N,` : the head of every subscription
/// message; the caller appends the rest and the closing brace.
void append_native_head(std::string& out, std::string_view type,
                        std::uint64_t sub, std::uint64_t seq);

/// The rest of a gap message: "from_id":A,"to_id":B} (ids that will never come).
void append_gap_tail(std::string& out, std::uint64_t from_id,
                     std::uint64_t to_id);

/// A bar as one JSON object: {"s":..,"i":"1m","t":..,"T":..,"o":..,...,
/// "complete":true} (the native feed's bar data, and the bus's bar payload).
void append_bar_object(std::string& out, std::string_view symbol,
                       std::string_view interval, const bar& x);

/// The rest of a bar message: "data":{"s":..,"i":"1m","t":..,"T":..,"o":..,...}}.
void append_bar_tail(std::string& out, std::string_view symbol,
                     std::string_view interval, const bar& x);

/// One upstream stream in a heartbeat.
struct stream_state {
  std::string symbol; ///< upper case
  std::string stream; ///< "aggTrade" or "depth"
  child_state state = child_state::stopped;
  std::int64_t last_message_age_ms = -1;
};

/// {"type":"heartbeat","time":ms,"streams":[{"symbol":..,"stream":..,"state":..,
/// "last_message_age_ms":..},...]}.
std::string encode_heartbeat(std::int64_t time_ms,
                             const std::vector<stream_state>& streams);

} // namespace sv
