// feed_actor: the Binance-compatible WebSocket mirror's clients and what each one gets.
#include "actors/feed_actor.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>

#include "actors/actor_clock.hpp"
#include "actors/core/feed_path.hpp"
#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/core/symbol_name.hpp"
#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/api_json.hpp"
#include "actors/wire/binance_rest.hpp"
#include "actors/wire/depth_event_json.hpp"
#include "actors/wire/market_subjects.hpp"
#include "actors/wire/native_feed_json.hpp"
#include "actors/wire/ws_control.hpp"

namespace sv {

namespace {

constexpr std::string_view agg_trade_suffix = "@aggTrade";
constexpr std::string_view depth_suffix = "@depth@100ms";
constexpr std::string_view slow_depth_suffix = "@depth";
constexpr std::int64_t ns_per_s = 1'000'000'000;
/// Trades per resume page asked of an aggregator.
constexpr std::uint32_t resume_page_max = 1000;
/// Levels per side of a native book snapshot: the whole book (Binance's REST
/// snapshot stops at 5000; the local book is what the deltas apply to).
constexpr std::uint32_t snapshot_levels = 1'000'000;
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

void send_text_to(feed_state& st, std::uint64_t client, std::string text) {
  st.cfg.writer->send(client,
                      {std::make_shared<const std::string>(std::move(text))});
}

void send_text(feed_self self, std::uint64_t client, std::string text) {
  send_text_to(self->state, client, std::move(text));
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
  auto kind = feed_path_of(path);
  if (kind == feed_path_kind::raw) {
    combined = false;
    return split(path.substr(std::min<std::size_t>(path.size(), 4)));
  }
  if (kind == feed_path_kind::combined) {
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

// --- the native feed (/v1/feed) -------------------------------------------------

using sub_key = std::pair<std::uint64_t, std::uint64_t>; ///< (client, sub)

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The client and subscription `key` names, or nulls when either is gone.
std::pair<feed_client*, native_sub*> find_sub(feed_state& st, sub_key key) {
  auto c = st.clients.find(key.first);
  if (c == st.clients.end() || c->second.closing)
    return {nullptr, nullptr};
  auto s = c->second.subs.find(key.second);
  if (s == c->second.subs.end())
    return {&c->second, nullptr};
  return {&c->second, &s->second};
}

void drop_sub(feed_state& st, std::uint64_t client, feed_client& c,
              std::uint64_t sub) {
  auto it = c.subs.find(sub);
  if (it == c.subs.end())
    return;
  auto idx = st.native_subs.find(it->second.symbol);
  if (idx != st.native_subs.end()) {
    idx->second.erase({client, sub});
    if (idx->second.empty())
      st.native_subs.erase(idx);
  }
  c.subs.erase(it);
}

/// One message of subscription `sub` of `s`: the head with the next seq, then
/// `tail` (which closes the object).
// Head fields, then the body.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
feed_frame sub_message(std::uint64_t sub, native_sub& s, std::string_view type,
                       std::string_view tail) {
  std::string out;
  out.reserve(48 + tail.size());
  append_native_head(out, type, sub, ++s.seq);
  out += tail;
  return std::make_shared<const std::string>(std::move(out));
}

/// One message of subscription `sub` of `s` whose body is an event object:
/// the head with the next seq, then "data": and what `append_data(out)` writes,
/// appended in place (one string per message on the hot path, no copy).
template <class AppendData>
feed_frame data_message(std::uint64_t sub, native_sub& s, std::string_view type,
                        AppendData append_data) {
  std::string out;
  out.reserve(256);
  append_native_head(out, type, sub, ++s.seq);
  out += R"("data":)";
  append_data(out);
  out.push_back('}');
  return std::make_shared<const std::string>(std::move(out));
}

/// Appends `t` to `out` for subscription `sub`, after a gap message for the ids
/// between the last one accounted for and `t` (the ids below from_id are not the
/// client's). Ids at or below last_id are not sent again.
void native_trade(feed_client& c, std::uint64_t sub, native_sub& s,
                  const trade& t, std::vector<feed_frame>& out) {
  if (t.agg_id < s.from_id || t.agg_id <= s.last_id)
    return;
  auto expected = s.last_id != 0 ? s.last_id + 1 : s.from_id;
  if (expected != 0 && t.agg_id > expected) {
    std::string gap;
    append_gap_tail(gap, expected, t.agg_id - 1);
    out.push_back(sub_message(sub, s, "gap", gap));
  }
  out.push_back(data_message(sub, s, "trade", [&t](std::string& text) {
    append_agg_trade_event(text, t);
  }));
  s.last_id = t.agg_id;
  ++c.trades_sent;
}

void ask_resume(feed_self self, sub_key key, const std::string& symbol,
                std::uint64_t from_id);

bool backlogged(const feed_state& st, std::uint64_t client, bool low);

/// Refuses a resume with `error` and forgets its subscription.
void refuse_resume(feed_self self, sub_key key, feed_client& c, native_sub& s,
                   std::string code, std::string message,
                   std::uint64_t oldest_id) {
  native_error error{std::move(code), std::move(message), s.request.id,
                     oldest_id};
  send_text(self, key.first, encode_native_error(error));
  drop_sub(self->state, key.first, c, key.second);
}

/// Whether `page`, asked from `from_id`, can continue the resume; refuses it
/// otherwise. The first page also answers the subscribe.
bool page_usable(feed_self self, sub_key key, feed_client& c, native_sub& s,
                 std::uint64_t from_id, const resume_page& page) {
  auto from = std::to_string(from_id);
  if (!s.answered && page.released_id == 0) {
    refuse_resume(self, key, c, s, "not_held",
                  "no " + s.symbol
                    + " trade is released yet (streamvisor is starting): "
                      "resume once it streams, or subscribe without from_id",
                  page.oldest_id);
    return false;
  }
  if (!s.answered && from_id > page.released_id + 1) {
    refuse_resume(self, key, c, s, "bad_request",
                  "from_id " + from + " is past the last trade released ("
                    + std::to_string(page.released_id) + ")",
                  0);
    return false;
  }
  // The history does not reach back to from_id: older than held, or (on a later
  // page) evicted while the resume was read.
  if (page.released_id >= from_id
      && (page.oldest_id == 0 || page.oldest_id > from_id)) {
    refuse_resume(self, key, c, s, "not_held",
                  "from_id " + from
                    + " is older than the history holds: resume from "
                      "oldest_id or later, or fetch the older trades from "
                      "Binance",
                  page.oldest_id);
    return false;
  }
  if (!s.answered) {
    s.answered = true;
    ++self->state.totals.resumes;
    send_text(self, key.first, encode_subscribed(s.request, key.second));
  }
  return true;
}

/// A resume page is in: its trades go out; the next page is asked for while the
/// client's queue is short (else the subscription waits, resume_next set, until it
/// drains: a long resume never overruns feed_queue_bytes_max); the last page
/// makes the subscription live.
void on_resume_page(feed_self self, sub_key key, std::uint64_t from_id,
                    resume_page& page) {
  auto& st = self->state;
  auto [c, s] = find_sub(st, key);
  if (s == nullptr || !page_usable(self, key, *c, *s, from_id, page))
    return;
  std::vector<feed_frame> out;
  for (const auto& t : page.trades)
    native_trade(*c, key.second, *s, t, out);
  st.totals.trades_sent += page.trades.size();
  if (page.more) {
    st.cfg.writer->send(key.first, std::move(out));
    s->resume_next = page.trades.back().agg_id + 1;
    if (!backlogged(st, key.first, false)) {
      auto next = std::exchange(s->resume_next, 0);
      ask_resume(self, key, s->symbol, next);
    }
    return;
  }
  s->resuming = false;
  std::string live = "\"released_id\":" + std::to_string(page.released_id)
                     + "}";
  out.push_back(sub_message(key.second, *s, "live", live));
  st.cfg.writer->send(key.first, std::move(out));
}

/// Asks for the next page of each resume that waits for its client's queue to
/// drain and now may.
void continue_resumes(feed_self self, const std::vector<sub_key>& keys) {
  for (auto key : keys) {
    auto [c, s] = find_sub(self->state, key);
    if (s == nullptr || s->resume_next == 0
        || backlogged(self->state, key.first, false))
      continue;
    auto next = std::exchange(s->resume_next, 0);
    ask_resume(self, key, s->symbol, next);
  }
}

void ask_resume(feed_self self, sub_key key, const std::string& symbol,
                std::uint64_t from_id) {
  auto& st = self->state;
  auto agg = st.aggregators.find(symbol);
  auto [c, s] = find_sub(st, key);
  if (s == nullptr)
    return;
  if (agg == st.aggregators.end()) {
    refuse_resume(self, key, *c, *s, "unknown_symbol",
                  symbol + " is no longer streamed", 0);
    return;
  }
  self
    ->request(agg->second, caf::infinite, resume_atom::value, from_id,
              resume_page_max)
    .then([=](resume_page& page) { on_resume_page(self, key, from_id, page); },
          [=](caf::error&) {
            auto [client, sub] = find_sub(self->state, key);
            if (sub != nullptr)
              refuse_resume(self, key, *client, *sub, "unknown_symbol",
                            sub->symbol + " is no longer streamed", 0);
          });
}

/// A book's answer to ask_snapshot: a synced book goes out as the snapshot the
/// deltas continue from.
void on_snapshot(feed_state& st, sub_key key, const book_view& view) {
  auto [c, s] = find_sub(st, key);
  if (s == nullptr)
    return;
  s->snapshot_asked = false;
  // Not synced: the next released_depth (the book synced again) asks anew.
  if (view.state != book_phase::synced)
    return;
  std::string tail = s->conflated ? R"("conflated":true,"data":)"
                                  : R"("conflated":false,"data":)";
  tail += depth_snapshot_json(view);
  tail.push_back('}');
  st.cfg.writer->send(key.first,
                      {sub_message(key.second, *s, "snapshot", tail)});
  s->book_live = true;
  s->conflated = false;
  s->last_u = view.last_update_id;
  s->snapshot_bytes = tail.size();
}

/// Asks `key`'s book for a snapshot; its answer starts (or restarts) the deltas.
void ask_snapshot(feed_self self, sub_key key, const std::string& symbol) {
  auto& st = self->state;
  auto book = st.books.find(symbol);
  auto found = find_sub(st, key);
  if (book == st.books.end() || found.second == nullptr)
    return;
  found.second->snapshot_asked = true;
  self->request(book->second, caf::infinite, book_atom::value, snapshot_levels)
    .then([=](book_view& view) { on_snapshot(self->state, key, view); },
          [=](caf::error&) {
            auto* sub = find_sub(self->state, key).second;
            if (sub != nullptr)
              sub->snapshot_asked = false;
          });
}

/// Whether `client`'s queue is past the conflation bound (or, with `low`, not yet
/// back below half of it).
bool backlogged(const feed_state& st, std::uint64_t client, bool low) {
  auto bytes = st.cfg.writer->backlog_bytes(client);
  return low ? bytes > st.cfg.conflate_bytes / 2
             : bytes > st.cfg.conflate_bytes;
}

/// Counts a run of deltas left out of `c`'s book subscription `s`.
void count_conflation(feed_state& st, feed_client& c, native_sub& s) {
  s.conflated = true;
  ++c.conflated;
  ++st.totals.conflated;
}

/// The delta messages of `updates` for live book subscription `sub` of `s`, until
/// a jump (a resync marker; the book goes back to waiting for a snapshot) or, when
/// `over`, the first delta (left out: conflated).
std::vector<feed_frame>
book_deltas(feed_state& st, feed_client& c, std::uint64_t sub, native_sub& s,
            const std::vector<depth_update>& updates, bool over) {
  std::vector<feed_frame> out;
  for (const auto& u : updates) {
    if (u.final_update_id <= s.last_u)
      continue;
    if (u.first_update_id > s.last_u + 1) {
      out.push_back(
        sub_message(sub, s, "resync", R"("reason":"the book resynced"})"));
      s.book_live = false;
      break;
    }
    if (over) {
      s.book_live = false;
      count_conflation(st, c, s);
      break;
    }
    out.push_back(data_message(sub, s, "delta", [&u](std::string& text) {
      append_depth_event(text, u);
    }));
    s.last_u = u.final_update_id;
    ++c.depth_sent;
    ++st.totals.depth_sent;
  }
  return out;
}

/// Book deltas for native subscriptions: continuous ones go out; a jump (the book
/// resynced) sends a resync marker and asks for a snapshot; a backlog stops the
/// deltas until the queue drains, then a snapshot marked conflated replaces them.
void native_depth(feed_self self, const released_depth& x) {
  auto& st = self->state;
  auto idx = st.native_subs.find(x.symbol);
  if (idx == st.native_subs.end())
    return;
  auto keys = idx->second;
  for (auto key : keys) {
    auto [c, s] = find_sub(st, key);
    if (s == nullptr || s->channel != native_channel::book)
      continue;
    // One reading of the client's queue per batch. The snapshot this client got
    // last does not count against its own deltas: a book bigger than
    // conflate_bytes would otherwise conflate every time.
    auto backlog = st.cfg.writer->backlog_bytes(key.first);
    bool drained = backlog <= st.cfg.conflate_bytes / 2;
    if (!s->book_live) {
      if (!s->snapshot_asked && drained)
        ask_snapshot(self, key, x.symbol);
      continue;
    }
    bool over = backlog > st.cfg.conflate_bytes + s->snapshot_bytes;
    auto out = book_deltas(st, *c, key.second, *s, x.updates, over);
    if (!out.empty())
      st.cfg.writer->send(key.first, std::move(out));
    if (s->book_live || s->conflated)
      continue;
    // Resynced: the fresh snapshot goes out now, or, to a client that is behind,
    // once its queue drains (marked conflated, like a backlog's).
    if (drained)
      ask_snapshot(self, key, x.symbol);
    else
      count_conflation(st, *c, *s);
  }
}

/// Feeds `x` to its symbol's bar builders; returns the bars closed, with the index
/// of their interval in bar_intervals.
std::vector<std::pair<std::size_t, bar>> build_bars(feed_state& st,
                                                    const released_trades& x) {
  auto& builders = st.bars[x.symbol];
  if (builders.empty())
    for (const auto& interval : bar_intervals)
      builders.emplace_back(interval.ms);
  std::vector<std::pair<std::size_t, bar>> closed;
  for (const auto& t : x.trades)
    for (std::size_t i = 0; i < builders.size(); ++i)
      if (auto b = builders[i].add(t))
        closed.emplace_back(i, *b);
  return closed;
}

/// The bar messages of `closed` for bars subscription `sub` of `s`.
void native_bars(const std::string& symbol, std::uint64_t sub, native_sub& s,
                 const std::vector<std::pair<std::size_t, bar>>& closed,
                 std::vector<feed_frame>& out) {
  for (const auto& [i, b] : closed) {
    if (i != s.interval)
      continue;
    std::string tail;
    append_bar_tail(tail, symbol, bar_intervals.at(i).name, b);
    out.push_back(sub_message(sub, s, "bar", tail));
  }
}

/// Live trades and the bars `x` closed for native subscriptions of `x.symbol`;
/// resumes of it that wait for their client's queue look again.
void native_trades(feed_self self, const released_trades& x,
                   const std::vector<std::pair<std::size_t, bar>>& closed) {
  auto& st = self->state;
  auto& last = st.last_released[x.symbol];
  last = std::max(
    {last, x.through_id, x.trades.empty() ? 0 : x.trades.back().agg_id});
  auto idx = st.native_subs.find(x.symbol);
  if (idx == st.native_subs.end())
    return;
  std::vector<sub_key> waiting;
  for (auto key : idx->second) {
    auto [c, s] = find_sub(st, key);
    if (s == nullptr)
      continue;
    if (s->resume_next != 0)
      waiting.push_back(key);
    std::vector<feed_frame> out;
    if (s->channel == native_channel::trades && !s->resuming) {
      auto before = c->trades_sent;
      for (const auto& t : x.trades)
        native_trade(*c, key.second, *s, t, out);
      st.totals.trades_sent += c->trades_sent - before;
    } else if (s->channel == native_channel::bars) {
      native_bars(x.symbol, key.second, *s, closed, out);
    }
    if (!out.empty())
      st.cfg.writer->send(key.first, std::move(out));
  }
  continue_resumes(self, waiting);
}

bool any_native(const feed_state& st) {
  return std::any_of(st.clients.begin(), st.clients.end(),
                     [](const auto& kv) { return kv.second.native; });
}

/// Starts the metrics and heartbeat timers unless they run. CAF 0.17's timers
/// cannot be cancelled: each start is a new generation, and a timer of an older
/// one (still pending when the last native client left and a new one came) is
/// ignored, so there is never more than one chain of each.
void start_ticking(feed_self self) {
  auto& st = self->state;
  if (st.ticking)
    return;
  st.ticking = true;
  ++st.tick_generation;
  self->delayed_send(self,
                     std::chrono::milliseconds(st.cfg.metrics_interval_ms),
                     metrics_tick_atom::value, st.tick_generation);
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.heartbeat_ms),
                     feed_beat_atom::value, st.tick_generation);
}

/// Whether a timer of `generation` goes on: it is the current one and a native
/// client is connected or a publisher takes the metrics; otherwise both chains
/// stop.
bool tick_goes_on(feed_state& st, std::uint64_t generation) {
  if (generation != st.tick_generation)
    return false;
  if (!any_native(st) && st.cfg.publisher == nullptr)
    st.ticking = false;
  return st.ticking;
}

/// An aggregator's metrics, for its symbol's metrics subscribers whose queue is
/// not backlogged (a left-out update is conflated into the next).
void on_metrics(feed_state& st, const metrics_snapshot& m) {
  if (st.cfg.publisher != nullptr)
    st.cfg.publisher->publish({metrics_message(m)});
  auto idx = st.native_subs.find(m.symbol);
  if (idx == st.native_subs.end())
    return;
  std::string tail = "\"data\":" + metrics_json(m) + "}";
  for (auto key : idx->second) {
    auto [c, s] = find_sub(st, key);
    if (s == nullptr || s->channel != native_channel::metrics)
      continue;
    if (backlogged(st, key.first, false)) {
      ++c->conflated;
      ++st.totals.conflated;
      continue;
    }
    st.cfg.writer->send(key.first,
                        {sub_message(key.second, *s, "metrics", tail)});
  }
}

/// Each symbol with metrics subscribers is asked for its metrics; each answer
/// goes to those subscribers whose queue is not backlogged (a left-out update is
/// conflated into the next).
void on_metrics_tick(feed_self self, std::uint64_t generation) {
  auto& st = self->state;
  if (!tick_goes_on(st, generation))
    return;
  self->delayed_send(self,
                     std::chrono::milliseconds(st.cfg.metrics_interval_ms),
                     metrics_tick_atom::value, generation);
  auto wanted = [&st](const std::string& symbol) {
    if (st.cfg.publisher != nullptr)
      return true; // every symbol's metrics go to the bus
    auto keys = st.native_subs.find(symbol);
    return keys != st.native_subs.end()
           && std::any_of(
             keys->second.begin(), keys->second.end(), [&](sub_key key) {
               auto [c, s] = find_sub(st, key);
               return s != nullptr && s->channel == native_channel::metrics;
             });
  };
  for (const auto& [symbol, agg] : st.aggregators) {
    if (!wanted(symbol))
      continue;
    self->request(agg, caf::infinite, metrics_atom::value)
      .then([=](metrics_snapshot& m) { on_metrics(self->state, m); },
            [](caf::error&) {});
  }
}

/// Every native client gets a heartbeat with the states of the upstream streams
/// of the symbols it subscribes to (none while it has no subscription).
void send_heartbeats(feed_state& st,
                     const std::vector<child_status>& children) {
  auto now = wall_ms();
  for (auto& [id, c] : st.clients) {
    if (!c.native || c.closing)
      continue;
    std::set<std::string> symbols;
    for (const auto& [n, s] : c.subs)
      symbols.insert(s.symbol);
    std::vector<stream_state> streams;
    for (const auto& child : children)
      if (symbols.count(child.symbol) != 0)
        streams.push_back({child.symbol, to_string(child.stream), child.state,
                           child.last_message_age_ms});
    send_text_to(st, id, encode_heartbeat(now, streams));
  }
}

void on_beat(feed_self self, std::uint64_t generation) {
  auto& st = self->state;
  if (!tick_goes_on(st, generation))
    return;
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.heartbeat_ms),
                     feed_beat_atom::value, generation);
  if (!any_native(st))
    return; // the chain runs for the publisher's metrics: no one to beat to
  // Resumes that wait for their client's queue to drain look again.
  std::vector<sub_key> waiting;
  for (const auto& [id, c] : st.clients)
    for (const auto& [n, s] : c.subs)
      if (s.resume_next != 0)
        waiting.emplace_back(id, n);
  continue_resumes(self, waiting);
  if (!st.supervisor) {
    send_heartbeats(st, {});
    return;
  }
  self->request(st.supervisor, caf::infinite, status_atom::value)
    .then(
      [=](std::vector<child_status>& children) {
        send_heartbeats(self->state, children);
      },
      [=](caf::error&) { send_heartbeats(self->state, {}); });
}

/// A native client's subscribe.
void native_subscribe(feed_self self, std::uint64_t client, feed_client& c,
                      native_request& r) {
  auto& st = self->state;
  bool book = r.channel == native_channel::book;
  const auto& served = book ? st.book_symbols : st.symbols;
  if (served.count(r.symbol) == 0) {
    std::string list;
    for (const auto& symbol : served)
      list += (list.empty() ? "" : ", ") + symbol;
    send_text(self, client,
              encode_native_error(
                {book ? "no_book" : "unknown_symbol",
                 r.symbol
                   + (book ? " has no book here; symbols with a book: "
                           : " is not streamed here; symbols streamed: ")
                   + (list.empty() ? "none" : list),
                 r.id, 0}));
    return;
  }
  if (c.subs.size() >= st.cfg.streams_per_client_max) {
    send_text(
      self, client,
      encode_native_error({"bad_request",
                           "too many subscriptions (at most "
                             + std::to_string(st.cfg.streams_per_client_max)
                             + " per connection)",
                           r.id, 0}));
    return;
  }
  auto id = c.next_sub++;
  auto& s = c.subs[id];
  s.channel = r.channel;
  s.symbol = r.symbol;
  s.interval = r.interval;
  st.native_subs[r.symbol].insert({client, id});
  if (r.channel == native_channel::trades && r.from_id) {
    s.from_id = *r.from_id;
    s.resuming = true;
    s.request = r;
    ask_resume(self, {client, id}, r.symbol, *r.from_id);
    return;
  }
  if (r.channel == native_channel::trades) {
    auto last = st.last_released.find(r.symbol);
    s.from_id = last == st.last_released.end() ? 0 : last->second + 1;
  }
  send_text(self, client, encode_subscribed(r, id));
  if (book)
    ask_snapshot(self, {client, id}, r.symbol);
}

void native_text(feed_self self, std::uint64_t client, feed_client& c,
                 const std::string& text) {
  native_error error;
  auto r = decode_native_request(text, error);
  if (!r) {
    send_text(self, client, encode_native_error(error));
    return;
  }
  if (r->subscribe) {
    native_subscribe(self, client, c, *r);
    return;
  }
  if (c.subs.count(r->sub) == 0) {
    send_text(self, client,
              encode_native_error({"unknown_sub",
                                   "no subscription " + std::to_string(r->sub)
                                     + " on this connection",
                                   r->id, 0}));
    return;
  }
  drop_sub(self->state, client, c, r->sub);
  send_text(self, client, encode_unsubscribed(r->id, r->sub));
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
  if (feed_path_of(x.path) == feed_path_kind::native) {
    c.native = true;
    start_ticking(self);
    SV_INFO("feed", "-", "client_opened",
            "client=%llu peer=%s path=%s native=1 clients=%zu", ull(x.client),
            x.peer.c_str(), x.path.c_str(), st.clients.size());
    return;
  }
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
  if (c.native) {
    native_text(self, x.client, c, x.text);
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
  while (!c.subs.empty())
    drop_sub(st, x.client, c, c.subs.begin()->first);
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
  auto closed = build_bars(st, x);
  native_trades(self, x, closed);
  if (st.cfg.publisher != nullptr && !x.trades.empty()) {
    std::vector<market_message> out;
    out.reserve(x.trades.size() + closed.size());
    for (const auto& t : x.trades)
      out.push_back(trade_message(t, x.recv_ns));
    // Only complete bars: an incomplete one (the first built, or one with
    // skipped ids) would differ between instances under one id.
    for (const auto& [i, b] : closed)
      if (b.complete)
        out.push_back(bar_message(x.symbol, bar_intervals.at(i).name, b));
    st.cfg.publisher->publish(std::move(out));
  }
}

/// The book's snapshot for the bus arrived: published, and the deltas after it
/// follow. Its answer comes after the released_depth the book sent before it
/// (one FIFO: a response keeps its request's category), and every released_depth
/// after it continues at U = lastUpdateId + 1.
void on_bus_snapshot(feed_state& st, const book_view& view) {
  auto& b = st.bus_books[view.symbol];
  b.asked = false;
  // Not synced: the next released_depth (the book synced again) asks anew.
  if (view.state != book_phase::synced || st.cfg.publisher == nullptr)
    return;
  st.cfg.publisher->publish({book_snapshot_message(view)});
  b.live = true;
  b.last_u = view.last_update_id;
}

/// Publishes `x`'s events while the bus's book is live; a jump in U (the book
/// resynced) or no snapshot yet asks the book for one, and the events until its
/// answer are in it.
void publish_depth(feed_self self, const released_depth& x) {
  auto& st = self->state;
  auto& b = st.bus_books[x.symbol];
  std::vector<market_message> out;
  for (const auto& u : x.updates) {
    if (b.live && u.first_update_id != b.last_u + 1)
      b.live = false; // resynced: a new snapshot, then deltas from it
    if (!b.live)
      continue;
    out.push_back(book_delta_message(u));
    b.last_u = u.final_update_id;
  }
  if (!out.empty())
    st.cfg.publisher->publish(std::move(out));
  auto book = st.books.find(x.symbol);
  if (b.live || b.asked || book == st.books.end())
    return;
  b.asked = true;
  auto symbol = x.symbol;
  self->request(book->second, caf::infinite, book_atom::value, snapshot_levels)
    .then([=](book_view& view) { on_bus_snapshot(self->state, view); },
          [=](caf::error&) { self->state.bus_books[symbol].asked = false; });
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
  native_depth(self, x);
  if (st.cfg.publisher != nullptr && !x.updates.empty())
    publish_depth(self, x);
}

void on_table(feed_self self, const symbol_table& table) {
  auto& st = self->state;
  st.symbols = std::set<std::string>(table.symbols.begin(),
                                     table.symbols.end());
  st.book_symbols.clear();
  for (const auto& [symbol, book] : table.books)
    st.book_symbols.insert(symbol);
  st.aggregators = table.aggregators;
  st.books = table.books;
  // Native subscriptions of a symbol (or book) no longer served end with an
  // error, not in silence.
  std::vector<sub_key> gone;
  for (const auto& [symbol, keys] : st.native_subs)
    for (auto key : keys) {
      auto [c, s] = find_sub(st, key);
      bool book = s != nullptr && s->channel == native_channel::book;
      if (s != nullptr
          && (book ? st.book_symbols : st.symbols).count(symbol) == 0)
        gone.push_back(key);
    }
  for (auto key : gone) {
    auto [c, s] = find_sub(st, key);
    bool book = s->channel == native_channel::book;
    send_text(self, key.first,
              encode_native_error({book ? "no_book" : "unknown_symbol",
                                   "subscription " + std::to_string(key.second)
                                     + " ended: " + s->symbol
                                     + (book ? " has no book here any more"
                                             : " is no longer streamed here"),
                                   std::nullopt, 0}));
    drop_sub(st, key.first, *c, key.second);
  }
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
    for (const auto& [n, sub] : c.subs)
      s.streams.push_back(
        std::string{to_string(sub.channel)} + ":" + sub.symbol
        + (sub.channel == native_channel::bars
             ? std::string{":"} + bar_intervals.at(sub.interval).name
             : std::string{}));
    s.conflated = c.conflated;
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
  // The bus gets every symbol's metrics each interval, with or without clients.
  if (self->state.cfg.publisher != nullptr)
    start_ticking(self);
  return {
    [=](released_trades& x) { on_released(self, x); },
    [=](released_depth& x) { on_released_depth(self, x); },
    [=](feed_opened& x) { on_opened(self, x); },
    [=](feed_text& x) { on_text(self, x); },
    [=](feed_closed& x) { on_closed(self, x); },
    [=](symbol_table& table) { on_table(self, table); },
    [=](supervisor_if& supervisor) {
      self->state.supervisor = std::move(supervisor);
    },
    [=](metrics_tick_atom, std::uint64_t generation) {
      on_metrics_tick(self, generation);
    },
    [=](feed_beat_atom, std::uint64_t generation) {
      on_beat(self, generation);
    },
    [=](status_atom) { return status(self); },
  };
}

} // namespace sv
