// nats_publisher: market data published to a NATS JetStream stream, in order, acked, replayed.
#include "app/publish/nats_publisher.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <nats/nats.h>

#include "actors/core/latency_histogram.hpp"
#include "actors/core/log.hpp"
#include "actors/wire/market_subjects.hpp"
#include "app/publish/nats_calls.hpp"

namespace sv {

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t bytes_per_mb = 1 << 20;
/// Between connect attempts and stream checks that failed.
constexpr auto retry_interval = std::chrono::milliseconds(500);
/// The longest the thread sleeps without looking at stop, losses and recovery.
constexpr auto poll_interval = std::chrono::milliseconds(250);
/// How long js_PublishMsgAsync waits when in_flight_max acks are outstanding
/// before it returns NATS_TIMEOUT without taking the message (it is sent again).
constexpr std::int64_t stall_wait_ms = 100;
/// How long the stream's last id of a subject, once asked, is taken as known
/// (raised meanwhile by acks). Far below the shortest duplicate window (120 s):
/// an id stored since the question is still inside the window.
constexpr std::int64_t last_stored_ttl_ns = 10 * ns_per_s;
/// A write to the server's socket not done in this long fails the connection.
constexpr std::int64_t write_deadline_ms = 2000;
/// Losses are logged at most this often, as one line with the ids lost.
constexpr std::int64_t loss_log_interval_ns = ns_per_s;
/// The only subjects of the stream: every market_message subject is under md.
constexpr const char* stream_subject = "md.>";

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

/// One message the publisher holds until the stream acked it.
struct held {
  market_message msg;
  std::int64_t enqueued_ns = 0; ///< steady clock, when publish() took it
  std::uint64_t serial = 0;     ///< send order, given at the first send
  bool replay = false;          ///< its ack failed: the next send is a replay
};

/// Messages lost since the last log line, by cause.
struct loss_tally {
  std::uint64_t count = 0;
  std::string first_id; ///< of the first message lost
  std::string last_id;  ///< of the last
  void add(const held& h) {
    if (count++ == 0)
      first_id = h.msg.msg_id;
    last_id = h.msg.msg_id;
  }
};

} // namespace

struct nats_publisher::impl {
  nats_publisher_config cfg;
  std::string shown_url;

  // -- any thread; guarded by mutex ------------------------------------------
  mutable std::mutex mutex;
  std::condition_variable wake; ///< the thread: work, an ack, stop
  std::deque<held> queue;       ///< not sent yet, in order
  std::map<std::uint64_t, held>
    in_flight; ///< sent, awaiting the ack; by serial
  std::unordered_map<const natsMsg*, std::uint64_t> serial_of; ///< in flight
  std::map<std::uint64_t, held> failed; ///< ack failed, awaiting replay
  std::uint64_t next_serial = 1;
  /// An ack failed or the connection dropped: nothing new is sent until every
  /// ack in flight is in and the failed messages are queued again in order.
  bool recovering = false;
  bool draining = false;              ///< stop() was called
  std::int64_t drain_deadline_ns = 0; ///< when draining gives up
  bool connected = false;
  bool stream_ready = false;
  /// The connection callbacks may refer to (the publisher thread's nc while it
  /// is up); a callback of an older one is ignored.
  const natsConnection* live = nullptr;
  publisher_status counters; ///< the counter fields only
  latency_histogram ack_latency;
  loss_tally dropped_unlogged;
  loss_tally expired_unlogged;
  std::int64_t losses_logged_ns = 0;
  /// By subject: the highest ordinal the stream is known to hold, and when the
  /// stream was last asked (0: never; acks raise the ordinal in between).
  struct last_stored {
    std::uint64_t ordinal = 0;
    std::int64_t asked_ns = 0;
  };
  std::map<std::string, last_stored> stored;

  // -- the publisher thread only (libnats objects) ---------------------------
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  bool connect_failing = false; ///< a connect failure was logged
  std::thread thread;

  [[nodiscard]] std::size_t held_count() const {
    return queue.size() + in_flight.size() + failed.size();
  }
  /// Older than 90 % of the duplicate window: the stream may hold the id from
  /// longer ago than the window, where a copy is no longer dropped. The age is
  /// the event's (another instance stored it after its exchange time) or, for a
  /// message without an ordinal, its wait here.
  [[nodiscard]] bool past_window(const held& h, std::int64_t now) const {
    auto window_ms = static_cast<std::int64_t>(cfg.duplicate_window_s) * 1000;
    if (h.msg.ordinal != 0)
      return wall_ms() - h.msg.time_ms > window_ms / 10 * 9;
    return !h.msg.msg_id.empty()
           && (now - h.enqueued_ns) / 1'000'000 > window_ms / 10 * 9;
  }
  [[nodiscard]] bool drained(std::int64_t now) const {
    return draining
           && ((queue.empty() && in_flight.empty() && failed.empty())
               || now >= drain_deadline_ns);
  }

  void run();
  bool ready_to_send(std::unique_lock<std::mutex>& lock);
  enum class freshness { send, expired, ask };
  [[nodiscard]] freshness check_front(std::int64_t now) const;
  std::optional<std::uint64_t> ask_last_stored(const std::string& subject);
  bool connect();
  bool ensure_stream();
  bool recover(std::unique_lock<std::mutex>& lock);
  void send_queued(std::unique_lock<std::mutex>& lock);
  void log_losses(std::int64_t now);
  void close();

  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae,
                     void* closure);
  // on_ack's two outcomes, with the lock held.
  void acked(const held& h, bool duplicate, std::int64_t now);
  void ack_failed(std::map<std::uint64_t, held>::node_type node,
                  const jsPubAckErr* pae);
  static void on_disconnected(natsConnection* nc, void* closure);
  /// With the lock held: the live connection is gone (counted once).
  void lost_connection();
};

// -- callbacks (libnats's threads) ----------------------------------------------

void nats_publisher::impl::on_ack(jsCtx* /*js*/, natsMsg* msg, jsPubAck* pa,
                                  jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<impl*>(closure);
  auto now = steady_ns();
  {
    std::lock_guard<std::mutex> guard{self->mutex};
    auto it = self->serial_of.find(msg);
    if (it != self->serial_of.end()) {
      auto node = self->in_flight.extract(it->second);
      self->serial_of.erase(it);
      if (pa != nullptr && pae == nullptr)
        self->acked(node.mapped(), pa->Duplicate, now);
      else
        self->ack_failed(std::move(node), pae);
      if (self->in_flight.empty())
        self->wake.notify_all();
    }
  }
  natsMsg_Destroy(msg);
}

void nats_publisher::impl::acked(const held& h, bool duplicate,
                                 std::int64_t now) {
  ++counters.acked;
  if (duplicate)
    ++counters.duplicates;
  if (h.msg.recv_ns > 0)
    ack_latency.add((now - h.msg.recv_ns) / 1000);
  if (h.msg.ordinal != 0) {
    auto& known = stored[h.msg.subject];
    known.ordinal = std::max(known.ordinal, h.msg.ordinal);
  }
}

void nats_publisher::impl::ack_failed(
  std::map<std::uint64_t, held>::node_type node, const jsPubAckErr* pae) {
  ++counters.ack_errors;
  if (pae != nullptr)
    counters.last_error = std::string{"ack: "} + natsStatus_GetText(pae->Err)
                          + (pae->ErrText != nullptr
                               ? std::string{": "} + pae->ErrText
                               : std::string{});
  node.mapped().replay = true;
  failed.insert(std::move(node));
  recovering = true;
  // No stream took it: the stream is gone (deleted, or a server that restarted
  // without its store); recovery creates it again.
  if (pae != nullptr && pae->Err == NATS_NO_RESPONDERS)
    stream_ready = false;
}

void nats_publisher::impl::on_disconnected(natsConnection* nc, void* closure) {
  auto* self = static_cast<impl*>(closure);
  std::lock_guard<std::mutex> guard{self->mutex};
  // libnats posts this from its own thread, possibly late: only the live
  // connection counts (not our own close, nor one already replaced).
  if (nc == self->live || self->live == nullptr)
    self->lost_connection();
}

void nats_publisher::impl::lost_connection() {
  if (!connected)
    return;
  connected = false;
  recovering = true;
  ++counters.disconnects;
  SV_WARN("nats", "-", "disconnected",
          "url=%s in_flight=%zu queued=%zu hint=\"reconnecting every 500 ms; "
          "messages are kept up to nats_buffer_max and replayed in order\"",
          shown_url.c_str(), in_flight.size(), queue.size());
  wake.notify_all();
}

// -- the publisher thread ---------------------------------------------------------

void nats_publisher::impl::run() {
  std::unique_lock<std::mutex> lock{mutex};
  while (!drained(steady_ns())) {
    if (!ready_to_send(lock)) {
      if (draining)
        break; // nothing can be delivered: give up at once
      wake.wait_for(lock, retry_interval);
      continue;
    }
    log_losses(steady_ns());
    if (recovering) {
      if (!recover(lock))
        wake.wait_for(lock, poll_interval);
      continue;
    }
    if (queue.empty()) {
      wake.wait_for(lock, poll_interval);
      continue;
    }
    send_queued(lock);
  }
  log_losses(steady_ns() + loss_log_interval_ns);
  if (draining && held_count() > 0)
    SV_WARN("nats", "-", "stop_unpublished",
            "queued=%zu in_flight=%zu hint=\"NATS did not take them within "
            "the shutdown drain; an instance with the same symbols publishes "
            "the same ids\"",
            queue.size() + failed.size(), in_flight.size());
  lock.unlock();
  close();
}

/// Called with `lock` held: a lost connection closed, a new one made, the
/// stream checked, as needed. False if there is no connection or no stream.
bool nats_publisher::impl::ready_to_send(std::unique_lock<std::mutex>& lock) {
  // Without the lock: libnats takes the connection's own lock, which a thread of
  // it may hold while it writes to the socket.
  lock.unlock();
  bool closed = nc != nullptr && natsConnection_IsClosed(nc);
  lock.lock();
  if (closed)
    lost_connection(); // before (or without) libnats's callback
  bool lost = nc != nullptr && !connected;
  if (nc != nullptr && !lost && stream_ready)
    return true;
  lock.unlock();
  if (lost)
    close(); // no library reconnects: see connect()
  bool ready = (nc != nullptr || connect()) && ensure_stream();
  lock.lock();
  return ready;
}

bool nats_publisher::impl::connect() {
  natsStatus s = create_nats_options(opts, cfg.url, "streamvisor");
  // No reconnects by the library: while reconnecting it buffers publishes and
  // flushes them on reconnect, ahead of this publisher's replay of what the
  // disconnect lost, which would store them out of order. This thread makes a
  // new connection instead and replays first (libnats 3.4.1 cannot turn the
  // buffer off: a size of 0 means its default, 8 MB).
  if (s == NATS_OK)
    s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(opts, on_disconnected, this);
  // Each publish is written at once. By default libnats's flusher thread waits
  // 1 ms for more before it writes, which was the whole median of trade -> ack
  // (847 us at 20,000 trades/s; bench/nats_publish.py).
  if (s == NATS_OK)
    s = natsOptions_SetSendAsap(opts, true);
  // A socket write that cannot finish in this long (a frozen server, a black
  // hole) fails the connection. Without it libnats 3.4.1 writes in blocking mode
  // with its connection lock held, and this thread (and stop()) would wait
  // until TCP gives up, or for ever while the server's window stays shut.
  if (s == NATS_OK)
    s = natsOptions_SetWriteDeadline(opts, write_deadline_ms);
  if (s == NATS_OK)
    s = natsConnection_Connect(&nc, opts);
  if (s == NATS_OK) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = cfg.in_flight_max;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    jo.PublishAsync.StallWait = stall_wait_ms;
    s = natsConnection_JetStream(&js, nc, &jo);
  }
  if (s != NATS_OK) {
    auto why = nats_error_text(s);
    if (!connect_failing)
      SV_WARN("nats", "-", "connect_failed",
              "url=%s error=\"%s\" hint=\"is nats-server running there, with "
              "JetStream (-js)? retrying every 0.5 s; trades are kept up to "
              "nats_buffer_max meanwhile\"",
              shown_url.c_str(), why.c_str());
    connect_failing = true;
    {
      std::lock_guard<std::mutex> guard{mutex};
      counters.last_error = "connect: " + why;
    }
    close();
    return false;
  }
  connect_failing = false;
  std::lock_guard<std::mutex> guard{mutex};
  connected = true;
  live = nc;
  if (counters.disconnects > 0)
    ++counters.reconnects;
  SV_INFO("nats", "-", counters.disconnects > 0 ? "reconnected" : "connected",
          "url=%s stream=%s", shown_url.c_str(), cfg.stream.c_str());
  return true;
}

bool nats_publisher::impl::ensure_stream() {
  std::array<const char*, 1> subjects{stream_subject};
  jsStreamConfig want;
  jsStreamConfig_Init(&want);
  want.Name = cfg.stream.c_str();
  want.Subjects = subjects.data();
  want.SubjectsLen = 1;
  want.Storage = js_FileStorage;
  want.Duplicates = static_cast<std::int64_t>(cfg.duplicate_window_s)
                    * ns_per_s;
  want.MaxAge = static_cast<std::int64_t>(cfg.age_s_max) * ns_per_s;
  want.MaxBytes = cfg.mb_max == 0
                    ? -1
                    : static_cast<std::int64_t>(cfg.mb_max) * bytes_per_mb;
  jsStreamInfo* info = nullptr;
  auto code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js, cfg.stream.c_str(), nullptr,
                                  &code);
  const char* action = "found";
  if (s == NATS_NOT_FOUND) {
    action = "created";
    s = js_AddStream(nullptr, js, &want, nullptr, &code);
  } else if (s == NATS_OK) {
    const auto& have = info->Config;
    bool same = have->SubjectsLen == 1
                && std::strcmp(*have->Subjects, stream_subject) == 0
                && have->Duplicates == want.Duplicates
                && have->MaxAge == want.MaxAge
                && have->MaxBytes == want.MaxBytes;
    jsStreamInfo_Destroy(info);
    if (!same) {
      action = "updated";
      s = js_UpdateStream(nullptr, js, &want, nullptr, &code);
    }
  }
  if (s != NATS_OK) {
    auto why = nats_error_text(s);
    SV_WARN("nats", "-", "stream_failed",
            "stream=%s error=\"%s\" jetstream_code=%d hint=\"nats-server must "
            "run with JetStream (-js); the stream must keep file storage, and "
            "nats_age_s_max must be 0 or at least nats_duplicate_window_s; "
            "retrying every 0.5 s\"",
            cfg.stream.c_str(), why.c_str(), static_cast<int>(code));
    std::lock_guard<std::mutex> guard{mutex};
    counters.last_error = "stream: " + why;
    stream_ready = false;
    return false;
  }
  SV_INFO("nats", "-", "stream_ready",
          "stream=%s action=%s subjects=%s duplicate_window_s=%u age_s_max=%u "
          "mb_max=%u",
          cfg.stream.c_str(), action, stream_subject, cfg.duplicate_window_s,
          cfg.age_s_max, cfg.mb_max);
  std::lock_guard<std::mutex> guard{mutex};
  stream_ready = true;
  if (std::strcmp(action, "created") == 0)
    stored.clear(); // a new, empty stream
  return true;
}

/// Called with `lock` held and `recovering` set. Returns false while it has to
/// wait (acks in flight, no connection), true once the failed messages are
/// queued again ahead of the rest, in their first send order.
bool nats_publisher::impl::recover(std::unique_lock<std::mutex>& lock) {
  if (!in_flight.empty())
    return false; // each ack comes, or times out after ack_wait_ms
  bool ready_before = stream_ready;
  lock.unlock();
  // A new connection has just checked the stream; on the same one, a stream
  // found missing (no responders) is created again.
  bool ready = ready_before || ensure_stream();
  lock.lock();
  if (!ready)
    return false;
  auto replays = failed.size();
  for (auto it = failed.rbegin(); it != failed.rend(); ++it)
    queue.push_front(std::move(it->second));
  failed.clear();
  recovering = false;
  if (replays > 0)
    SV_INFO("nats", "-", "replaying",
            "messages=%zu first_id=%s hint=\"their acks failed or their "
            "connection was lost; the stream stores each id once within its "
            "duplicate window\"",
            replays, queue.front().msg.msg_id.c_str());
  return true;
}

/// Called with the lock held: whether the queue's head can be sent. One past the
/// duplicate window is sent only if the stream's last message of its subject
/// has a lower ordinal: a subject's messages are stored in ordinal order (every
/// instance publishes in order, replays first), so then the stream does not hold
/// it, and otherwise it does (or skipped it for good). Asks the stream when that
/// is not known.
nats_publisher::impl::freshness
nats_publisher::impl::check_front(std::int64_t now) const {
  const auto& h = queue.front();
  if (!past_window(h, now))
    return freshness::send;
  if (h.msg.ordinal == 0)
    return freshness::expired;
  auto it = stored.find(h.msg.subject);
  if (it != stored.end() && h.msg.ordinal <= it->second.ordinal)
    return freshness::expired;
  // Known for at most a tenth of the window: an id stored since the question is
  // still inside it.
  auto ttl = std::min(last_stored_ttl_ns,
                      static_cast<std::int64_t>(cfg.duplicate_window_s)
                        * ns_per_s / 10);
  if (it == stored.end() || it->second.asked_ns == 0
      || now - it->second.asked_ns > ttl)
    return freshness::ask;
  return freshness::send;
}

/// The ordinal of the stream's last message on `subject` (0: none), or nothing
/// if the stream did not answer. Publisher thread, without the lock.
std::optional<std::uint64_t>
nats_publisher::impl::ask_last_stored(const std::string& subject) {
  std::string error;
  auto ordinal = last_ordinal_on(js, cfg.stream, subject, error);
  if (!ordinal) {
    std::lock_guard<std::mutex> guard{mutex};
    counters.last_error = "last message: " + error;
  }
  return ordinal;
}

/// Called with `lock` held: sends from the head of the queue until it is empty,
/// recovery starts or stop() gives up.
void nats_publisher::impl::send_queued(std::unique_lock<std::mutex>& lock) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = cfg.ack_wait_ms;
  po.ExpectStream = cfg.stream.c_str();
  while (!queue.empty() && !recovering) {
    auto now = steady_ns();
    if (drained(now))
      return;
    switch (check_front(now)) {
      case freshness::send:
        break;
      case freshness::expired:
        ++counters.expired;
        expired_unlogged.add(queue.front());
        queue.pop_front();
        continue;
      case freshness::ask: {
        std::string subject = queue.front().msg.subject;
        lock.unlock();
        auto last = ask_last_stored(subject);
        lock.lock();
        if (!last) {
          // The connection or the stream is in trouble (a deleted stream answers
          // "stream not found"): check the stream again, after a pause.
          stream_ready = false;
          wake.wait_for(lock, retry_interval);
          return;
        }
        auto& known = stored[subject];
        known.ordinal = std::max(known.ordinal, *last);
        known.asked_ns = now;
        continue; // the queue's head may have changed meanwhile
      }
    }
    held h = std::move(queue.front());
    queue.pop_front();
    if (h.serial == 0)
      h.serial = next_serial++;
    auto serial = h.serial;
    bool replay = h.replay;
    // The id and the subject outlive the publish call in these copies; the
    // entry itself may be acked (and erased) before js_PublishMsgAsync returns.
    std::string id = h.msg.msg_id;
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, h.msg.subject.c_str(), nullptr,
                                  h.msg.payload.data(),
                                  static_cast<int>(h.msg.payload.size()));
    if (s != NATS_OK) { // an invalid subject: it can never be published
      counters.last_error = "message: " + nats_error_text(s);
      ++counters.dropped;
      dropped_unlogged.add(h);
      continue;
    }
    serial_of.emplace(msg, serial);
    in_flight.emplace(serial, std::move(h));
    lock.unlock();
    po.MsgId = id.empty() ? nullptr : id.c_str();
    s = js_PublishMsgAsync(js, &msg, &po);
    lock.lock();
    if (s == NATS_OK) {
      ++counters.published;
      if (replay)
        ++counters.republished;
      continue;
    }
    // Not taken: back to the head, so the order holds.
    serial_of.erase(msg);
    auto node = in_flight.extract(serial);
    natsMsg_Destroy(msg);
    if (s == NATS_MAX_PAYLOAD) { // larger than the server takes: never will
      counters.last_error = "publish: " + nats_error_text(s);
      ++counters.dropped;
      dropped_unlogged.add(node.mapped());
      continue;
    }
    queue.push_front(std::move(node.mapped()));
    if (s == NATS_TIMEOUT)
      return; // a stall (in_flight_max acks due): run() looks at the connection
    counters.last_error = "publish: " + nats_error_text(s);
    recovering = true;
    wake.wait_for(lock, retry_interval);
    return;
  }
}

void nats_publisher::impl::log_losses(std::int64_t now) {
  if (now - losses_logged_ns < loss_log_interval_ns)
    return;
  losses_logged_ns = now;
  if (dropped_unlogged.count > 0)
    SV_WARN("nats", "-", "dropped",
            "messages=%llu first_id=%s last_id=%s total=%llu hint=\"NATS took "
            "less than the feed for longer than nats_buffer_max messages "
            "last: the oldest unsent were dropped; raise nats_buffer_max or "
            "look at the NATS server\"",
            ull(dropped_unlogged.count), dropped_unlogged.first_id.c_str(),
            dropped_unlogged.last_id.c_str(), ull(counters.dropped));
  if (expired_unlogged.count > 0)
    SV_WARN("nats", "-", "expired",
            "messages=%llu first_id=%s last_id=%s total=%llu hint=\"older "
            "than 90 %% of the duplicate window and the stream already holds "
            "their ids or later ones of their subjects (another instance "
            "published them, or their acks were lost), so they were not sent "
            "again\"",
            ull(expired_unlogged.count), expired_unlogged.first_id.c_str(),
            expired_unlogged.last_id.c_str(), ull(counters.expired));
  dropped_unlogged = {};
  expired_unlogged = {};
}

void nats_publisher::impl::close() {
  {
    // First, so that on_disconnected takes this close for what it is.
    std::lock_guard<std::mutex> guard{mutex};
    connected = false;
    stream_ready = false;
    live = nullptr;
  }
  destroy_and_clear(js, jsCtx_Destroy);
  destroy_and_clear(nc, natsConnection_Destroy);
  destroy_and_clear(opts, natsOptions_Destroy);
  std::lock_guard<std::mutex> guard{mutex};
  // Acks still due will never come: the messages are replayed on the next
  // connection, before anything newer (the stream stores an id once).
  for (auto& [serial, h] : in_flight) {
    h.replay = true;
    failed.emplace(serial, std::move(h));
  }
  in_flight.clear();
  serial_of.clear();
  // The next server may hold another stream (one restarted without its store).
  stored.clear();
  if (!failed.empty())
    recovering = true;
}

// -- nats_publisher ---------------------------------------------------------------

nats_publisher::nats_publisher(nats_publisher_config cfg)
  : impl_(std::make_unique<impl>()) {
  impl_->shown_url = url_without_credentials(cfg.url);
  impl_->counters.url = impl_->shown_url;
  impl_->counters.stream = cfg.stream;
  impl_->counters.buffer_max = cfg.buffer_max;
  impl_->cfg = std::move(cfg);
}

nats_publisher::~nats_publisher() {
  stop(std::chrono::milliseconds{0});
}

void nats_publisher::start() {
  assert(!impl_->thread.joinable());
  impl_->thread = std::thread{[this] { impl_->run(); }};
}

void nats_publisher::stop(std::chrono::milliseconds drain) {
  if (!impl_ || !impl_->thread.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    impl_->draining = true;
    impl_->drain_deadline_ns
      = steady_ns()
        + std::chrono::duration_cast<std::chrono::nanoseconds>(drain).count();
    impl_->wake.notify_all();
  }
  impl_->thread.join();
  // Every connection of the process is closed: libnats's own threads may go.
  // If one of them is still in a callback after this, impl must outlive it.
  if (nats_CloseAndWait(static_cast<std::int64_t>(5000)) == NATS_TIMEOUT) {
    SV_WARN("nats", "-", "close_timeout",
            "hint=\"libnats's threads did not end within 5 s; the publisher's "
            "state is left allocated\"");
    (void) impl_.release(); // NOLINT(bugprone-unused-return-value): on purpose
  }
}

void nats_publisher::publish(std::vector<market_message> messages) {
  if (!impl_)
    return; // stopped, and libnats's threads did not end (stop())
  auto now = steady_ns();
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    auto& d = *impl_;
    for (auto& m : messages) {
      held h;
      h.msg = std::move(m);
      h.enqueued_ns = now;
      if (d.held_count() >= d.cfg.buffer_max) {
        ++d.counters.dropped;
        if (d.queue.empty()) { // all in flight or failed: the new one goes
          d.dropped_unlogged.add(h);
          continue;
        }
        d.dropped_unlogged.add(d.queue.front());
        d.queue.pop_front();
      }
      d.queue.push_back(std::move(h));
    }
  }
  impl_->wake.notify_one();
}

publisher_status nats_publisher::status() const {
  if (!impl_)
    return {};
  std::lock_guard<std::mutex> guard{impl_->mutex};
  const auto& d = *impl_;
  publisher_status out = d.counters;
  out.connected = d.connected;
  out.stream_ready = d.stream_ready;
  out.queued = d.queue.size() + d.failed.size();
  out.in_flight = d.in_flight.size();
  out.ack_latency = d.ack_latency.snapshot();
  return out;
}

std::string url_without_credentials(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  // libnats takes the user information up to the last '@' (a password may hold
  // '@' or '/'), so everything before it goes.
  auto at = url.rfind('@');
  if (at == std::string::npos || at < start)
    return url;
  return url.substr(0, start) + url.substr(at + 1);
}

} // namespace sv
