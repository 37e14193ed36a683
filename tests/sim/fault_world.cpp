// fault_world: one seed of the fault simulation (see fault_world.hpp).
#include "tests/sim/fault_world.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string_view>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/backfill_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/connection_actor.hpp"
#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/supervisor_actor.hpp"
#include "app/sim/exchange/trade_generator.hpp"
#include "messages/errc.hpp"
#include "tests/sim/exchange_model.hpp"
#include "tests/sim/sim_network.hpp"

namespace sv::faultsim {

namespace {

using std::chrono::milliseconds;

/// The REST client's own timeout (lws_client_options::rest_timeout_ms): a request
/// the network never answers is answered "timeout" by the transport after this.
constexpr std::int64_t rest_timeout_ms = 10'000;
/// The backfill actor's retry delays (1, 2, 4, 8, 16 s) and a margin.
constexpr std::int64_t backfill_retries_ms = 35'000;
/// A time that never comes.
constexpr std::int64_t never_ms = std::numeric_limits<std::int64_t>::max();

/// What the aggregators released to the feed, by symbol (the world's one thread).
struct feed_log {
  std::map<std::string, std::vector<trade>> trades;
  std::map<std::string, std::uint64_t> skipped;
};

/// Plays the feed actor: keeps every released_trades in `log`.
trade_release_sink_if::behavior_type
feed_recorder(trade_release_sink_if::pointer /*self*/,
              const std::shared_ptr<feed_log>& log) {
  return {
    [log](released_trades& x) {
      auto& out = log->trades[x.symbol];
      out.insert(out.end(), x.trades.begin(), x.trades.end());
      log->skipped[x.symbol] += x.skipped;
    },
  };
}

/// The world's settings, all drawn from the seed.
struct world_params {
  std::vector<std::string> symbols; ///< started at once
  std::string late_symbol;          ///< started during the faults, or ""
  std::int64_t late_start_ms = 0;
  std::map<std::string, std::uint32_t> trades_per_s; ///< by symbol
  bool depth = false; ///< every symbol also streams depth into a book
  std::int64_t changes_per_event = 1; ///< of the depth feeds
  supervisor_config sup;
  std::int64_t faults_ms = 0;
  std::int64_t step_max_ms = 0; ///< fault-phase steps are 1..step_max_ms
  // Fault probabilities: per event (frames, upgrades, requests) or per second.
  double p_hang_upgrade = 0, p_refuse = 0, p_reject = 0, p_silent_first = 0;
  double p_gap = 0, p_dup = 0, p_bad = 0;
  double p_close_per_s = 0, p_hang_per_s = 0, p_shutdown_per_s = 0;
  double p_slow_close = 0;
  double p_rest_fail = 0, p_rest_timeout = 0;
  double p_start_again_per_s = 0;
};

class rng_source {
public:
  explicit rng_source(std::uint64_t seed) : gen_(seed) {
  }
  /// Uniform in [lo, hi], the same on every platform (unlike std distributions).
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo
           + static_cast<std::int64_t>(
             gen_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) {
    return p > 0 && static_cast<double>(gen_() >> 11) * 0x1.0p-53 < p;
  }
  double unit() {
    return static_cast<double>(gen_() >> 11) * 0x1.0p-53;
  }

private:
  std::mt19937_64 gen_;
};

world_params draw_params(rng_source& rng, std::uint64_t seed) {
  world_params p;
  static const std::array<const char*, 4> names{"BTCUSDT", "ETHUSDT", "XRPUSDT",
                                                "SOLUSDT"};
  auto n = rng.between(1, 3);
  for (int i = 0; i < n; ++i)
    p.symbols.emplace_back(names.at(static_cast<std::size_t>(i)));
  if (rng.chance(0.3)) {
    p.late_symbol = names.at(static_cast<std::size_t>(n));
  }
  for (const auto* s : names)
    p.trades_per_s[s] = static_cast<std::uint32_t>(rng.between(5, 60));
  p.depth = rng.chance(0.5);
  p.changes_per_event = rng.between(1, 10);
  auto& c = p.sup;
  c.server = endpoint{true, "stream.sim", 9443, ""};
  c.connect_timeout_ms = static_cast<std::uint32_t>(rng.between(500, 3000));
  c.policy.backoff_initial_ms = rng.between(50, 1000);
  c.policy.backoff_max_ms = rng.between(1000, 8000);
  c.policy.stable_after_ms = rng.between(2000, 20000);
  c.policy.max_restarts = static_cast<std::uint32_t>(rng.between(3, 20));
  c.policy.restart_window_ms = rng.between(5000, 60000);
  c.policy.park_ms = rng.between(1000, 15000);
  c.policy.jitter = rng.chance(0.8);
  c.escalate_fraction = 1.0; // escalation ends the process: not part of a world
  if (rng.chance(0.5)) {
    c.connect_budget = static_cast<std::uint32_t>(rng.between(3, 12));
    c.connect_budget_window_s = static_cast<std::uint32_t>(rng.between(2, 10));
    c.connect_burst = static_cast<std::uint32_t>(rng.between(1, 5));
  } else {
    c.connect_budget = 300;
    c.connect_budget_window_s = 300;
    c.connect_burst = 10;
  }
  c.silence_timeout_ms = static_cast<std::uint32_t>(rng.between(2000, 6000));
  c.max_connection_age_ms = rng.chance(0.5) ? rng.between(2000, 15000) : 0;
  c.shutdown_timeout_ms = static_cast<std::uint32_t>(rng.between(300, 3000));
  c.rng_seed = seed | 1;
  p.faults_ms = rng.between(5000, 30000);
  p.late_start_ms = rng.between(0, p.faults_ms);
  p.step_max_ms = rng.between(20, 300);
  // How violent this world is: calm seeds catch what storms hide, and back.
  auto storm = rng.unit();
  p.p_hang_upgrade = 0.15 * storm;
  p.p_refuse = 0.15 * storm;
  p.p_reject = 0.05 * storm;
  p.p_silent_first = 0.1 * storm;
  p.p_gap = 0.05 * storm;
  p.p_dup = 0.05 * storm;
  p.p_bad = 0.03 * storm;
  p.p_close_per_s = 0.3 * storm;
  p.p_hang_per_s = 0.1 * storm;
  p.p_shutdown_per_s = 0.05 * storm;
  p.p_slow_close = 0.2 * storm;
  // Now and then the REST API is down for the whole fault phase, long enough for
  // early gaps to use up their five tries: they are given up, never lost.
  if (rng.chance(0.15)) {
    p.p_rest_fail = 1.0;
    p.faults_ms = std::max<std::int64_t>(p.faults_ms, 25'000);
  } else {
    p.p_rest_fail = 0.4 * storm;
  }
  p.p_rest_timeout = 0.1 * storm;
  p.p_start_again_per_s = 0.3;
  return p;
}

/// How the network will answer a socket's upgrade.
enum class upgrade_fate { upgrade, silent_upgrade, refuse, reject, hang };

struct socket_plan {
  upgrade_fate fate = upgrade_fate::upgrade;
  std::int64_t at_ms = 0;
};

/// The field-guide pattern for watching an actor from a test: a monitor that writes
/// the virtual time of the down message where the world can read it.
caf::behavior down_watcher(caf::event_based_actor* self,
                           const caf::actor& target, std::int64_t* down_ms,
                           const std::int64_t* now_ms) {
  self->monitor(target);
  self->set_down_handler([=](caf::down_msg&) {
    *down_ms = *now_ms;
    self->quit();
  });
  return {[](int) {}};
}

caf::actor_system_config& testing(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  return cfg;
}

/// Reads "name=value" out of a query string; nullopt if absent or not a number.
std::optional<std::uint64_t> query_number(const std::string& target,
                                          std::string_view name) {
  auto key = std::string{name} + "=";
  auto at = target.find(key);
  if (at == std::string::npos)
    return std::nullopt;
  auto begin = at + key.size();
  auto end = target.find('&', begin);
  auto text = target.substr(begin, end == std::string::npos ? std::string::npos
                                                            : end - begin);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoull(text);
}

class world {
public:
  world(std::uint64_t seed, std::ostream* trace)
    : seed_(seed),
      trace_(trace),
      rng_(seed),
      params_(draw_params(rng_, seed)),
      net_(now_ms_, [this](const std::string& what) { violation(what); }),
      sys_(testing(cfg_)),
      sched_(
        dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {
  }

  ~world() {
    // Whatever the outcome, nothing may stay alive: the actor system's destructor
    // would wait for it forever.
    for (auto& [id, s] : net_.sockets)
      if (s.listener)
        caf::anon_send_exit(s.listener, caf::exit_reason::kill);
    for (auto& h : all_actors_)
      caf::anon_send_exit(h, caf::exit_reason::kill);
    drain(100'000);
    net_.release();
    all_actors_.clear();
  }

  world(const world&) = delete;
  world& operator=(const world&) = delete;
  world(world&&) = delete;
  world& operator=(world&&) = delete;

  world_result run() {
    base_running_ = sys_.registry().running();
    start();
    while (now_ms_ < params_.faults_ms)
      step(rng_.between(1, params_.step_max_ms), true);
    heal();
    check_after_heal();
    shutdown();
    if (violations_dropped_ > 0)
      result_.violations.push_back(
        "... and " + std::to_string(violations_dropped_) + " more");
    return std::move(result_);
  }

private:
  // --- setup ---------------------------------------------------------------------

  void start() {
    auto all = params_.symbols;
    if (!params_.late_symbol.empty())
      all.push_back(params_.late_symbol);
    backfill_ = sys_.spawn(backfill_actor, backfill_config{},
                           static_cast<rest_client*>(&net_));
    all_actors_.push_back(caf::actor_cast<caf::actor>(backfill_));
    feed_ = sys_.spawn(feed_recorder, feed_log_);
    all_actors_.push_back(caf::actor_cast<caf::actor>(feed_));
    std::map<std::string, stream_sinks> sinks;
    for (auto& symbol : all) {
      symbol_tape::origin origin;
      origin.seed = seed_ ^ symbol_hash(symbol);
      origin.first_id
        = static_cast<std::uint64_t>(rng_.between(1, 1'000'000'000));
      tapes_.emplace(symbol, symbol_tape{symbol, origin});
      paths_[make_target(params_.sup, symbol, stream_kind::agg_trade).path]
        = symbol;
      aggregator_limits limits;
      limits.windows_follow_wall_clock = false;
      limits.trades_max = 1'000'000;
      limits.age_s = 86'400;
      limits.feed = feed_;
      auto agg = sys_.spawn(aggregator_actor, symbol, limits,
                            caf::actor_cast<backfill_sink_if>(backfill_));
      aggregators_[symbol] = agg;
      all_actors_.push_back(caf::actor_cast<caf::actor>(agg));
      sinks[symbol].trades = caf::actor_cast<trade_sink_if>(agg);
      if (params_.depth) {
        depths_.emplace(symbol,
                        symbol_depth{symbol, seed_ + symbol_hash(symbol),
                                     params_.changes_per_event});
        depth_paths_[make_target(params_.sup, symbol, stream_kind::depth).path]
          = symbol;
        auto book = sys_.spawn(book_actor, symbol, book_config{},
                               caf::actor_cast<snapshot_source_if>(backfill_));
        books_[symbol] = book;
        all_actors_.push_back(caf::actor_cast<caf::actor>(book));
        sinks[symbol].depth = caf::actor_cast<depth_sink_if>(book);
      }
    }
    std::vector<std::pair<std::string, stream_kind>> children;
    for (auto& symbol : params_.symbols) {
      for (auto stream : streams())
        children.emplace_back(symbol, stream);
      started_.insert(symbol);
    }
    supervisor_ = sys_.spawn(supervisor_actor, params_.sup,
                             static_cast<ws_client*>(&net_), sinks, children);
    all_actors_.push_back(caf::actor_cast<caf::actor>(supervisor_));
    // Held: an actor nobody references is destroyed, and its monitor with it.
    watcher_ = sys_.spawn(down_watcher,
                          caf::actor_cast<caf::actor>(supervisor_),
                          &supervisor_down_ms_, &now_ms_);
    all_actors_.push_back(watcher_);
    sched_.run();
    auto& c = params_.sup;
    note("params",
         "connect_timeout_ms=" + std::to_string(c.connect_timeout_ms)
           + " silence_timeout_ms=" + std::to_string(c.silence_timeout_ms)
           + " max_connection_age_ms=" + std::to_string(c.max_connection_age_ms)
           + " budget=" + std::to_string(c.connect_budget) + "/"
           + std::to_string(c.connect_budget_window_s)
           + "s burst=" + std::to_string(c.connect_burst)
           + " backoff_ms=" + std::to_string(c.policy.backoff_initial_ms) + ".."
           + std::to_string(c.policy.backoff_max_ms)
           + " park_ms=" + std::to_string(c.policy.park_ms)
           + " shutdown_timeout_ms=" + std::to_string(c.shutdown_timeout_ms)
           + " rest_fail=" + std::to_string(params_.p_rest_fail));
    note("start", "symbols=" + std::to_string(params_.symbols.size())
                    + " late=" + params_.late_symbol
                    + " faults_ms=" + std::to_string(params_.faults_ms));
  }

  /// The streams of every symbol: aggTrade, and depth in a world with books.
  std::vector<stream_kind> streams() const {
    std::vector<stream_kind> result{stream_kind::agg_trade};
    if (params_.depth)
      result.push_back(stream_kind::depth);
    return result;
  }

  // --- the clock ----------------------------------------------------------------

  /// Moves the virtual clock by `dt_ms`, lets the actors react, then plays the
  /// exchange and the network for this moment and checks the deadlines.
  void step(std::int64_t dt_ms, bool faults, bool pokes = true) {
    now_ms_ += dt_ms;
    sched_.advance_time(milliseconds(dt_ms));
    sched_.run();
    check_deadlines();
    if (producing_)
      produce(dt_ms);
    for (auto* s : net_.unclosed())
      drive_socket(*s, dt_ms, faults);
    for (auto* r : net_.unanswered())
      drive_request(*r, faults);
    if (faults && pokes)
      poke_supervisor(dt_ms);
    if (!books_.empty() && rng_.chance(0.1))
      for (auto& [symbol, book] : books_)
        check_book(symbol, false);
    sched_.run();
  }

  void produce(std::int64_t dt_ms) {
    for (auto& [symbol, tape] : tapes_) {
      auto per_s = params_.trades_per_s[symbol];
      auto exact = static_cast<double>(per_s) * static_cast<double>(dt_ms)
                   / 1000.0;
      auto n = static_cast<std::int64_t>(exact);
      if (rng_.unit() < exact - static_cast<double>(n))
        ++n;
      for (std::int64_t i = 0; i < n; ++i)
        tape.produce(now_ms_);
    }
    for (auto& [symbol, depth] : depths_)
      depth.produce_until(now_ms_);
  }

  // --- the network --------------------------------------------------------------

  static double per_step(double per_s, std::int64_t dt_ms) {
    return per_s * static_cast<double>(dt_ms) / 1000.0;
  }

  /// One step of one socket: a close asked by the actor is acknowledged, an
  /// upgrade goes as planned, an open socket may fail or sends what it has.
  void drive_socket(sim_socket& s, std::int64_t dt_ms, bool faults) {
    if (s.close_asked_ms >= 0) {
      acknowledge_close(s, faults);
      return;
    }
    if (!s.decided)
      decide_upgrade(s, faults);
    if (s.upgraded_ms < 0) {
      settle_upgrade(s, faults);
      return;
    }
    if (s.silent)
      return;
    if (faults && rng_.chance(per_step(params_.p_close_per_s, dt_ms))) {
      count("closed_by_network");
      note("network_close", std::to_string(s.id));
      net_.send_closed(
        s, {"connection reset",
            static_cast<std::uint16_t>(rng_.chance(0.5) ? 1006 : 1001)});
      return;
    }
    if (faults && rng_.chance(per_step(params_.p_hang_per_s, dt_ms))) {
      count("went_silent");
      note("silent", std::to_string(s.id));
      s.silent = true;
      return;
    }
    deliver(s, faults, dt_ms);
  }

  /// The network answers an actor's close() with ws_closed, now and then late.
  void acknowledge_close(sim_socket& s, bool faults) {
    if (s.close_confirm_ms < 0) {
      bool slow = faults && rng_.chance(params_.p_slow_close);
      s.close_confirm_ms = s.close_asked_ms
                           + (slow ? rng_.between(1000, 6000)
                                   : rng_.between(0, 200));
      if (slow)
        count("close_acknowledged_late");
    }
    if (now_ms_ >= s.close_confirm_ms)
      net_.send_closed(s, {"closed by us", 1000});
  }

  /// Completes, refuses or rejects the upgrade when its planned time has come.
  void settle_upgrade(sim_socket& s, bool faults) {
    auto& plan = plans_[s.id];
    if (plan.at_ms < 0 || now_ms_ < plan.at_ms)
      return; // hangs, or not yet
    switch (plan.fate) {
      case upgrade_fate::refuse:
        note("refuse", s.path);
        net_.send_closed(s, {"connection refused"});
        return;
      case upgrade_fate::reject: {
        auto status = rng_.chance(0.7) ? 429 : 418;
        auto retry_after = static_cast<std::int32_t>(rng_.between(1, 5));
        note("reject", s.path + " http=" + std::to_string(status));
        net_.send_closed(s, {"upgrade rejected", 0, status, retry_after});
        return;
      }
      case upgrade_fate::silent_upgrade:
        s.silent = true;
        break;
      case upgrade_fate::upgrade:
      case upgrade_fate::hang:
        break;
    }
    s.cursor = start_cursor(s, faults);
    note("upgrade", std::to_string(s.id) + " " + s.path + " from "
                      + std::to_string(s.cursor));
    net_.send_opened(s);
  }

  /// Where a new connection starts: at the live edge, sometimes a little before
  /// it. The trades of an outage come by backfill, the book resyncs.
  std::uint64_t start_cursor(const sim_socket& s, bool faults) {
    auto overlap = faults ? rng_.between(0, 3) : 0;
    if (auto* depth = depth_of(s)) {
      const auto& feed = depth->feed();
      return static_cast<std::uint64_t>(
        std::max(feed.oldest_pos(), feed.next_pos() - overlap));
    }
    const auto& tape = tapes_.at(paths_.at(s.path));
    return std::max<std::uint64_t>(tape.first_id(),
                                   tape.last_id() + 1
                                     - static_cast<std::uint64_t>(overlap));
  }

  void decide_upgrade(sim_socket& s, bool faults) {
    s.decided = true;
    count(s.rotation_lane() ? "rotation_lanes" : "attempts");
    note("open", std::to_string(s.id) + " " + s.path);
    auto& plan = plans_[s.id];
    auto timeout = static_cast<std::int64_t>(params_.sup.connect_timeout_ms);
    if (!faults) {
      plan.at_ms = now_ms_ + rng_.between(0, 100);
      return;
    }
    const auto& p = params_;
    // Cumulative: hang, refuse, reject, silent, else a normal upgrade.
    const std::array<double, 4> edges{
      p.p_hang_upgrade, p.p_hang_upgrade + p.p_refuse,
      p.p_hang_upgrade + p.p_refuse + p.p_reject,
      p.p_hang_upgrade + p.p_refuse + p.p_reject + p.p_silent_first};
    auto x = rng_.unit();
    if (x < edges[0]) {
      plan.fate = upgrade_fate::hang;
      plan.at_ms = -1;
      count("upgrade_hangs");
    } else if (x < edges[1]) {
      plan.fate = upgrade_fate::refuse;
      plan.at_ms = now_ms_ + rng_.between(0, 500);
      count("refused");
    } else if (x < edges[2]) {
      plan.fate = upgrade_fate::reject;
      plan.at_ms = now_ms_ + rng_.between(0, 500);
      count("rejected_429_418");
    } else if (x < edges[3]) {
      plan.fate = upgrade_fate::silent_upgrade;
      plan.at_ms = now_ms_ + rng_.between(0, timeout / 2);
      count("silent_after_upgrade");
    } else {
      plan.fate = upgrade_fate::upgrade;
      // Mostly in time; now and then later than the connect deadline.
      plan.at_ms = now_ms_ + rng_.between(0, timeout + timeout / 4);
    }
  }

  std::string malformed_frame() {
    switch (rng_.between(0, 4)) {
      case 0:
        return R"({"e":"aggTrade","E":1,"s":"BTCUSDT","a":)";
      case 1:
        return "not json at all";
      case 2:
        return R"({"e":"aggTrade","E":1,"s":"BTCUSDT","a":"x","p":"1","q":"1"})";
      case 3:
        return {"\xff\xfe\x00garbage", 10};
      default:
        return R"({"e":"aggTrade","E":1,"s":"BTCUSDT","a":7,"p":"-1e999"})";
    }
  }

  /// Sends the socket's trades up to the exchange's newest, with this world's faults,
  /// in one to three reads.
  /// The depth model a socket streams, or null for an aggTrade socket.
  symbol_depth* depth_of(const sim_socket& s) {
    auto i = depth_paths_.find(s.path);
    return i == depth_paths_.end() ? nullptr : &depths_.at(i->second);
  }

  /// Sends the socket's depth events up to the newest: events skipped (the book
  /// must see the gap), sent twice, malformed frames in between.
  void deliver_depth(sim_socket& s, symbol_depth& depth, bool faults) {
    const auto& feed = depth.feed();
    auto pos = std::max(static_cast<std::int64_t>(s.cursor), feed.oldest_pos());
    std::vector<std::string> frames;
    std::string what;
    for (; pos < feed.next_pos(); ++pos) {
      if (faults && rng_.chance(params_.p_gap)) {
        what += " skip@" + std::to_string(feed.at(pos).diff.first_update_id);
        count("depth_events_skipped");
        continue;
      }
      frames.push_back(feed.at(pos).raw);
      if (faults && rng_.chance(params_.p_dup) && pos > feed.oldest_pos()) {
        frames.push_back(feed.at(pos - 1).raw);
        count("depth_events_repeated");
      }
      if (faults && rng_.chance(params_.p_bad)) {
        frames.emplace_back(R"({"e":"depthUpdate","E":1,"s":"X","U":)");
        count("malformed_sent");
      }
    }
    s.cursor = static_cast<std::uint64_t>(pos);
    if (frames.empty())
      return;
    note("depth",
         std::to_string(s.id) + " n=" + std::to_string(frames.size()) + what);
    net_.send_frames(s, frames);
  }

  void deliver(sim_socket& s, bool faults, std::int64_t dt_ms) {
    if (auto* depth = depth_of(s)) {
      deliver_depth(s, *depth, faults);
      return;
    }
    auto& tape = tapes_.at(paths_.at(s.path));
    std::vector<std::string> frames;
    std::string what;
    while (s.cursor <= tape.last_id()) {
      if (faults && rng_.chance(params_.p_gap)) {
        auto skip = static_cast<std::uint64_t>(rng_.between(1, 20));
        what += " gap@" + std::to_string(s.cursor) + "+" + std::to_string(skip);
        s.cursor += skip;
        count("gaps_sent");
        continue;
      }
      frames.push_back(tape.frame(s.cursor));
      if (faults && rng_.chance(params_.p_dup) && s.cursor > tape.first_id()) {
        auto back = static_cast<std::uint64_t>(
          rng_.between(0, static_cast<std::int64_t>(std::min<std::uint64_t>(
                            5, s.cursor - tape.first_id()))));
        frames.push_back(tape.frame(s.cursor - back));
        what += " dup@" + std::to_string(s.cursor - back);
        count("duplicates_sent");
      }
      if (faults && rng_.chance(params_.p_bad)) {
        frames.push_back(malformed_frame());
        what += " bad";
        count("malformed_sent");
      }
      ++s.cursor;
    }
    if (faults && rng_.chance(per_step(params_.p_shutdown_per_s, dt_ms))) {
      frames.push_back(R"({"e":"serverShutdown","E":)"
                       + std::to_string(epoch_ms + now_ms_) + "}");
      what += " serverShutdown";
      count("server_shutdowns_sent");
    }
    if (frames.empty())
      return;
    note("frames", std::to_string(s.id) + " n=" + std::to_string(frames.size())
                     + " to " + std::to_string(s.cursor - 1) + what);
    auto reads = std::min<std::size_t>(
      frames.size(), static_cast<std::size_t>(rng_.between(1, 3)));
    auto per_read = (frames.size() + reads - 1) / reads;
    for (std::size_t i = 0; i < frames.size(); i += per_read) {
      std::vector<std::string> read(
        frames.begin() + static_cast<std::ptrdiff_t>(i),
        frames.begin()
          + static_cast<std::ptrdiff_t>(std::min(frames.size(), i + per_read)));
      net_.send_frames(s, read);
    }
  }

  /// Chooses when and how the exchange answers a new request.
  void plan_answer(sim_request& r, bool faults) {
    if (faults && rng_.chance(params_.p_rest_timeout)) {
      r.answer_at_ms = r.issued_ms + rest_timeout_ms;
      plans_rest_[r.id] = 0;
      count("rest_timeouts");
    } else if (faults && rng_.chance(params_.p_rest_timeout)) {
      // A body that drips past the transport's timer, or a transport whose timer
      // never fires: the backfill actor's own deadline must move on, and ignore
      // the answer if it ever comes.
      r.answer_at_ms = rng_.chance(0.5)
                         ? r.issued_ms
                             + rng_.between(rest_timeout_ms + 1, 60'000)
                         : never_ms;
      plans_rest_[r.id] = 200;
      count("rest_answers_too_late");
    } else if (faults && rng_.chance(params_.p_rest_fail)) {
      // A REST API that is down answers fast and without Retry-After, so the
      // backfill's five tries run out within the fault phase.
      bool down = params_.p_rest_fail >= 1.0;
      static const std::array<std::int32_t, 5> failures{500, 502, 200, 429,
                                                        418};
      plans_rest_[r.id]
        = failures.at(static_cast<std::size_t>(rng_.between(0, down ? 2 : 4)));
      plans_rest_malformed_.insert(r.id); // a 200 among them is malformed
      r.answer_at_ms = now_ms_ + rng_.between(5, down ? 50 : 2000);
      count("rest_failures");
    } else {
      plans_rest_[r.id] = 200;
      r.answer_at_ms = now_ms_ + rng_.between(5, faults ? 2000 : 100);
    }
  }

  /// One step of one REST request: answered as planned once its time has come.
  void drive_request(sim_request& r, bool faults) {
    if (r.answer_at_ms < 0)
      plan_answer(r, faults);
    if (now_ms_ < r.answer_at_ms)
      return;
    auto status = plans_rest_[r.id];
    auto& target = r.target.target;
    note("rest",
         std::to_string(r.id) + " " + target + " -> " + std::to_string(status));
    if (status == 0) {
      net_.answer(r, 0, "timeout");
      return;
    }
    if (status == 429 || status == 418) {
      net_.answer(r, status, R"({"code":-1003,"msg":"Too many requests."})",
                  static_cast<std::int32_t>(rng_.between(1, 3)));
      return;
    }
    if (status != 200) {
      net_.answer(r, status, R"({"code":-1000,"msg":"An unknown error."})");
      return;
    }
    if (plans_rest_malformed_.count(r.id) != 0) {
      net_.answer(r, 200, R"([{"a":1,"p":"1.0",)");
      return;
    }
    auto symbol = [&]() -> std::string {
      auto at = target.find("symbol=");
      if (at == std::string::npos)
        return {};
      auto end = target.find('&', at);
      return target.substr(at + 7, end == std::string::npos ? std::string::npos
                                                            : end - at - 7);
    }();
    if (target.rfind("/api/v3/depth?", 0) == 0 && depths_.count(symbol) != 0) {
      auto limit = query_number(target, "limit");
      if (!limit || *limit == 0 || *limit > 5000) {
        violation("unexpected REST request " + target);
        net_.answer(r, 400, R"({"code":-1100,"msg":"Illegal characters."})");
        return;
      }
      count("rest_snapshots");
      net_.answer(r, 200, depths_.at(symbol).snapshot_body(*limit));
      return;
    }
    auto from = query_number(target, "fromId");
    auto limit = query_number(target, "limit");
    auto tape = tapes_.find(symbol);
    if (target.rfind("/api/v3/aggTrades?", 0) != 0 || tape == tapes_.end()
        || !from || !limit || *limit == 0 || *limit > 1000) {
      violation("unexpected REST request " + target);
      net_.answer(r, 400, R"({"code":-1100,"msg":"Illegal characters."})");
      return;
    }
    count("rest_pages");
    net_.answer(r, 200,
                tape->second.rest_page(*from,
                                       static_cast<std::uint32_t>(*limit)));
  }

  // --- requests to the supervisor -------------------------------------------------

  /// Asks the supervisor to start (symbol, aggTrade); the error it answers, or an
  /// empty error when it started the child.
  caf::error start_child(const std::string& symbol, stream_kind stream) {
    caf::scoped_actor self{sys_};
    auto rh = self->request(supervisor_, caf::infinite, start_atom::value,
                            symbol, stream);
    sched_.run();
    if (self->mailbox().empty()) {
      violation("the supervisor did not answer start " + symbol);
      return caf::make_error(errc::unknown_symbol);
    }
    caf::error result;
    rh.receive([&](bool) {}, [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Asks `h` and returns its answer. An actor that has not answered once the
  /// scheduler ran everything queued, or that answers an error, is a violation
  /// named by `who`, and the result is empty: the world never blocks on a reply.
  template <class T, class Handle, class... Ts>
  std::optional<T> ask(const Handle& h, const std::string& who, Ts&&... xs) {
    caf::scoped_actor self{sys_};
    auto rh = self->request(h, caf::infinite, std::forward<Ts>(xs)...);
    sched_.run();
    if (self->mailbox().empty()) {
      violation(who + " did not answer");
      return std::nullopt;
    }
    std::optional<T> result;
    rh.receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) {
                 violation(who + " answered " + sys_.render(err));
               });
    return result;
  }

  std::vector<child_status> status() {
    return ask<std::vector<child_status>>(supervisor_, "the supervisor",
                                          status_atom::value)
      .value_or(std::vector<child_status>{});
  }

  void poke_supervisor(std::int64_t dt_ms) {
    if (!params_.late_symbol.empty() && started_.count(params_.late_symbol) == 0
        && now_ms_ >= params_.late_start_ms) {
      for (auto stream : streams())
        if (auto err = start_child(params_.late_symbol, stream))
          violation("starting the late symbol failed: " + sys_.render(err));
      started_.insert(params_.late_symbol);
      count("late_starts");
      note("late_start", params_.late_symbol);
    }
    if (rng_.chance(per_step(params_.p_start_again_per_s, dt_ms))) {
      const auto& symbol = *std::next(
        started_.begin(),
        rng_.between(0, static_cast<std::int64_t>(started_.size()) - 1));
      // Whatever is queued first, so that only the start could open a socket.
      sched_.run();
      auto opens = net_.opens;
      // Any case: the supervisor folds it.
      auto asked = rng_.chance(0.5) ? symbol : lower_ascii(symbol);
      auto all = streams();
      auto stream = all[static_cast<std::size_t>(
        rng_.between(0, static_cast<std::int64_t>(all.size()) - 1))];
      auto err = start_child(asked, stream);
      count("started_again");
      if (err != errc::already_started)
        violation("start of running " + asked
                  + " did not answer already_started");
      if (net_.opens != opens)
        violation("start of running " + asked + " opened a socket");
    }
  }

  // --- invariants ---------------------------------------------------------------

  void check_deadlines() {
    auto& c = params_.sup;
    auto silence_ms = static_cast<std::int64_t>(c.silence_timeout_ms)
                      + std::max<std::int64_t>(100, c.silence_timeout_ms / 10);
    std::map<std::uint64_t, std::int64_t> attempt_activity;
    std::map<std::string, std::vector<const sim_socket*>> live_by_path;
    for (auto* s : net_.unclosed()) {
      if (!s->live())
        continue;
      live_by_path[s->path].push_back(s);
      auto first_frame = s->last_frame_ms >= 0;
      if (!s->rotation_lane() && !first_frame
          && now_ms_ >= s->opened_ms + c.connect_timeout_ms)
        violation("socket " + std::to_string(s->id)
                  + " has no frame past its connect deadline (opened at "
                  + std::to_string(s->opened_ms) + ")");
      auto& activity = attempt_activity[s->attempt()];
      activity = std::max({activity, s->upgraded_ms, s->last_frame_ms});
    }
    // The watchdog runs from the first lane's upgrade; any lane's frames count.
    for (auto& [attempt, since] : attempt_activity) {
      auto first = net_.sockets.find(attempt);
      if (first == net_.sockets.end() || first->second.upgraded_ms < 0)
        continue;
      for (auto& [id, s] : net_.sockets)
        if (s.attempt() == attempt)
          since = std::max(since, s.last_frame_ms);
      if (now_ms_ >= since + silence_ms)
        violation("attempt " + std::to_string(attempt) + " silent since "
                  + std::to_string(since) + " ms and still open");
    }
    for (auto& [path, lanes] : live_by_path) {
      if (lanes.size() < 2)
        continue;
      auto newest = std::max(lanes[0]->opened_ms, lanes[1]->opened_ms);
      if (now_ms_ >= newest + rotation_timeout_ms())
        violation("two lanes on " + path + " past the rotation deadline");
    }
  }

  static std::int64_t rotation_timeout_ms() {
    return connection_args{}.rotation_timeout_ms;
  }

  /// Attempts (first lanes) per sliding window stay within the connection budget.
  void check_budget() {
    std::vector<std::int64_t> opens;
    for (auto& [id, s] : net_.sockets)
      if (!s.rotation_lane())
        opens.push_back(s.opened_ms);
    std::sort(opens.begin(), opens.end());
    auto& c = params_.sup;
    auto window_check = [&](std::int64_t window_ms, std::uint32_t limit,
                            const char* name) {
      std::size_t lo = 0;
      for (std::size_t hi = 0; hi < opens.size(); ++hi) {
        while (opens[hi] - opens[lo] >= window_ms)
          ++lo;
        if (hi - lo + 1 > limit) {
          violation(std::string{name} + ": " + std::to_string(hi - lo + 1)
                    + " attempts within " + std::to_string(window_ms)
                    + " ms ending at " + std::to_string(opens[hi]) + ", limit "
                    + std::to_string(limit));
          return;
        }
      }
    };
    window_check(std::int64_t{c.connect_budget_window_s} * 1000,
                 c.connect_budget, "connection budget exceeded");
    window_check(1000, c.connect_burst, "connection burst exceeded");
  }

  void heal() {
    auto& c = params_.sup;
    // A tight budget may hold every attempt for a window or two.
    auto budget_ms = c.connect_budget < 100
                       ? 2 * std::int64_t{c.connect_budget_window_s} * 1000
                       : 0;
    auto heal_ms = c.policy.park_ms + c.policy.backoff_max_ms + budget_ms
                   + book_config{}.snapshot_retry_ms + c.connect_timeout_ms
                   + c.silence_timeout_ms + backfill_retries_ms
                   + rest_timeout_ms;
    note("heal", std::to_string(heal_ms) + " ms");
    auto end = now_ms_ + heal_ms;
    while (now_ms_ < end)
      step(rng_.between(50, 250), false);
    // The last trades: production stops, every live socket sends what is left.
    producing_ = false;
    step(1, false);
    step(200, false);
  }

  void check_after_heal() {
    for (auto& x : status())
      if (x.state != child_state::streaming)
        violation(x.symbol + " is " + to_string(x.state)
                  + " after the faults healed (last error: " + x.last_error
                  + ")");
    for (const auto& symbol : started_) {
      check_trades(symbol);
      check_feed(symbol);
      if (books_.count(symbol) != 0)
        check_book(symbol, true);
    }
    check_budget();
  }

  /// A synced book equals the exchange's book at its last update id (the top
  /// book_check_levels per side); after heal it is synced and at the newest id.
  void check_book(const std::string& symbol, bool healed) {
    auto answer = ask<book_view>(books_.at(symbol), "the book of " + symbol,
                                 book_atom::value,
                                 std::uint32_t{book_check_levels});
    if (!answer)
      return;
    const auto& view = *answer;
    const auto& exchange = depths_.at(symbol).feed().book();
    if (healed) {
      if (view.state != book_phase::synced) {
        violation("the book of " + symbol + " is " + to_string(view.state)
                  + " after the faults healed");
        return;
      }
      if (static_cast<std::int64_t>(view.last_update_id)
          != exchange.last_update_id())
        violation("the book of " + symbol + " is at update "
                  + std::to_string(view.last_update_id) + ", the exchange at "
                  + std::to_string(exchange.last_update_id()));
    }
    if (view.state != book_phase::synced)
      return;
    count("books_checked");
    auto truth = exchange.snapshot_at(
      static_cast<std::int64_t>(view.last_update_id), book_check_levels);
    if (!truth) {
      violation("the book of " + symbol + " claims update "
                + std::to_string(view.last_update_id)
                + ", which the exchange never reached");
      return;
    }
    auto same = [](const std::vector<price_level>& got,
                   const std::vector<book_level>& want) {
      if (got.size() != want.size())
        return false;
      for (std::size_t i = 0; i < got.size(); ++i)
        if (got[i].price_e8 != want[i].price_e8
            || got[i].qty_e8 != want[i].qty_e8)
          return false;
      return true;
    };
    if (!same(view.bids, truth->bids) || !same(view.asks, truth->asks))
      violation("the synced book of " + symbol
                + " differs from the exchange's at "
                + std::to_string(view.last_update_id));
  }

  /// After heal: what the aggregator holds and counts against the exchange.
  void check_trades(const std::string& symbol) {
    const auto& agg = aggregators_.at(symbol);
    auto held_answer
      = ask<std::vector<trade>>(agg, "the aggregator of " + symbol,
                                trades_atom::value, std::uint32_t{1'000'000});
    auto metrics_answer = ask<metrics_snapshot>(
      agg, "the aggregator of " + symbol, metrics_atom::value);
    if (!held_answer || !metrics_answer)
      return;
    const auto& held = *held_answer;
    const auto& m = *metrics_answer;
    if (held.empty()) {
      violation(symbol + " holds no trade after the faults healed");
      return;
    }
    const auto& tape = tapes_.at(symbol);
    if (held.back().agg_id != tape.last_id())
      violation(symbol + " ends at " + std::to_string(held.back().agg_id)
                + ", the exchange at " + std::to_string(tape.last_id()));
    if (!check_held_ids(symbol, held, m))
      return;
    int128 volume = 0;
    for (const auto& x : held)
      volume += x.qty_e8;
    if (m.trades != held.size())
      violation(symbol + " counts " + std::to_string(m.trades)
                + " trades and holds " + std::to_string(held.size()));
    if (from_wide(m.buy_volume_e8) + from_wide(m.sell_volume_e8) != volume)
      violation(symbol + " volume totals differ from the trades it holds");
    for (std::size_t i = 0; i + 3 <= m.open_gaps.size(); i += 3)
      if (m.open_gaps[i + 2] == 0)
        violation(symbol + " still fills gap " + std::to_string(m.open_gaps[i])
                  + ".." + std::to_string(m.open_gaps[i + 1])
                  + " after the faults healed");
    count("trades_checked", held.size());
  }

  /// After heal: the feed got every id from its first release to the last trade
  /// once, ascending, with the exchange's fields, except ids it counted as
  /// skipped (gaps given up, or unfilled within feed_gap_wait_ms).
  void check_feed(const std::string& symbol) {
    const auto& released = feed_log_->trades[symbol];
    if (released.empty()) {
      violation(symbol + " released no trade to the feed");
      return;
    }
    const auto& tape = tapes_.at(symbol);
    std::uint64_t holes = 0;
    for (std::size_t i = 0; i < released.size(); ++i) {
      const auto& x = released[i];
      if (i > 0 && x.agg_id <= released[i - 1].agg_id) {
        violation(symbol + " released id " + std::to_string(x.agg_id)
                  + " after " + std::to_string(released[i - 1].agg_id));
        return;
      }
      if (!tape.has(x.agg_id) || !same_fields(x, tape.at(x.agg_id))) {
        violation(symbol + " released id " + std::to_string(x.agg_id)
                  + " unlike the exchange's");
        return;
      }
      if (i > 0)
        holes += x.agg_id - released[i - 1].agg_id - 1;
    }
    if (holes != feed_log_->skipped[symbol])
      violation(symbol + "'s feed has " + std::to_string(holes)
                + " missing ids and counted "
                + std::to_string(feed_log_->skipped[symbol]) + " skipped");
    if (released.back().agg_id != tape.last_id())
      violation(symbol + "'s feed ends at "
                + std::to_string(released.back().agg_id) + ", the exchange at "
                + std::to_string(tape.last_id()));
    count("feed_trades_checked", released.size());
    count("feed_ids_skipped", holes);
  }

  /// Each held id once and ascending, with the exchange's fields; each id missing
  /// between the first and the last held lies in an open gap of `m`. Returns false
  /// after the first violation.
  bool check_held_ids(const std::string& symbol, const std::vector<trade>& held,
                      const metrics_snapshot& m) {
    const auto& tape = tapes_.at(symbol);
    auto in_open_gap = [&](std::uint64_t id) {
      for (std::size_t i = 0; i + 3 <= m.open_gaps.size(); i += 3)
        if (id >= m.open_gaps[i] && id <= m.open_gaps[i + 1])
          return true;
      return false;
    };
    auto expected = held.front().agg_id;
    std::uint64_t missing = 0;
    for (const auto& x : held) {
      std::string wrong;
      if (x.agg_id < expected)
        wrong = " twice or out of order";
      else if (!tape.has(x.agg_id))
        wrong = " that the exchange never made";
      else if (!same_fields(x, tape.at(x.agg_id)))
        wrong = " with fields unlike the exchange's";
      if (!wrong.empty()) {
        wrong.insert(0, symbol + " holds id " + std::to_string(x.agg_id));
        violation(wrong);
        return false;
      }
      for (; expected < x.agg_id; ++expected, ++missing)
        if (!in_open_gap(expected)) {
          violation(symbol + " lost id " + std::to_string(expected)
                    + " with no open gap reporting it");
          return false;
        }
      expected = x.agg_id + 1;
    }
    count("ids_left_in_failed_gaps", missing);
    return true;
  }

  static bool same_fields(const trade& x, const trade& truth) {
    return x.price_e8 == truth.price_e8 && x.qty_e8 == truth.qty_e8
           && x.buyer_is_maker == truth.buyer_is_maker
           && x.trade_time_ms == truth.trade_time_ms;
  }

  void shutdown() {
    auto asked_ms = now_ms_;
    auto deadline_ms = asked_ms + params_.sup.shutdown_timeout_ms;
    note("shutdown", "deadline " + std::to_string(deadline_ms));
    caf::anon_send(supervisor_, stop_atom::value);
    sched_.run();
    while (now_ms_ < deadline_ms)
      step(std::min<std::int64_t>(rng_.between(1, 300), deadline_ms - now_ms_),
           true, false);
    if (supervisor_down_ms_ < 0)
      violation("the supervisor is still up at its shutdown deadline");
    for (auto& [id, s] : net_.sockets)
      if (s.live())
        violation("socket " + std::to_string(id) + " open after shutdown");
    // As main does: the rest after the supervisor.
    for (auto& [symbol, agg] : aggregators_)
      caf::anon_send_exit(agg, caf::exit_reason::user_shutdown);
    for (auto& [symbol, book] : books_)
      caf::anon_send_exit(book, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(backfill_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(feed_, caf::exit_reason::user_shutdown);
    if (!drain(10'000))
      violation("timers keep firing after every actor was stopped");
    auto running = sys_.registry().running();
    if (running != base_running_)
      violation(std::to_string(running - base_running_)
                + " actors alive after shutdown");
  }

  /// Runs messages and fires timers until nothing is left; false if still busy
  /// after `rounds` rounds.
  bool drain(std::size_t rounds) {
    for (std::size_t i = 0; i < rounds; ++i)
      if (sched_.run() + sched_.trigger_timeouts() == 0)
        return true;
    return false;
  }

  // --- bookkeeping --------------------------------------------------------------

  /// Records a broken invariant; after violations_kept, only counts them (one
  /// broken guarantee tends to break the next check on every step).
  void violation(const std::string& what) {
    auto line = "t=" + std::to_string(now_ms_) + "ms: " + what;
    if (trace_ != nullptr)
      *trace_ << "VIOLATION " << line << '\n';
    if (result_.violations.size() < violations_kept)
      result_.violations.push_back(line);
    else
      ++violations_dropped_;
  }

  void count(const char* event, std::uint64_t n = 1) {
    result_.events[event] += n;
  }

  void note(const char* event, const std::string& detail) {
    if (trace_ != nullptr)
      *trace_ << "t=" << now_ms_ << " " << event << " " << detail << '\n';
  }

  static constexpr std::size_t violations_kept = 10;
  /// Levels per side compared between a book and the exchange's.
  static constexpr std::uint32_t book_check_levels = 20;

  std::uint64_t seed_;
  std::ostream* trace_;
  std::uint64_t violations_dropped_ = 0;
  std::int64_t now_ms_ = 0;
  rng_source rng_;
  world_params params_;
  world_result result_;
  bool producing_ = true;
  std::map<std::string, symbol_tape> tapes_;
  std::map<std::string, std::string> paths_;   ///< aggTrade ws path -> symbol
  std::map<std::string, symbol_depth> depths_; ///< by symbol, in book worlds
  std::map<std::string, std::string> depth_paths_; ///< depth ws path -> symbol
  std::map<std::uint64_t, socket_plan> plans_;
  std::map<std::uint64_t, std::int32_t> plans_rest_;
  std::set<std::uint64_t> plans_rest_malformed_;
  std::set<std::string> started_;
  std::int64_t supervisor_down_ms_ = -1;
  std::size_t base_running_ = 0;
  sim_network net_; // before the actor system: actors call it while they end
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  backfill_if backfill_;
  std::map<std::string, aggregator_if> aggregators_;
  std::shared_ptr<feed_log> feed_log_ = std::make_shared<feed_log>();
  trade_release_sink_if feed_; ///< the feed_recorder, spawned with the world
  std::map<std::string, book_if> books_;
  supervisor_if supervisor_;
  caf::actor watcher_;
  std::vector<caf::actor> all_actors_;
};

} // namespace

world_result run_world(std::uint64_t seed, std::ostream* trace) {
  set_log_level(trace != nullptr ? log_level::debug : log_level::off);
  world w{seed, trace};
  return w.run();
}

} // namespace sv::faultsim
