// nats_shard_member: this instance's part in a shard group over JetStream's key-value store.
#include "app/publish/nats_shard_member.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <unistd.h>

#include <caf/scoped_actor.hpp>

#include "actors/core/group_symbols.hpp"
#include "actors/core/log.hpp"
#include "actors/core/shard_plan.hpp"
#include "actors/wire/market_subjects.hpp"
#include "app/publish/nats_calls.hpp"
#include "app/publish/nats_publisher.hpp"
#include "messages/atoms.hpp"
#include "messages/errc.hpp"
#include "messages/status.hpp"

namespace sv {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
/// How long one read of the bucket (its watcher's next entry) may take.
constexpr std::int64_t bucket_read_timeout_ms = 2000;
/// How long the supervisor may take to say which streams gave up.
constexpr auto status_timeout = std::chrono::seconds(2);
/// How long the registry may take to start a symbol's streams.
constexpr auto put_timeout = std::chrono::seconds(7);
/// A symbol whose streams gave up here is not taken here again for this long.
constexpr auto cooling_period = std::chrono::seconds(60);
/// Changes of the group's symbols this member keeps while the bucket is out of
/// reach; an API client gets 503 past it. A later change of a symbol replaces
/// its pending one, so this bounds distinct symbols, not requests.
constexpr std::size_t group_changes_pending_max = 1000;

/// A key's latest entry in a bucket read.
struct bucket_entry {
  bool put = false; ///< false: deleted or purged
  std::string value;
  std::uint64_t revision = 0;
};

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

} // namespace

struct nats_shard_member::impl {
  shard_member_config cfg;
  shard_member_actors actors;
  std::string shown_url;
  std::string bucket;         ///< sv_shards_<group>: members and leases (TTL)
  std::string symbols_bucket; ///< sv_symbols_<group>: runtime changes (no TTL)

  // Shared with other threads; guarded by `mutex`.
  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  symbol_plan next_plan; ///< set_plan's, taken at the next round
  bool plan_changed = false;
  shard_status counters;
  /// Asked by the API, not yet written; one per symbol, in order.
  std::vector<group_symbol_change> pending;
  bool change_queued = false; ///< a change came: the next round starts now
  /// The group's changes as the last round read them, one per symbol.
  std::vector<group_symbol_change> read_changes;

  // Member thread only.
  std::thread thread;
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  kvStore* symbols_kv = nullptr;
  /// The configured symbols (cfg.plan: written under `mutex`) with the group's
  /// changes applied, as of the last round: what this member divides.
  symbol_plan group;
  std::map<std::string, shard_lease> held; ///< by lease key, with our revision
  /// Symbols this member started here, with the streams it asked for.
  std::map<std::string, std::set<stream_kind>> running;
  std::map<std::string, std::chrono::steady_clock::time_point> cooling;
  bool failing = false; ///< the last round failed (logged once per outage)
  std::set<std::string> unreadable; ///< symbols bucket entries logged as such

  [[nodiscard]] symbol_plan group_now() const;
  [[nodiscard]] std::vector<stream_kind>
  streams_in(const symbol_plan& plan, const std::string& symbol) const;
  void run();
  bool connect();
  void close();
  void round(caf::scoped_actor& self);
  bool read_bucket(kvStore* from, const char* what,
                   std::map<std::string, bucket_entry>& keys);
  bool read_view(shard_view& view);
  bool write_changes();
  bool read_group_symbols();
  std::set<std::string> check_children(caf::scoped_actor& self);
  void write_leases(const shard_actions& actions);
  bool write(const shard_lease& lease, const std::string& holder);
  void check_lost(const shard_lease& lease);
  [[nodiscard]] std::vector<shard_lease> held_leases() const;
  void count_lost(const shard_lease& lease, const std::string& holder);
  void reconcile(caf::scoped_actor& self);
  void start_symbol(caf::scoped_actor& self, const std::string& symbol);
  void add_streams(caf::scoped_actor& self, const std::string& symbol);
  bool put_symbol(caf::scoped_actor& self, const std::string& symbol,
                  const std::vector<stream_kind>& streams,
                  std::uint64_t after_id) const;
  void stop_symbol(caf::scoped_actor& self, const std::string& symbol);
  void release_all();
  void fail(const std::string& what, natsStatus s);
  void note_members(const shard_view& view, const shard_actions& actions);
};

// -- connection ---------------------------------------------------------------------

bool nats_shard_member::impl::connect() {
  natsStatus s = create_nats_options(opts, cfg.url, "streamvisor-shard");
  // Key-value writes are requests answered by the stream; a write buffered
  // while reconnecting and flushed later is still checked by its revision.
  if (s == NATS_OK)
    s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK)
    s = natsConnection_Connect(&nc, opts);
  if (s == NATS_OK)
    s = natsConnection_JetStream(&js, nc, nullptr);
  if (s == NATS_OK) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = bucket.c_str();
    kc.History = 1;
    kc.TTL = std::int64_t{cfg.lease_s} * 1000 * ns_per_ms;
    // Leases need not outlive a server restart: they lapse in lease_s anyway.
    kc.StorageType = js_MemoryStorage;
    s = js_CreateKeyValue(&kv, js, &kc);
    if (s != NATS_OK) {
      // It exists with other settings (another member's lease_s): join it.
      s = js_KeyValue(&kv, js, bucket.c_str());
      if (s == NATS_OK)
        SV_WARN("shard", "-", "bucket_differs",
                "bucket=%s lease_s=%u hint=\"the bucket exists with other "
                "settings; the group's members should share shard_lease_s\"",
                bucket.c_str(), cfg.lease_s);
    }
  }
  if (s == NATS_OK) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = symbols_bucket.c_str();
    kc.History = 1;
    // No TTL, on disk: a change holds until the next change of its symbol,
    // across restarts of NATS and of every member.
    kc.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&symbols_kv, js, &kc);
    if (s != NATS_OK) {
      // It exists with other settings (made by hand): join it, and say so,
      // since a bucket in memory or with a TTL would lose the changes.
      s = js_KeyValue(&symbols_kv, js, symbols_bucket.c_str());
      if (s == NATS_OK)
        SV_WARN(
          "shard", "-", "bucket_differs",
          "bucket=%s hint=\"the bucket exists with other settings than "
          "history 1, file storage and no TTL; the group's symbol changes "
          "may not outlive a NATS restart\"",
          symbols_bucket.c_str());
    }
  }
  if (s != NATS_OK) {
    fail("connect", s);
    close();
    return false;
  }
  SV_INFO("shard", "-", "joined", "url=%s group=%s instance=%s lease_s=%u",
          shown_url.c_str(), cfg.group.c_str(), cfg.instance.c_str(),
          cfg.lease_s);
  return true;
}

void nats_shard_member::impl::close() {
  destroy_and_clear(kv, kvStore_Destroy);
  destroy_and_clear(symbols_kv, kvStore_Destroy);
  destroy_and_clear(js, jsCtx_Destroy);
  destroy_and_clear(nc, natsConnection_Destroy);
  destroy_and_clear(opts, natsOptions_Destroy);
  std::lock_guard<std::mutex> guard{mutex};
  counters.connected = false;
}

void nats_shard_member::impl::fail(const std::string& what, natsStatus s) {
  auto why = what + ": " + nats_error_text(s);
  if (!failing)
    SV_WARN("shard", "-", "round_failed",
            "url=%s error=\"%s\" hint=\"the symbols running here keep "
            "running; their leases lapse after shard_lease_s if this lasts, "
            "and another member may stream them too (the stream stores each "
            "id once)\"",
            shown_url.c_str(), why.c_str());
  failing = true;
  std::lock_guard<std::mutex> guard{mutex};
  counters.connected = false;
  counters.last_error = why;
}

// -- one round ------------------------------------------------------------------------

void nats_shard_member::impl::run() {
  caf::scoped_actor self{*actors.sys};
  auto period = std::chrono::milliseconds(std::int64_t{cfg.lease_s} * 1000 / 3);
  std::unique_lock<std::mutex> lock{mutex};
  while (!stopping) {
    if (plan_changed) {
      cfg.plan = std::move(next_plan);
      plan_changed = false;
    }
    change_queued = false;
    // Rounds start every period, however long one takes (up to a period).
    auto began = std::chrono::steady_clock::now();
    lock.unlock();
    if (kv != nullptr || connect()) {
      round(self);
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
      std::lock_guard<std::mutex> guard{mutex};
      counters.round_ms = static_cast<std::uint64_t>(took.count());
    }
    lock.lock();
    wake.wait_until(lock, began + period,
                    [this] { return stopping || change_queued; });
  }
  lock.unlock();
  if (kv != nullptr) {
    write_changes(); // a change asked just before the stop still reaches the group
    release_all();
  }
  close();
}

void nats_shard_member::impl::round(caf::scoped_actor& self) {
  uint64_t rev = 0;
  auto member = std::to_string(held.size());
  natsStatus s = kvStore_PutString(
    &rev, kv, shard_member_key(cfg.instance).c_str(), member.c_str());
  if (s != NATS_OK)
    fail("member key", s);
  shard_view view;
  if (s != NATS_OK || !write_changes() || !read_group_symbols()
      || !read_view(view)) {
    // A new connection at the next round, which creates the bucket again if
    // it is gone (a server restarted: the bucket is in memory).
    close();
    return;
  }
  // What the bucket says we hold, with its revisions, is what we renew: a
  // lease the bucket shows released or held by another member is lost.
  auto before = std::move(held);
  held.clear();
  for (const auto& lease : view.leases)
    if (lease.holder == cfg.instance && lease.revision > 0)
      held[shard_lease_key(lease.symbol, lease.replica)] = lease;
  for (const auto& entry : before) {
    // Not a structured binding: clang 14 cannot capture one in the lambda.
    const auto& key = entry.first;
    const auto& lease = entry.second;
    if (held.count(key) != 0)
      continue;
    // A read of the bucket while members write it can miss keys (libnats
    // 3.4.1's watcher ends its initial values early; seen with 300 leases).
    // A lease held at the last round and absent now is kept and renewed
    // against its revision: the renewal, and if it fails a direct get, tell.
    auto seen = std::find_if(
      view.leases.begin(), view.leases.end(), [&](const shard_lease& now) {
        return now.symbol == lease.symbol && now.replica == lease.replica;
      });
    if (seen == view.leases.end()) {
      held[key] = lease;
      view.leases.push_back(lease);
      continue;
    }
    count_lost(lease, seen->holder);
  }
  shard_round_input in;
  in.me = cfg.instance;
  in.symbols = group.symbols;
  in.replicas = cfg.replicas;
  in.unhealthy = check_children(self);
  auto now = std::chrono::steady_clock::now();
  for (auto it = cooling.begin(); it != cooling.end();)
    it = it->second <= now ? cooling.erase(it) : std::next(it);
  for (const auto& symbol : in.unhealthy)
    cooling[symbol] = now + cooling_period;
  for (const auto& [symbol, until] : cooling)
    in.cooling.insert(symbol);
  auto actions = plan_shard_round(view, in);
  write_leases(actions);
  if (failing)
    SV_INFO("shard", "-", "round_ok", "group=%s", cfg.group.c_str());
  failing = false;
  note_members(view, actions);
  reconcile(self);
}

/// Reads every key's latest entry of `from` into `keys`. A key written while
/// the watcher reads comes twice (its old and its new revision): the higher
/// revision counts. False (logged as `what`) if the bucket did not answer.
bool nats_shard_member::impl::read_bucket(
  kvStore* from, const char* what, std::map<std::string, bucket_entry>& keys) {
  kvWatchOptions o;
  kvWatchOptions_Init(&o);
  kvWatcher* w = nullptr;
  natsStatus s = kvStore_WatchAll(&w, from, &o);
  while (s == NATS_OK) {
    kvEntry* e = nullptr;
    s = kvWatcher_Next(&e, w, bucket_read_timeout_ms);
    if (s != NATS_OK || e == nullptr)
      break; // a null entry: the initial values were read
    auto& k = keys[kvEntry_Key(e)];
    if (kvEntry_Revision(e) > k.revision) {
      k.put = kvEntry_Operation(e) == kvOp_Put;
      k.value = k.put ? kvEntry_ValueString(e) : "";
      k.revision = kvEntry_Revision(e);
    }
    kvEntry_Destroy(e);
  }
  if (w != nullptr)
    kvWatcher_Destroy(w);
  if (s != NATS_OK) {
    fail(what, s);
    return false;
  }
  return true;
}

bool nats_shard_member::impl::read_view(shard_view& view) {
  std::map<std::string, bucket_entry> keys;
  if (!read_bucket(kv, "read bucket", keys))
    return false;
  for (const auto& [key, k] : keys) {
    shard_lease lease;
    if (key.rfind("member.", 0) == 0 && k.put)
      view.members.push_back(key.substr(7));
    else if (parse_shard_lease_key(key, lease)) {
      lease.holder = k.value;
      lease.revision = k.revision;
      view.leases.push_back(lease);
    }
  }
  return true;
}

/// Writes the changes the API queued into the symbols bucket, in order. False
/// (the rest kept for the next round) if the bucket did not take one.
bool nats_shard_member::impl::write_changes() {
  std::vector<group_symbol_change> batch;
  {
    std::lock_guard<std::mutex> guard{mutex};
    batch = pending;
  }
  for (const auto& change : batch) {
    auto value = group_symbol_value(change);
    std::uint64_t rev = 0;
    natsStatus s = kvStore_PutString(
      &rev, symbols_kv, group_symbol_key(change.symbol).c_str(), value.c_str());
    if (s != NATS_OK) {
      fail("write symbol change", s);
      return false;
    }
    SV_INFO("shard", change.symbol, "group_change_written",
            "group=%s change=\"%s\"", cfg.group.c_str(), value.c_str());
    std::lock_guard<std::mutex> guard{mutex};
    ++counters.changes_written;
    // Seen as read at once: between this write and the next read of the
    // bucket, change_symbol() judges requests by it (not by the old value).
    replace_group_symbol(read_changes, change);
    // Unless a newer change of the symbol came meanwhile (it is written next).
    auto same = find_group_symbol(pending, change.symbol);
    if (same != pending.end() && group_symbol_value(*same) == value)
      pending.erase(same);
  }
  return true;
}

/// Reads the group's changes and merges them with the configured symbols into
/// `group`. Its keys are only ever overwritten, never deleted by streamvisor,
/// so a key the read misses (libnats's watcher, see round()) keeps the change
/// last read; a key deleted by hand gives the symbol back to the config.
bool nats_shard_member::impl::read_group_symbols() {
  std::map<std::string, bucket_entry> keys;
  if (!read_bucket(symbols_kv, "read symbols bucket", keys))
    return false;
  std::vector<group_symbol_change> before;
  {
    std::lock_guard<std::mutex> guard{mutex};
    before = read_changes;
  }
  std::map<std::string, group_symbol_change> now;
  for (const auto& change : before)
    if (keys.count(group_symbol_key(change.symbol)) == 0)
      now[change.symbol] = change;
  for (const auto& [key, k] : keys) {
    if (!k.put)
      continue;
    auto change = parse_group_symbol(key, k.value);
    if (!change) {
      if (unreadable.insert(key + '=' + k.value).second)
        SV_WARN("shard", "-", "group_change_unreadable",
                "bucket=%s key=%s value=\"%s\" hint=\"skipped: written by "
                "another version or by hand\"",
                symbols_bucket.c_str(), key.c_str(), k.value.c_str());
      continue;
    }
    now[change->symbol] = *change;
  }
  std::vector<group_symbol_change> changes;
  changes.reserve(now.size());
  for (auto& [symbol, change] : now)
    changes.push_back(std::move(change));
  for (const auto& change : changes) {
    auto was = find_group_symbol(before, change.symbol);
    if (was == before.end()
        || group_symbol_value(*was) != group_symbol_value(change))
      SV_INFO("shard", change.symbol, "group_symbol_changed",
              "group=%s change=\"%s\"", cfg.group.c_str(),
              group_symbol_value(change).c_str());
  }
  group = merge_group_symbols(cfg.plan, changes);
  std::lock_guard<std::mutex> guard{mutex};
  read_changes = std::move(changes);
  return true;
}

/// Asks the supervisor for its children. Returns the symbols started here whose
/// streams it parked (restarted too often): their leases go to another member.
/// A symbol started here that has no child any more (removed from the registry
/// by other means than this member) counts as not running, so its lease, if
/// still held, starts it again: the group decides what streams.
std::set<std::string>
nats_shard_member::impl::check_children(caf::scoped_actor& self) {
  std::set<std::string> parked;
  std::set<std::string> present;
  bool answered = false;
  self->request(actors.supervisor, status_timeout, status_atom::value)
    .receive(
      [&](std::vector<child_status>& children) {
        answered = true;
        for (const auto& child : children) {
          if (child.state != child_state::stopped)
            present.insert(child.symbol);
          if (child.state == child_state::parked
              && running.count(child.symbol) != 0)
            parked.insert(child.symbol);
        }
      },
      [&](caf::error&) {}); // no answer: nothing is known
  if (!answered)
    return parked;
  for (auto it = running.begin(); it != running.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    SV_WARN("shard", it->first, "not_running",
            "hint=\"removed here while its lease is held here; started again "
            "(DELETE /symbols/%s on any member takes it out of the group)\"",
            it->first.c_str());
    it = running.erase(it);
  }
  return parked;
}

void nats_shard_member::impl::write_leases(const shard_actions& actions) {
  for (const auto& lease : actions.release) {
    if (write(lease, ""))
      SV_INFO("shard", lease.symbol, "released", "replica=%u quota=%u",
              lease.replica, actions.quota);
    held.erase(shard_lease_key(lease.symbol, lease.replica));
  }
  for (const auto& lease : actions.renew)
    if (!write(lease, cfg.instance))
      check_lost(lease);
  // A take that loses its race to another member is made up from the spares.
  std::size_t missed = 0;
  auto take = [&](const shard_lease& lease) {
    if (!write(lease, cfg.instance))
      return false;
    SV_INFO("shard", lease.symbol, "taken", "replica=%u quota=%u",
            lease.replica, actions.quota);
    return true;
  };
  for (const auto& lease : actions.take)
    missed += take(lease) ? 0 : 1;
  for (const auto& lease : actions.spare) {
    if (missed == 0)
      break;
    if (shard_symbols_of(held_leases()).count(lease.symbol) == 0 && take(lease))
      --missed;
  }
  if (!actions.swap_take.symbol.empty()) {
    if (write(actions.swap_take, cfg.instance)) {
      SV_INFO("shard", actions.swap_take.symbol, "taken",
              "replica=%u swap_for=%s", actions.swap_take.replica,
              actions.swap_release.symbol.c_str());
      write(actions.swap_release, "");
      held.erase(shard_lease_key(actions.swap_release.symbol,
                                 actions.swap_release.replica));
    } else if (!write(actions.swap_release, cfg.instance)) {
      check_lost(actions.swap_release);
    }
  }
}

/// Writes `holder` into `lease`'s key against its revision; true if the stream
/// took it. Keeps `held` and the counters up to date.
bool nats_shard_member::impl::write(const shard_lease& lease,
                                    const std::string& holder) {
  auto key = shard_lease_key(lease.symbol, lease.replica);
  std::uint64_t rev = 0;
  natsStatus s = kvStore_UpdateString(&rev, kv, key.c_str(), holder.c_str(),
                                      lease.revision);
  if (s != NATS_OK)
    return false;
  std::lock_guard<std::mutex> guard{mutex};
  if (holder.empty()) {
    ++counters.released;
    return true;
  }
  auto mine = lease;
  mine.holder = holder;
  mine.revision = rev;
  if (held.count(key) == 0)
    ++counters.taken;
  held[key] = mine;
  return true;
}

/// A renewal failed: if the key now names another holder, or lapsed, the lease
/// is lost; if the bucket did not answer, it is kept for the next round.
void nats_shard_member::impl::check_lost(const shard_lease& lease) {
  auto key = shard_lease_key(lease.symbol, lease.replica);
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv, key.c_str());
  if (s != NATS_OK && s != NATS_NOT_FOUND)
    return;
  std::string holder;
  std::uint64_t revision = 0;
  if (s == NATS_OK) {
    if (kvEntry_ValueString(e) != nullptr)
      holder = kvEntry_ValueString(e);
    revision = kvEntry_Revision(e);
    kvEntry_Destroy(e);
  }
  if (holder == cfg.instance) {
    held[key].revision = revision; // ours, written at another revision
    return;
  }
  // Lapsed and taken by no one (a round too late, or a bucket lost with its
  // server): taken back at once instead of stopping the symbol here.
  auto again = lease;
  again.revision = 0;
  if (s == NATS_NOT_FOUND && write(again, cfg.instance))
    return;
  held.erase(key);
  count_lost(lease, holder);
}

void nats_shard_member::impl::count_lost(const shard_lease& lease,
                                         const std::string& holder) {
  std::lock_guard<std::mutex> guard{mutex};
  ++counters.lost;
  SV_WARN("shard", lease.symbol, "lease_lost",
          "replica=%u holder=%s hint=\"it lapsed (no renewal within "
          "shard_lease_s) or another member took it; the symbol stops here\"",
          lease.replica, holder.empty() ? "none" : holder.c_str());
}

/// Starts each symbol whose lease is held here and is not running, and stops
/// each running one whose lease is not.
void nats_shard_member::impl::reconcile(caf::scoped_actor& self) {
  std::set<std::string> wanted;
  for (const auto& [key, lease] : held)
    wanted.insert(lease.symbol);
  std::vector<std::string> stop;
  for (const auto& [symbol, streams] : running)
    if (wanted.count(symbol) == 0)
      stop.push_back(symbol);
  for (const auto& symbol : stop)
    stop_symbol(self, symbol);
  for (const auto& symbol : wanted)
    if (running.count(symbol) == 0)
      start_symbol(self, symbol);
    else
      add_streams(self, symbol);
}

/// A symbol running here whose streams in the group grew (a PUT naming more):
/// the registry starts those it lacks. Streams are not dropped at runtime, as
/// outside a group; a DELETE and a PUT of the symbol do that.
void nats_shard_member::impl::add_streams(caf::scoped_actor& self,
                                          const std::string& symbol) {
  auto streams = streams_in(group, symbol);
  auto& started = running[symbol];
  if (std::all_of(streams.begin(), streams.end(),
                  [&](stream_kind s) { return started.count(s) != 0; }))
    return;
  if (!put_symbol(self, symbol, streams, 0))
    return;
  started.insert(streams.begin(), streams.end());
  SV_INFO("shard", symbol, "streams_added", "streams=%s",
          join_streams(streams).c_str());
}

/// Asks the registry to start what `symbol` lacks of `streams` (a new
/// aggregator's feed after `after_id`); false, logged, if it did not. Retried
/// at the next round while the lease is held here.
bool nats_shard_member::impl::put_symbol(
  caf::scoped_actor& self, const std::string& symbol,
  const std::vector<stream_kind>& streams, std::uint64_t after_id) const {
  bool started = false;
  self
    ->request(actors.registry, put_timeout, put_atom::value, symbol, streams,
              after_id)
    .receive([&](bool) { started = true; },
             [&](caf::error& err) {
               SV_WARN("shard", symbol, "start_failed",
                       "error=\"%s\" hint=\"retried at the next round\"",
                       caf::to_string(err).c_str());
             });
  return started;
}

/// `symbol`'s streams in `plan`; the default streams if it names none.
std::vector<stream_kind>
nats_shard_member::impl::streams_in(const symbol_plan& plan,
                                    const std::string& symbol) const {
  return streams_in_plan(plan, symbol, cfg.default_streams);
}

void nats_shard_member::impl::start_symbol(caf::scoped_actor& self,
                                           const std::string& symbol) {
  auto streams = streams_in(group, symbol);
  // Where the stream's publications of this symbol end: the hand-over point.
  std::string error;
  auto last = last_ordinal_on(js, cfg.stream, trade_subject(symbol), error);
  if (!last)
    SV_WARN("shard", symbol, "last_id_unknown",
            "stream=%s error=\"%s\" hint=\"starting at the first live trade: "
            "trades since the last holder stopped may be missing\"",
            cfg.stream.c_str(), error.c_str());
  auto after_id = last.value_or(0);
  if (!put_symbol(self, symbol, streams, after_id))
    return;
  running[symbol] = {streams.begin(), streams.end()};
  std::lock_guard<std::mutex> guard{mutex};
  if (after_id > 0)
    ++counters.handovers;
  SV_INFO("shard", symbol, "started", "after_id=%llu", ull(after_id));
}

void nats_shard_member::impl::stop_symbol(caf::scoped_actor& self,
                                          const std::string& symbol) {
  self
    ->request(actors.registry, std::chrono::milliseconds(cfg.remove_timeout_ms),
              remove_atom::value, symbol)
    .receive(
      [&](std::uint32_t children) {
        SV_INFO("shard", symbol, "stopped", "children=%u", children);
        running.erase(symbol);
      },
      [&](caf::error& err) {
        // Not served any more (removed at runtime): nothing runs here.
        if (err == errc::unknown_symbol)
          running.erase(symbol);
        else
          SV_WARN("shard", symbol, "stop_failed",
                  "error=\"%s\" hint=\"retried at the next round\"",
                  caf::to_string(err).c_str());
      });
}

std::vector<shard_lease> nats_shard_member::impl::held_leases() const {
  std::vector<shard_lease> out;
  out.reserve(held.size());
  for (const auto& [key, lease] : held)
    out.push_back(lease);
  return out;
}

void nats_shard_member::impl::release_all() {
  std::size_t released = 0;
  for (const auto& [key, lease] : held)
    if (write(lease, ""))
      ++released;
  held.clear();
  kvStore_Delete(kv, shard_member_key(cfg.instance).c_str());
  SV_INFO("shard", "-", "left", "group=%s released=%zu", cfg.group.c_str(),
          released);
}

void nats_shard_member::impl::note_members(const shard_view& view,
                                           const shard_actions& actions) {
  std::set<std::string> members(view.members.begin(), view.members.end());
  members.insert(cfg.instance);
  std::set<std::pair<std::string, std::uint32_t>> taken;
  for (const auto& lease : view.leases)
    if (!lease.holder.empty() && lease.revision > 0)
      taken.insert({lease.symbol, lease.replica});
  for (const auto& [key, lease] : held)
    taken.insert({lease.symbol, lease.replica});
  std::uint32_t unheld = 0;
  for (const auto& symbol : group.symbols)
    for (std::uint32_t r = 0; r < cfg.replicas; ++r)
      unheld += taken.count({symbol, r}) == 0 ? 1 : 0;
  std::lock_guard<std::mutex> guard{mutex};
  counters.connected = true;
  counters.members = static_cast<std::uint32_t>(members.size());
  counters.quota = actions.quota;
  counters.symbols = static_cast<std::uint32_t>(group.symbols.size());
  counters.unheld = unheld;
  counters.added.clear();
  counters.removed.clear();
  for (const auto& change : read_changes)
    (change.add ? counters.added : counters.removed).push_back(change.symbol);
  counters.held.clear();
  for (const auto& [key, lease] : held)
    counters.held.push_back(lease.symbol);
  ++counters.rounds;
}

// -- nats_shard_member ----------------------------------------------------------------

nats_shard_member::nats_shard_member(shard_member_config cfg,
                                     shard_member_actors actors)
  : impl_(std::make_unique<impl>()) {
  impl_->shown_url = url_without_credentials(cfg.url);
  impl_->bucket = "sv_shards_" + cfg.group;
  impl_->symbols_bucket = "sv_symbols_" + cfg.group;
  impl_->group = cfg.plan;
  impl_->counters.group = cfg.group;
  impl_->counters.instance = cfg.instance;
  impl_->counters.lease_s = cfg.lease_s;
  impl_->counters.replicas = cfg.replicas;
  impl_->counters.symbols = static_cast<std::uint32_t>(cfg.plan.symbols.size());
  impl_->cfg = std::move(cfg);
  impl_->actors = std::move(actors);
}

nats_shard_member::~nats_shard_member() {
  stop();
}

void nats_shard_member::start() {
  assert(!impl_->thread.joinable());
  impl_->thread = std::thread{[this] { impl_->run(); }};
}

void nats_shard_member::set_plan(symbol_plan plan) {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->next_plan = std::move(plan);
  impl_->plan_changed = true;
  impl_->wake.notify_all();
}

void nats_shard_member::stop() {
  if (!impl_->thread.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    impl_->stopping = true;
    impl_->wake.notify_all();
  }
  impl_->thread.join();
}

shard_status nats_shard_member::status() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  auto s = impl_->counters;
  s.changes_pending = static_cast<std::uint32_t>(impl_->pending.size());
  return s;
}

/// Any thread, under `mutex`: the group's symbols as last read, with the
/// queued changes and a reloaded config not yet taken applied.
symbol_plan nats_shard_member::impl::group_now() const {
  auto changes = read_changes;
  for (const auto& change : pending)
    replace_group_symbol(changes, change);
  return merge_group_symbols(plan_changed ? next_plan : cfg.plan, changes);
}

std::vector<std::string> nats_shard_member::symbols() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->group_now().symbols;
}

group_change_result
nats_shard_member::change_symbol(group_symbol_change change) {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  auto& im = *impl_;
  group_change_result result;
  // Nothing is judged from a view that may be stale.
  if (im.stopping || !im.counters.connected) {
    result.outcome = group_change_outcome::unreachable;
    result.change = std::move(change);
    return result;
  }
  result = judge_group_change(im.group_now(),
                              im.plan_changed ? im.next_plan : im.cfg.plan,
                              im.cfg.default_streams, std::move(change));
  if (result.outcome != group_change_outcome::queued)
    return result;
  const auto& symbol = result.change.symbol;
  auto waiting = find_group_symbol(im.pending, symbol) != im.pending.end();
  if (!waiting && im.pending.size() >= group_changes_pending_max) {
    result.outcome = group_change_outcome::full;
    return result;
  }
  replace_group_symbol(im.pending, result.change);
  im.change_queued = true;
  im.wake.notify_all();
  return result;
}

std::string default_shard_instance() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0)
    host[0] = '\0';
  return shard_instance_id(std::string{host.data()} + "-"
                           + std::to_string(getpid()));
}

} // namespace sv
