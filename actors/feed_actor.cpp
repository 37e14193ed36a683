// feed_actor: the Binance-compatible WebSocket mirror's clients and what each one gets.
#include "actors/feed_actor.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "actors/actor_clock.hpp"
#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/core/symbol_name.hpp"
#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/depth_event_json.hpp"
#include "actors/wire/ws_control.hpp"

namespace sv {

namespace {

constexpr std::string_view agg_trade_suffix = "@aggTrade";
constexpr std::string_view depth_suffix = "@depth@100ms";
constexpr std::string_view slow_depth_suffix = "@depth";
constexpr std::int64_t ns_per_s = 1'000'000'000;
/// Symbols an "invalid stream" answer lists before "...".
constexpr std::size_t listed_symbols_max = 16;

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

/// A stream the feed relays.
struct stream_ask {
  std::string symbol; ///< upper case
  bool depth = false; ///< a depth stream, else aggTrade
};

/// `<symbol>@aggTrade`, `<symbol>@depth@100ms` or `<symbol>@depth`, the symbol in
/// lower case as Binance names streams; nullopt for any other name.
std::optional<stream_ask> parse_stream(std::string_view name) {
  auto at = name.find('@');
  if (at == std::string_view::npos)
    return std::nullopt;
  auto symbol = name.substr(0, at);
  auto suffix = name.substr(at);
  bool lower = std::none_of(symbol.begin(), symbol.end(),
                            [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!lower || !is_symbol_name(symbol))
    return std::nullopt;
  if (suffix == agg_trade_suffix)
    return stream_ask{upper_symbol(symbol), false};
  if (suffix == depth_suffix || suffix == slow_depth_suffix)
    return stream_ask{upper_symbol(symbol), true};
  return std::nullopt;
}

/// Whether `name` is a stream the feed serves now.
bool is_served(const feed_state& st, const std::string& name) {
  auto ask = parse_stream(name);
  if (!ask)
    return false;
  return ask->depth ? st.book_symbols.count(ask->symbol) != 0
                    : st.symbols.count(ask->symbol) != 0;
}

/// Binance's answer to a stream it does not serve, with what streamvisor serves.
control_error invalid_stream(const feed_state& st, std::string_view name,
                             std::optional<std::uint64_t> id) {
  std::string served;
  std::size_t listed = 0;
  auto list = [&](const std::set<std::string>& symbols,
                  std::string_view suffix) {
    for (const auto& symbol : symbols) {
      if (listed == listed_symbols_max) {
        served += ", ...";
        return;
      }
      served += (listed++ == 0 ? "" : ", ") + lower_ascii(symbol)
                + std::string{suffix};
    }
  };
  list(st.symbols, agg_trade_suffix);
  list(st.book_symbols, depth_suffix);
  return {2,
          "Invalid request: invalid stream `" + std::string{name}
            + "`: streamvisor relays <symbol>@aggTrade of the symbols it "
              "streams and <symbol>@depth@100ms (or @depth) of those with a "
              "book ("
            + served + ")",
          id};
}

/// The answer to a client that would hold more than streams_per_client_max.
control_error too_many_streams(const feed_state& st,
                               std::optional<std::uint64_t> id) {
  return {2,
          "Invalid request: too many streams (at most "
            + std::to_string(st.cfg.streams_per_client_max)
            + " per connection)",
          id};
}

/// The first of `names` that is not a served aggTrade stream, if any.
std::optional<std::string>
first_invalid(const feed_state& st, const std::vector<std::string>& names) {
  for (const auto& name : names)
    if (!is_served(st, name))
      return name;
  return std::nullopt;
}

void send_text(feed_self self, std::uint64_t client, std::string text) {
  self->state.cfg.writer->send(
    client, {std::make_shared<const std::string>(std::move(text))});
}

/// Closes `client` with 1008 and `reason`; its feed_closed is then not counted again.
void close_client(feed_self self, std::uint64_t client, feed_client& c,
                  const char* reason) {
  c.closing = true;
  self->state.cfg.writer->close(client, 1008, reason);
}

void subscribe(feed_state& st, std::uint64_t client, feed_client& c,
               const std::string& name) {
  if (std::find(c.streams.begin(), c.streams.end(), name) != c.streams.end())
    return;
  c.streams.push_back(name);
  st.subscribers[name].insert(client);
}

void unsubscribe(feed_state& st, std::uint64_t client, feed_client& c,
                 const std::string& name) {
  auto it = std::find(c.streams.begin(), c.streams.end(), name);
  if (it == c.streams.end())
    return;
  c.streams.erase(it);
  auto subs = st.subscribers.find(name);
  if (subs == st.subscribers.end())
    return;
  subs->second.erase(client);
  if (subs->second.empty())
    st.subscribers.erase(subs);
}

/// The stream names a client's path asks for; nullopt for a path that is neither
/// /ws[/...] nor /stream (the transport upgrades no other).
std::optional<std::vector<std::string>> path_streams(const feed_opened& x,
                                                     bool& combined) {
  auto split = [](std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
      auto slash = list.find('/');
      auto name = list.substr(0, slash);
      if (!name.empty())
        out.emplace_back(name);
      list = slash == std::string_view::npos ? std::string_view{}
                                             : list.substr(slash + 1);
    }
    return out;
  };
  std::string_view path = x.path;
  if (path == "/ws" || path.substr(0, 4) == "/ws/") {
    combined = false;
    return split(path.substr(std::min<std::size_t>(path.size(), 4)));
  }
  if (path == "/stream" || path == "/stream/") {
    combined = true;
    std::string_view query = x.query;
    std::vector<std::string> out;
    while (!query.empty()) {
      auto amp = query.find('&');
      auto arg = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{}
                                            : query.substr(amp + 1);
      constexpr std::string_view key = "streams=";
      if (arg.substr(0, key.size()) == key) {
        auto more = split(arg.substr(key.size()));
        out.insert(out.end(), more.begin(), more.end());
      }
    }
    return out;
  }
  return std::nullopt;
}

// --- handlers: one per message of feed_if, in the behavior's order --------------

void on_opened(feed_self self, feed_opened& x) {
  auto& st = self->state;
  if (st.clients.size() >= st.cfg.clients_max) {
    ++st.totals.refused;
    SV_WARN("feed", "-", "client_refused",
            "client=%llu peer=%s clients_max=%u hint=\"raise feed_clients_max "
            "or find the program that holds connections\"",
            ull(x.client), x.peer.c_str(), st.cfg.clients_max);
    st.cfg.writer->close(x.client, 1008, "too many clients");
    return;
  }
  ++st.totals.opened;
  auto& c = st.clients[x.client];
  c.peer = x.peer;
  c.path = x.path;
  c.window_start_ns = clock_ns(self);
  bool combined = false;
  auto names = path_streams(x, combined);
  c.combined = combined;
  if (names && names->size() > st.cfg.streams_per_client_max) {
    send_text(self, x.client, encode_control_error(too_many_streams(st, {})));
    close_client(self, x.client, c, "Invalid request: too many streams");
    return;
  }
  auto bad = names ? first_invalid(st, *names) : x.path;
  if (bad) {
    SV_INFO("feed", "-", "client_refused_stream",
            "client=%llu peer=%s path=%s stream=%s", ull(x.client),
            x.peer.c_str(), x.path.c_str(), bad->c_str());
    send_text(self, x.client,
              encode_control_error(invalid_stream(st, *bad, std::nullopt)));
    close_client(self, x.client, c, "Invalid request: invalid stream");
    return;
  }
  for (const auto& name : *names)
    subscribe(st, x.client, c, name);
  SV_INFO("feed", "-", "client_opened",
          "client=%llu peer=%s path=%s combined=%d streams=%zu clients=%zu",
          ull(x.client), x.peer.c_str(), x.path.c_str(), c.combined ? 1 : 0,
          c.streams.size(), st.clients.size());
}

/// Answers one control request of a client.
void control(feed_self self, std::uint64_t client, feed_client& c,
             const control_request& request) {
  auto& st = self->state;
  switch (request.method) {
    case control_method::subscribe: {
      if (auto bad = first_invalid(st, request.params)) {
        send_text(self, client,
                  encode_control_error(invalid_stream(st, *bad, request.id)));
        return;
      }
      std::set<std::string> fresh_names;
      for (const auto& name : request.params)
        if (std::find(c.streams.begin(), c.streams.end(), name)
            == c.streams.end())
          fresh_names.insert(name);
      auto fresh = fresh_names.size();
      if (c.streams.size() + fresh > st.cfg.streams_per_client_max) {
        send_text(self, client,
                  encode_control_error(too_many_streams(st, request.id)));
        return;
      }
      for (const auto& name : request.params)
        subscribe(st, client, c, name);
      send_text(self, client, encode_result_null(request.id));
      return;
    }
    case control_method::unsubscribe:
      for (const auto& name : request.params)
        unsubscribe(st, client, c, name);
      send_text(self, client, encode_result_null(request.id));
      return;
    case control_method::list_subscriptions:
      send_text(self, client, encode_result_list(c.streams, request.id));
      return;
    case control_method::set_property:
      c.combined = request.params.at(1) == "true";
      send_text(self, client, encode_result_null(request.id));
      return;
    case control_method::get_property:
      send_text(self, client, encode_result_bool(c.combined, request.id));
      return;
  }
}

void on_text(feed_self self, feed_text& x) {
  auto& st = self->state;
  auto it = st.clients.find(x.client);
  if (it == st.clients.end() || it->second.closing)
    return;
  auto& c = it->second;
  ++c.requests;
  // Binance counts incoming messages per connection in one-second windows.
  auto now = clock_ns(self);
  if (now - c.window_start_ns >= ns_per_s) {
    c.window_start_ns = now;
    c.window_requests = 0;
  }
  if (++c.window_requests > st.cfg.requests_per_s) {
    ++st.totals.closed_requests;
    SV_WARN("feed", "-", "client_rate_exceeded",
            "client=%llu peer=%s limit_per_s=%u", ull(x.client), c.peer.c_str(),
            st.cfg.requests_per_s);
    close_client(self, x.client, c, "Too many requests");
    return;
  }
  control_error error;
  auto request = decode_control_request(x.text, error);
  if (!request) {
    send_text(self, x.client, encode_control_error(error));
    return;
  }
  control(self, x.client, c, *request);
}

void on_closed(feed_self self, const feed_closed& x) {
  auto& st = self->state;
  auto it = st.clients.find(x.client);
  if (it == st.clients.end()) {
    return; // refused at open, already counted
  }
  auto& c = it->second;
  bool slow = x.code == 1008 && x.reason.rfind("slow consumer", 0) == 0;
  if (slow)
    ++st.totals.closed_slow;
  else if (!c.closing)
    ++st.totals.closed_other;
  // The transport logs a slow consumer's close with its queue; this line is the
  // client's summary.
  SV_INFO("feed", "-", "client_closed",
          "client=%llu peer=%s code=%u reason=\"%s\" trades_sent=%llu",
          ull(x.client), c.peer.c_str(), static_cast<unsigned>(x.code),
          x.reason.c_str(), ull(c.trades_sent));
  auto streams = c.streams;
  for (const auto& name : streams)
    unsubscribe(st, x.client, c, name);
  st.clients.erase(it);
}

/// Queues `events` for every subscriber of `stream`, each event's text written once
/// per form (raw, or wrapped in `stream`'s name) and shared by every client.
/// `append(out, event, wrapped_in)` writes one frame; returns the frames queued
/// per client, by client.
template <class Event, class Append, class Count>
void fan_out(feed_state& st, const std::string& stream,
             const std::vector<Event>& events, Append append, Count count) {
  auto subs = st.subscribers.find(stream);
  if (subs == st.subscribers.end() || events.empty())
    return;
  std::vector<feed_frame> raw;
  std::vector<feed_frame> combined;
  auto frames = [&](bool wrapped) -> const std::vector<feed_frame>& {
    auto& out = wrapped ? combined : raw;
    if (out.empty())
      for (const auto& e : events) {
        std::string text;
        append(text, e,
               wrapped ? std::string_view{stream} : std::string_view{});
        out.push_back(std::make_shared<const std::string>(std::move(text)));
      }
    return out;
  };
  for (auto client : subs->second) {
    auto& c = st.clients[client];
    if (c.closing)
      continue;
    st.cfg.writer->send(client, frames(c.combined));
    count(c, events.size());
  }
}

void on_released(feed_self self, released_trades& x) {
  auto& st = self->state;
  st.totals.trades_released += x.trades.size();
  st.totals.skipped_trades += x.skipped;
  auto append = [](std::string& out, const trade& t, std::string_view wrap) {
    out.reserve(192);
    if (wrap.empty())
      append_agg_trade_event(out, t);
    else
      append_combined_agg_trade(out, wrap, t);
  };
  auto count = [&st](feed_client& c, std::size_t n) {
    c.trades_sent += n;
    st.totals.trades_sent += n;
  };
  fan_out(st, lower_ascii(x.symbol) + std::string{agg_trade_suffix}, x.trades,
          append, count);
}

void on_released_depth(feed_self self, released_depth& x) {
  auto& st = self->state;
  auto append = [](std::string& out, const depth_update& u,
                   std::string_view wrap) {
    if (wrap.empty())
      append_depth_event(out, u);
    else
      append_combined_depth_event(out, wrap, u);
  };
  auto count = [&st](feed_client& c, std::size_t n) {
    c.depth_sent += n;
    st.totals.depth_sent += n;
  };
  // Binance's @depth is the same diffs a second apart; streamvisor relays every
  // event on both names (finer, and the same book at every step).
  auto lower = lower_ascii(x.symbol);
  fan_out(st, lower + std::string{depth_suffix}, x.updates, append, count);
  fan_out(st, lower + std::string{slow_depth_suffix}, x.updates, append, count);
}

void on_table(feed_self self, const symbol_table& table) {
  auto& st = self->state;
  st.symbols = std::set<std::string>(table.symbols.begin(),
                                     table.symbols.end());
  st.book_symbols.clear();
  for (const auto& [symbol, book] : table.books)
    st.book_symbols.insert(symbol);
}

feed_status status(feed_self self) {
  auto& st = self->state;
  auto result = st.totals;
  for (const auto& [id, c] : st.clients) {
    feed_client_status s;
    s.client = id;
    s.peer = c.peer;
    s.path = c.path;
    s.streams = c.streams;
    s.trades_sent = c.trades_sent;
    s.depth_sent = c.depth_sent;
    s.requests = c.requests;
    result.clients.push_back(std::move(s));
  }
  return result;
}

} // namespace

feed_if::behavior_type feed_actor(feed_self self, feed_config cfg) {
  self->state.symbols = std::set<std::string>(cfg.symbols.begin(),
                                              cfg.symbols.end());
  self->state.book_symbols = std::set<std::string>(cfg.book_symbols.begin(),
                                                   cfg.book_symbols.end());
  self->state.cfg = std::move(cfg);
  return {
    [=](released_trades& x) { on_released(self, x); },
    [=](released_depth& x) { on_released_depth(self, x); },
    [=](feed_opened& x) { on_opened(self, x); },
    [=](feed_text& x) { on_text(self, x); },
    [=](feed_closed& x) { on_closed(self, x); },
    [=](symbol_table& table) { on_table(self, table); },
    [=](status_atom) { return status(self); },
  };
}

} // namespace sv
