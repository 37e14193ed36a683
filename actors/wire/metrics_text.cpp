// metrics_text: renders /metrics in Prometheus's text format 0.0.4.
#include "actors/wire/metrics_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>

namespace sv {

namespace {

/// Appends `x` as the shortest text that reads back as the same double, in
/// the form Go's strconv.FormatFloat(x, 'g', -1, 64) writes (and with it
/// Prometheus's own clients, for `le`): "0.0001", "1e-05", "1.7649696005e+09".
void append_number(std::string& out, double x) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), x,
                                 std::chars_format::general);
  out.append(buf.data(), ec == std::errc{} ? end : buf.data());
}

void append_number(std::string& out, std::uint64_t x) {
  out += std::to_string(x);
}

void append_number(std::string& out, std::int64_t x) {
  out += std::to_string(x);
}

/// Appends a label value with `\`, `"` and newlines escaped, as 0.0.4 requires.
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

/// One label: name and (unescaped) value.
struct label {
  std::string_view name;
  std::string_view value;
};

/// Writes families: HELP and TYPE once, then samples.
class writer {
public:
  explicit writer(std::string& out) : out_(out) {
  }

  void family(std::string_view name, std::string_view type,
              std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <class Number, std::size_t N = 0>
  void sample(std::string_view name, Number value,
              const std::array<label, N>& labels = {}) {
    out_ += name;
    if constexpr (N > 0) {
      out_ += '{';
      const char* separator = "";
      for (const auto& l : labels) {
        out_ += separator;
        separator = ",";
        out_ += l.name;
        out_ += "=\"";
        append_escaped(out_, l.value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
  }

  /// A histogram's series; `labels` go before `le` on each bucket.
  template <std::size_t N>
  void histogram(std::string_view name, const histogram_counts& h,
                 const std::array<label, N>& labels) {
    std::string bucket{name};
    bucket += "_bucket";
    std::uint64_t cumulative = 0;
    std::array<label, N + 1> with_le{};
    std::copy(labels.begin(), labels.end(), with_le.begin());
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts.at(i);
      std::string le;
      if (i < h.bounds_s.size())
        append_number(le, h.bounds_s.at(i));
      else
        le = "+Inf";
      with_le.back() = label{"le", le};
      sample(bucket, cumulative, with_le);
    }
    sample(std::string{name} + "_sum", h.sum_s, labels);
    sample(std::string{name} + "_count", h.count, labels);
  }

private:
  std::string& out_;
};

constexpr std::array all_child_states
  = {child_state::connecting, child_state::streaming, child_state::waiting,
     child_state::backoff,    child_state::parked,    child_state::stopped};

constexpr std::array all_book_phases
  = {book_phase::waiting, book_phase::syncing, book_phase::synced};

constexpr std::array all_restart_causes
  = {restart_cause::connect_timeout, restart_cause::connection_closed,
     restart_cause::silence_timeout, restart_cause::other};

constexpr std::array all_socket_phases
  = {socket_phase::budget_wait, socket_phase::connecting, socket_phase::open,
     socket_phase::draining};

/// The `symbol` and `stream` labels of a child.
std::array<label, 2> stream_labels(const child_status& c) {
  return {label{"symbol", c.symbol}, label{"stream", to_string(c.stream)}};
}

/// Which children a per-child family has a sample for, and its labels.
enum class child_scope : std::uint8_t {
  every_stream, ///< all children; labels symbol and stream
  trade_stream, ///< aggTrade children (their aggregator); label symbol
  book,         ///< depth children whose book answered; label symbol
};

/// A family with one sample per child, taken from one child_status field.
struct child_family {
  std::string_view name;              ///< streamvisor_...
  std::string_view type;              ///< counter or gauge
  std::string_view help;              ///< one line
  std::uint64_t child_status::*field; ///< the value
  child_scope scope;                  ///< whose, and the labels
};

constexpr std::array child_families = {
  child_family{"streamvisor_stream_connect_attempts_total", "counter",
               "Connect attempts started since the process started.",
               &child_status::connect_attempts, child_scope::every_stream},
  child_family{"streamvisor_stream_messages_received_total", "counter",
               "Text frames received from the exchange.", &child_status::frames,
               child_scope::every_stream},
  child_family{"streamvisor_stream_decode_errors_total", "counter",
               "Frames that did not decode (counted, logged and dropped).",
               &child_status::decode_errors, child_scope::every_stream},
  child_family{"streamvisor_gaps_detected_total", "counter",
               "Jumps in aggregate trade ids.", &child_status::gaps_detected,
               child_scope::trade_stream},
  child_family{"streamvisor_gaps_filled_total", "counter",
               "Gaps backfilled completely from REST.",
               &child_status::gaps_filled, child_scope::trade_stream},
  child_family{"streamvisor_gaps_open", "gauge",
               "Gaps being filled or given up now.", &child_status::gaps_open,
               child_scope::trade_stream},
  child_family{"streamvisor_trades_backfilled_total", "counter",
               "Trades applied from REST (gap fills and the warm start).",
               &child_status::trades_backfilled, child_scope::trade_stream},
  child_family{"streamvisor_book_syncs_total", "counter",
               "Times the local order book became synced.",
               &child_status::book_syncs, child_scope::book},
  child_family{"streamvisor_book_resyncs_total", "counter",
               "Sequence breaks that discarded the local order book.",
               &child_status::book_resyncs, child_scope::book},
};

bool in_scope(const child_status& c, child_scope scope) {
  switch (scope) {
    case child_scope::every_stream:
      return true;
    case child_scope::trade_stream:
      return c.stream == stream_kind::agg_trade;
    case child_scope::book:
      return c.stream == stream_kind::depth && c.book_known;
  }
  return false;
}

void write_child_family(writer& w, const child_family& f,
                        const std::vector<child_status>& children) {
  w.family(f.name, f.type, f.help);
  for (const auto& c : children) {
    if (!in_scope(c, f.scope))
      continue;
    if (f.scope == child_scope::every_stream)
      w.sample(f.name, c.*f.field, stream_labels(c));
    else
      w.sample(f.name, c.*f.field, std::array{label{"symbol", c.symbol}});
  }
}

/// The per-child families: states (one series per state), restarts by cause,
/// the last message's age, and the table above.
void write_children(writer& w, const std::vector<child_status>& children) {
  w.family("streamvisor_stream_state", "gauge",
           "1 for the state each stream's child is in, 0 for the others.");
  for (const auto& c : children)
    for (auto s : all_child_states)
      w.sample("streamvisor_stream_state",
               std::uint64_t{c.state == s ? 1U : 0U},
               std::array{label{"symbol", c.symbol},
                          label{"stream", to_string(c.stream)},
                          label{"state", to_string(s)}});
  w.family("streamvisor_streams", "gauge", "Streams in each state.");
  for (auto s : all_child_states) {
    std::uint64_t n = 0;
    for (const auto& c : children)
      n += c.state == s ? 1 : 0;
    w.sample("streamvisor_streams", n,
             std::array{label{"state", to_string(s)}});
  }
  w.family("streamvisor_stream_restarts_total", "counter",
           "Restarts scheduled after a child died, by the cause of its death.");
  for (const auto& c : children)
    for (auto cause : all_restart_causes)
      w.sample("streamvisor_stream_restarts_total",
               c.restarts_by_cause.at(static_cast<std::size_t>(cause)),
               std::array{label{"symbol", c.symbol},
                          label{"stream", to_string(c.stream)},
                          label{"cause", to_string(cause)}});
  w.family("streamvisor_stream_last_message_age_seconds", "gauge",
           "Time since the stream's last frame; absent before its first.");
  for (const auto& c : children)
    if (c.last_message_age_ms >= 0)
      w.sample("streamvisor_stream_last_message_age_seconds",
               static_cast<double>(c.last_message_age_ms) / 1e3,
               stream_labels(c));
  for (const auto& f : child_families)
    write_child_family(w, f, children);
  w.family("streamvisor_book_state", "gauge",
           "1 for the state each order book is in, 0 for the others.");
  for (const auto& c : children)
    if (in_scope(c, child_scope::book))
      for (auto p : all_book_phases)
        w.sample(
          "streamvisor_book_state", std::uint64_t{c.book_state == p ? 1U : 0U},
          std::array{label{"symbol", c.symbol}, label{"state", to_string(p)}});
}

void write_supervisor(writer& w, const supervisor_metrics& s) {
  w.family("streamvisor_connect_latency_seconds", "histogram",
           "Connect attempt start to first frame, of attempts that streamed.");
  for (std::size_t k = 0; k < s.connect_latency.size() && k < stream_kind_count;
       ++k)
    w.histogram(
      "streamvisor_connect_latency_seconds", s.connect_latency.at(k),
      std::array{label{"stream", to_string(static_cast<stream_kind>(k))}});
  w.family("streamvisor_connect_budget_used", "gauge",
           "Connect attempts in the connection budget's window now.");
  w.sample("streamvisor_connect_budget_used", s.connect_budget_used);
  w.family("streamvisor_connect_budget", "gauge",
           "Connect attempts the connection budget's window allows.");
  w.sample("streamvisor_connect_budget", std::uint64_t{s.connect_budget});
}

void write_backfill(writer& w, const backfill_status& b) {
  w.family("streamvisor_rest_weight_used", "gauge",
           "REST request weight spent in the last 60 s (own count).");
  w.sample("streamvisor_rest_weight_used", b.weight_used);
  w.family(
    "streamvisor_rest_weight_budget", "gauge",
    "REST request weight the 60 s window allows (rest_weight_budget_1m).");
  w.sample("streamvisor_rest_weight_budget", std::uint64_t{b.weight_budget});
  if (b.weight_used_reported >= 0) {
    w.family("streamvisor_rest_weight_used_reported", "gauge",
             "The exchange's X-MBX-USED-WEIGHT-1M in its last answer.");
    w.sample("streamvisor_rest_weight_used_reported",
             std::int64_t{b.weight_used_reported});
  }
  w.family(
    "streamvisor_rest_pauses_total", "counter",
    "429 (rate limit) and 418 (ban) answers; each pauses every request.");
  w.sample("streamvisor_rest_pauses_total", b.pauses_429,
           std::array{label{"code", "429"}});
  w.sample("streamvisor_rest_pauses_total", b.pauses_418,
           std::array{label{"code", "418"}});
  w.family("streamvisor_rest_requests_timed_out_total", "counter",
           "REST requests given up at their deadline.");
  w.sample("streamvisor_rest_requests_timed_out_total", b.requests_timed_out);
  w.family("streamvisor_backfill_jobs_refused_total", "counter",
           "Backfill and snapshot jobs refused with the queue full.");
  w.sample("streamvisor_backfill_jobs_refused_total", b.jobs_refused);
  w.family("streamvisor_backfill_jobs", "gauge",
           "Backfill and snapshot jobs queued or in flight.");
  w.sample("streamvisor_backfill_jobs", b.jobs_queued);
}

void write_pool(writer& w, const pool_status& p) {
  w.family("streamvisor_sockets", "gauge", "Shared sockets in each state.");
  for (auto phase : all_socket_phases) {
    std::uint64_t n = 0;
    for (const auto& s : p.sockets)
      n += s.phase == phase ? 1 : 0;
    w.sample("streamvisor_sockets", n,
             std::array{label{"state", to_string(phase)}});
  }
  w.family("streamvisor_sockets_opened_total", "counter",
           "Shared socket connection attempts.");
  w.sample("streamvisor_sockets_opened_total", p.sockets_opened);
  w.family("streamvisor_sockets_drained_total", "counter",
           "Shared sockets drained (serverShutdown or max_socket_age_ms).");
  w.sample("streamvisor_sockets_drained_total", p.sockets_drained);
  w.family("streamvisor_pool_frames_unrouted_total", "counter",
           "Data frames on a shared socket for no live stream.");
  w.sample("streamvisor_pool_frames_unrouted_total", p.frames_unrouted);
}

/// A counter family without labels: its name, help text and one sample.
struct counter {
  std::string_view name;
  std::string_view help;
  std::uint64_t value;
};

/// Each of `counters` as a family of its own with its one sample.
template <std::size_t N>
void write_counters(writer& w, const std::array<counter, N>& counters) {
  for (const auto& c : counters) {
    w.family(c.name, "counter", c.help);
    w.sample(c.name, c.value);
  }
}

void write_transport(writer& w, const transport_counters& t) {
  const std::array counters = {
    counter{"streamvisor_binary_frames_dropped_total",
            "Binary WebSocket frames received and dropped.", t.binary_frames},
    counter{"streamvisor_oversize_messages_total",
            "Text messages over the size bound (connection closed, 1009).",
            t.oversize_messages},
    counter{"streamvisor_invalid_utf8_messages_total",
            "Text messages that were not UTF-8 (connection closed, 1007).",
            t.invalid_utf8_messages},
    counter{"streamvisor_oversize_rest_bodies_total",
            "REST answers refused for a body over rest_body_bytes_max.",
            t.oversize_rest_bodies},
    counter{"streamvisor_api_refused_total",
            "API clients refused over the connection cap (503).",
            t.api_refused},
    counter{"streamvisor_api_header_timeouts_total",
            "API connections closed without a complete request header.",
            t.api_header_timeouts},
    counter{"streamvisor_api_accept_failures_total",
            "accept() errors on the API socket (e.g. EMFILE).",
            t.api_accept_failures},
  };
  write_counters(w, counters);
  w.family("streamvisor_api_clients", "gauge", "API connections open now.");
  w.sample("streamvisor_api_clients", t.api_clients);
}

void write_process(writer& w, const process_stats& p) {
  w.family("process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.");
  w.sample("process_cpu_seconds_total", p.cpu_seconds);
  w.family("process_resident_memory_bytes", "gauge",
           "Resident memory size in bytes.");
  w.sample("process_resident_memory_bytes", p.resident_bytes);
  w.family("process_virtual_memory_bytes", "gauge",
           "Virtual memory size in bytes.");
  w.sample("process_virtual_memory_bytes", p.virtual_bytes);
  w.family("process_open_fds", "gauge", "Number of open file descriptors.");
  w.sample("process_open_fds", p.open_fds);
  w.family("process_max_fds", "gauge",
           "Maximum number of open file descriptors.");
  w.sample("process_max_fds", p.max_fds);
  w.family("process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
  w.sample("process_start_time_seconds", p.start_time_seconds);
}

void write_feed(writer& w, const feed_status& f) {
  w.family("streamvisor_feed_clients", "gauge",
           "WebSocket feed clients connected now.");
  w.sample("streamvisor_feed_clients",
           static_cast<std::uint64_t>(f.clients.size()));
  w.family("streamvisor_feed_clients_opened_total", "counter",
           "WebSocket feed clients accepted.");
  w.sample("streamvisor_feed_clients_opened_total", f.opened);
  w.family("streamvisor_feed_clients_closed_total", "counter",
           "WebSocket feed clients closed, by why (slow: queue past its bound; "
           "requests: over feed_requests_per_s; refused: over "
           "feed_clients_max).");
  w.sample("streamvisor_feed_clients_closed_total", f.closed_slow,
           std::array{label{"reason", "slow"}});
  w.sample("streamvisor_feed_clients_closed_total", f.closed_requests,
           std::array{label{"reason", "requests"}});
  w.sample("streamvisor_feed_clients_closed_total", f.refused,
           std::array{label{"reason", "refused"}});
  w.sample("streamvisor_feed_clients_closed_total", f.closed_other,
           std::array{label{"reason", "other"}});
  w.family("streamvisor_feed_trades_released_total", "counter",
           "Trades the aggregators released to the feed, in id order.");
  w.sample("streamvisor_feed_trades_released_total", f.trades_released);
  w.family("streamvisor_feed_trades_sent_total", "counter",
           "aggTrade frames queued for feed clients (one per client).");
  w.sample("streamvisor_feed_trades_sent_total", f.trades_sent);
  w.family("streamvisor_feed_skipped_trades_total", "counter",
           "Trade ids the feed passed without their trade (a gap unfilled "
           "after feed_gap_wait_ms, or its backfill failed).");
  w.sample("streamvisor_feed_skipped_trades_total", f.skipped_trades);
  w.family("streamvisor_feed_conflated_total", "counter",
           "Native feed: book delta runs and metrics updates left out for a "
           "client's backlog (each delta run replaced by a snapshot).");
  w.sample("streamvisor_feed_conflated_total", f.conflated);
  w.family("streamvisor_feed_resumes_total", "counter",
           "Native feed: trade subscriptions resumed from an aggregate id.");
  w.sample("streamvisor_feed_resumes_total", f.resumes);
}

void write_shard(writer& w, const shard_status& s) {
  w.family("streamvisor_shard_connected", "gauge",
           "1 if the last round read the shard group's bucket.");
  w.sample("streamvisor_shard_connected", std::uint64_t{s.connected ? 1U : 0U});
  w.family("streamvisor_shard_members", "gauge",
           "Live members of the shard group at the last round.");
  w.sample("streamvisor_shard_members", std::uint64_t{s.members});
  w.family("streamvisor_shard_leases_held", "gauge",
           "Symbol leases this instance holds.");
  w.sample("streamvisor_shard_leases_held", std::uint64_t{s.held.size()});
  w.family("streamvisor_shard_leases_unheld", "gauge",
           "Leases of the group's symbols no member held at the last round.");
  w.sample("streamvisor_shard_leases_unheld", std::uint64_t{s.unheld});
  w.family("streamvisor_shard_round_duration_seconds", "gauge",
           "How long the last shard round took.");
  w.sample("streamvisor_shard_round_duration_seconds",
           static_cast<double>(s.round_ms) / 1000.0);
  w.family("streamvisor_shard_symbol_changes_pending", "gauge",
           "Changes of the group's symbols asked here and not yet written to "
           "its bucket.");
  w.sample("streamvisor_shard_symbol_changes_pending",
           std::uint64_t{s.changes_pending});
  const std::array counters = {
    counter{"streamvisor_shard_rounds_total", "Shard rounds done.", s.rounds},
    counter{"streamvisor_shard_leases_taken_total",
            "Symbol leases taken (the symbol started here).", s.taken},
    counter{"streamvisor_shard_leases_released_total",
            "Symbol leases given up (balance, unhealthy streams, stop).",
            s.released},
    counter{"streamvisor_shard_leases_lost_total",
            "Symbol leases found lapsed or taken by another member.", s.lost},
    counter{"streamvisor_shard_handovers_total",
            "Symbols started after the stream's last trade id (backfilled).",
            s.handovers},
    counter{"streamvisor_shard_symbol_changes_written_total",
            "Changes of the group's symbols this instance wrote to its bucket.",
            s.changes_written},
  };
  write_counters(w, counters);
}

void write_nats(writer& w, const publisher_status& n) {
  w.family("streamvisor_nats_connected", "gauge",
           "1 while the connection to NATS is up.");
  w.sample("streamvisor_nats_connected", std::uint64_t{n.connected ? 1U : 0U});
  w.family("streamvisor_nats_stream_ready", "gauge",
           "1 once the JetStream stream exists with the configured limits.");
  w.sample("streamvisor_nats_stream_ready",
           std::uint64_t{n.stream_ready ? 1U : 0U});
  w.family("streamvisor_nats_messages_queued", "gauge",
           "Messages kept for JetStream and not sent yet (replays included).");
  w.sample("streamvisor_nats_messages_queued", n.queued);
  w.family("streamvisor_nats_messages_in_flight", "gauge",
           "Messages sent to JetStream whose ack is not in yet.");
  w.sample("streamvisor_nats_messages_in_flight", n.in_flight);
  const std::array counters = {
    counter{"streamvisor_nats_published_total",
            "Publishes sent to JetStream, replays included.", n.published},
    counter{"streamvisor_nats_acked_total", "Messages JetStream acknowledged.",
            n.acked},
    counter{"streamvisor_nats_duplicates_total",
            "Acks for an id the stream already held (stored once).",
            n.duplicates},
    counter{"streamvisor_nats_republished_total",
            "Messages sent again after an ack error or a disconnect.",
            n.republished},
    counter{"streamvisor_nats_ack_errors_total",
            "Acks that failed (timeout or refusal); the message is replayed.",
            n.ack_errors},
    counter{"streamvisor_nats_disconnects_total", "Connections to NATS lost.",
            n.disconnects},
  };
  write_counters(w, counters);
  w.family("streamvisor_nats_lost_total", "counter",
           "Messages not published, by why (dropped: the buffer was full; "
           "expired: older than 90 % of the duplicate window, and the stream "
           "already past their id).");
  w.sample("streamvisor_nats_lost_total", n.dropped,
           std::array{label{"reason", "dropped"}});
  w.sample("streamvisor_nats_lost_total", n.expired,
           std::array{label{"reason", "expired"}});
  w.family("streamvisor_nats_ack_latency_seconds", "histogram",
           "Live trades: frame read to JetStream ack.");
  w.histogram("streamvisor_nats_ack_latency_seconds", n.ack_latency.buckets,
              std::array<label, 0>{});
}

} // namespace

std::string metrics_text(const metrics_inputs& in) {
  std::string out;
  writer w{out};
  w.family("streamvisor_build_info", "gauge",
           "1, labelled with the running streamvisor's version.");
  w.sample("streamvisor_build_info", std::uint64_t{1},
           std::array{label{"version", in.version}});
  if (in.children != nullptr)
    write_children(w, *in.children);
  if (in.supervisor != nullptr)
    write_supervisor(w, *in.supervisor);
  if (in.frame_latency != nullptr) {
    w.family("streamvisor_frame_to_aggregator_latency_seconds", "histogram",
             "Frame arrival to aggregator update, one sample per trade.");
    w.histogram("streamvisor_frame_to_aggregator_latency_seconds",
                *in.frame_latency, std::array<label, 0>{});
  }
  if (in.backfill != nullptr)
    write_backfill(w, *in.backfill);
  if (in.pool != nullptr)
    write_pool(w, *in.pool);
  if (in.transport != nullptr)
    write_transport(w, *in.transport);
  if (in.feed != nullptr)
    write_feed(w, *in.feed);
  if (in.nats != nullptr)
    write_nats(w, *in.nats);
  if (in.shard != nullptr)
    write_shard(w, *in.shard);
  if (in.process != nullptr && in.process->known)
    write_process(w, *in.process);
  return out;
}

} // namespace sv
