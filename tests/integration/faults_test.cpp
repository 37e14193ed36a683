// Every simulator fault over real sockets: streamvisor detects it, recovers, and keeps answering its API.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

using test_clock = std::chrono::steady_clock;

/// Short policy settings so each fault resolves within seconds.
const std::vector<std::string> fast_policy
  = {"--symbols",           "BTCUSDT", "--connect-timeout-ms", "1000",
     "--silence-timeout-s", "1",       "--backoff-initial-ms", "100",
     "--backoff-max-ms",    "200",     "--ping-interval-s",    "1",
     "--pong-timeout-s",    "1"};

/// What /status said about BTCUSDT at one poll.
struct child_view {
  std::string state;
  std::uint64_t attempts = 0;
  std::uint64_t restarts = 0;
  std::uint64_t frames = 0;
  std::uint64_t decode_errors = 0;
  std::string last_error;
};

child_view view(streamvisor_process& sv) {
  auto r = sv.get("/status");
  REQUIRE(r.status == 200); // the API answers throughout every fault
  auto doc = parse(r.body);
  auto& c = doc["children"][0];
  return {str(c["state"]),
          c["connect_attempts"].GetUint64(),
          c["restarts"].GetUint64(),
          c["frames"].GetUint64(),
          c["decode_errors"].GetUint64(),
          str(c["last_error"])};
}

/// Times of one fault's life as seen through /status, polled every 10 ms.
struct fault_timeline {
  test_clock::time_point started;         ///< streamvisor spawned
  test_clock::time_point first_streaming; ///< first attempt streaming (if ever)
  test_clock::time_point detected;        ///< restarts >= 1 first seen
  test_clock::time_point recovered;       ///< streaming again on attempt >= 2
  child_view last;                        ///< the view at recovery
};

/// Runs streamvisor against `sim` until the child has restarted and streams again.
fault_timeline watch_recovery(const std::string& dir, sim_process& sim,
                              std::vector<std::string> extra = {}) {
  auto args = fast_policy;
  args.insert(args.end(), extra.begin(), extra.end());
  fault_timeline t;
  t.started = test_clock::now();
  streamvisor_process sv{dir, sim.port, args};
  REQUIRE(
    eventually([&] { return sv.get("/status").status == 200; }, 10s, 5ms));
  bool seen_streaming = false, seen_restart = false;
  REQUIRE(eventually(
    [&] {
      auto v = view(sv);
      auto now = test_clock::now();
      if (!seen_streaming && v.state == "streaming" && v.attempts == 1) {
        seen_streaming = true;
        t.first_streaming = now;
      }
      if (!seen_restart && v.restarts >= 1) {
        seen_restart = true;
        t.detected = now;
      }
      if (seen_restart && v.state == "streaming" && v.attempts >= 2) {
        t.recovered = now;
        t.last = v;
        return true;
      }
      return false;
    },
    30s, 10ms));
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
  return t;
}

long ms(test_clock::duration d) {
  return static_cast<long>(
    std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

/// One line per fault for docs/supervision.md.
void report(const char* fault, long detect_ms, long recover_ms) {
  std::printf("fault=%s detect_ms=%ld recover_ms=%ld\n", fault, detect_ms,
              recover_ms);
}

/// Where a row's detection and recovery times are measured from.
enum class measured_from {
  spawn, ///< streamvisor was spawned (the fault hits the first connection)
  fault_estimate,  ///< the first attempt streamed + 250 ms (50 frames at 200/s)
  first_streaming, ///< the first attempt streamed
};

/// One simulator fault that streamvisor must detect and recover from (the child
/// restarts and streams again), with what /status must show and how fast.
struct recovery_case {
  const char* fault; ///< the report's name for the fault (docs/supervision.md)
  const char* invariant;  ///< what the row proves, a sentence naming the fault
  const char* dir;        ///< scratch directory
  const char* fault_spec; ///< the simulator's --fault (at --rate 200)
  std::vector<std::string> extra_args; ///< appended to fast_policy
  measured_from origin
    = measured_from::spawn; ///< origin of detect_ms and recover_ms
  std::vector<std::string>
    last_error_any;        ///< last_error contains one of these (if any)
  long detect_ms_min = -1; ///< detected - origin at least this (-1: no bound)
  long detect_ms_max = -1; ///< detected - origin at most this (-1: no bound)
  long wait_ms_min = -1; ///< recovered - detected at least this (-1: no bound)
  std::uint64_t frames_min = 0; ///< frames counted at recovery at least this
};

/// `last_error` contains one of the strings.
struct contains_any_of : Catch::MatcherBase<std::string> {
  std::vector<std::string> parts;
  explicit contains_any_of(std::vector<std::string> p) : parts(std::move(p)) {
  }
  bool match(const std::string& text) const override {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const std::string& part) {
                         return text.find(part) != std::string::npos;
                       });
  }
  std::string describe() const override {
    std::string d = "contains one of:";
    for (const auto& part : parts)
      d += " \"" + part + "\"";
    return d;
  }
};

// clang-format off
const std::vector<recovery_case> recovery_cases = {
  {"hang-upgrade",
   "fault hang-upgrade: the connect deadline cuts the attempt and the next connection streams",
   "f-hang", "hang-upgrade:connections=1", {}, measured_from::spawn,
   {"connect_timeout"}, /*detect_ms_min=*/1000},
  {"stall-tls",
   "fault stall-tls: a TLS handshake that never completes is cut at the connect deadline",
   "f-stall", "stall-tls:connections=1", {}, measured_from::spawn,
   {"connect_timeout"}, /*detect_ms_min=*/1000},
  // Recovery waits for Retry-After (2 s) after the reject; allow for the polling and load
  // that can delay seeing the reject.
  {"reject-429-retry-after-2s",
   "fault reject 429 with Retry-After: the next attempt waits at least Retry-After",
   "f-reject", "reject:status=429,retry_after=2,connections=1", {}, measured_from::spawn,
   {"429"}, -1, -1, /*wait_ms_min=*/1500},
  // 50 frames at 200/s: the fault strikes about 250 ms after the first frame.
  {"reset-after",
   "fault reset after N frames: the reset is seen at once and the child reconnects after "
   "backoff",
   "f-reset", "reset-after:frames=50,connections=1", {}, measured_from::fault_estimate,
   {}, -1, -1, -1, /*frames_min=*/50},
  {"close-after-1011",
   "fault close after N frames with code 1011: the code is reported and the child reconnects",
   "f-close", "close-after:frames=50,code=1011,connections=1", {},
   measured_from::fault_estimate, {"1011"}},
  // 1 s of silence, minus the 250 ms estimate's error; detected within 1.1 s (+ polling
  // and load).
  {"silent-after",
   "fault silent after N frames (half-open): the silence watchdog restarts the child",
   "f-silent", "silent-after:frames=50,connections=1", {}, measured_from::fault_estimate,
   {"silence_timeout"}, /*detect_ms_min=*/800, /*detect_ms_max=*/2500},
  // Whichever fires first: the connect deadline (1 s) or the watchdog (1 s).
  {"no-first-frame",
   "fault no first frame: the attempt is ended and the next connection streams",
   "f-nofirst", "no-first-frame:connections=1", {}, measured_from::spawn,
   {"connect_timeout", "silence_timeout"}},
  // The sim's no-pong fault stops reading the connection (the only way to keep lws from
  // answering pings), so it would never read a SUBSCRIBE: these two rows use one socket
  // per stream. The ping check is the transport's, the same on a shared socket.
  {"no-pong-silent",
   "fault no pong: the dead peer is dropped and the child reconnects",
   "f-nopong", "no-pong:silent=1,connections=1", {"--streams-per-connection", "1"},
   measured_from::spawn, {}},
  // Silence never fires here (trades flow); only the ping/pong check can: ping after 1 s,
  // no pong for 1 s more (minus observation lag).
  {"no-pong-with-trades",
   "fault no pong while trades flow: the ping timeout drops the connection and the child "
   "reconnects",
   "f-nopong-flow", "no-pong:connections=1",
   {"--silence-timeout-s", "30", "--streams-per-connection", "1"},
   measured_from::first_streaming, {"closed"}, /*detect_ms_min=*/1200},
};
// clang-format on

} // namespace

TEST_CASE(
  "every recovery fault: streamvisor detects it, restarts the child within the "
  "row's bounds and streams again, answering /status throughout",
  "[integration][faults]") {
  for (const auto& row : recovery_cases) {
    DYNAMIC_SECTION(row.invariant) {
      auto dir = scratch_dir(row.dir);
      make_certificate(dir);
      sim_process sim{dir, {"--rate", "200", "--fault", row.fault_spec}};
      auto t = watch_recovery(dir, sim, row.extra_args);
      auto origin = t.started;
      if (row.origin != measured_from::spawn)
        REQUIRE(t.first_streaming != test_clock::time_point{});
      if (row.origin == measured_from::fault_estimate)
        origin = t.first_streaming + 250ms;
      else if (row.origin == measured_from::first_streaming)
        origin = t.first_streaming;
      if (!row.last_error_any.empty())
        CHECK_THAT(t.last.last_error, contains_any_of(row.last_error_any));
      auto detect = ms(t.detected - origin);
      if (row.detect_ms_min >= 0)
        CHECK(detect >= row.detect_ms_min);
      if (row.detect_ms_max >= 0)
        CHECK(detect <= row.detect_ms_max);
      if (row.wait_ms_min >= 0)
        CHECK(ms(t.recovered - t.detected) >= row.wait_ms_min);
      if (row.frames_min > 0)
        CHECK(t.last.frames >= row.frames_min);
      report(row.fault, detect, ms(t.recovered - origin));
    }
  }
}

TEST_CASE("fault malformed frames: counted, never a restart, no trade lost",
          "[integration][faults]") {
  auto dir = scratch_dir("f-malformed");
  make_certificate(dir);
  sim_process sim{
    dir, {"--rate", "0", "--count", "3000", "--fault", "malformed-every:k=10"}};
  auto args = fast_policy;
  args[5]
    = "3"; // --silence-timeout-s 3: the sim goes quiet after its 3000 trades
  streamvisor_process sv{dir, sim.port, args};
  REQUIRE(eventually(
    [&] {
      auto r = sv.get("/symbols/BTCUSDT/metrics");
      return r.status == 200 && parse(r.body)["trades"].GetUint64() == 3000;
    },
    30s));
  auto v = view(sv);
  CHECK(v.restarts == 0);
  CHECK(v.attempts == 1);
  CHECK(v.decode_errors == 333); // every 10th of 3333 frames
  auto m = parse(sv.get("/symbols/BTCUSDT/metrics").body);
  CHECK(m["last_trade_id"].GetUint64() - m["first_trade_id"].GetUint64() + 1
        == 3000);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE(
  "fault serverShutdown: the connection rotates without a restart, a gap "
  "or a duplicate",
  "[integration][faults]") {
  auto dir = scratch_dir("f-shutdown");
  make_certificate(dir);
  sim_process sim{
    dir,
    {"--rate", "200", "--fault",
     "server-shutdown-after:frames=100,grace_ms=1000,connections=1"}};
  streamvisor_process sv{dir, sim.port, fast_policy};
  REQUIRE(
    eventually([&] { return sv.get("/status").status == 200; }, 10s, 5ms));
  // The old connection closes 1 s after the event (about 1.5 s in); wait past it.
  REQUIRE(eventually(
    [&] {
      auto s = parse(http_get(sim.port, "/sim/stats", true, 5s).body);
      // The market exists once streamvisor's first subscription reached it.
      if (!s.HasMember("symbols") || !s["symbols"].HasMember("BTCUSDT"))
        return false;
      const auto& btc = s["symbols"]["BTCUSDT"];
      return btc["connections_total"].GetUint64() == 2
             && btc["connections"].GetUint64() == 1;
    },
    20s));
  std::this_thread::sleep_for(500ms);
  auto v = view(sv);
  CHECK(v.state == "streaming");
  CHECK(v.attempts == 1);
  CHECK(v.restarts == 0);
  CHECK(v.decode_errors == 0);
  auto m = parse(sv.get("/symbols/BTCUSDT/metrics").body);
  CHECK(m["duplicates"].GetUint64() == 0);
  CHECK(m["last_trade_id"].GetUint64() - m["first_trade_id"].GetUint64() + 1
        == m["trades"].GetUint64());
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE(
  "against a server that accepts TCP and never answers, streamvisor "
  "retries about every deadline plus backoff, keeps answering /status and "
  "exits 0 on SIGTERM within the shutdown deadline",
  "[integration][faults]") {
  auto dir = scratch_dir("f-hang-forever");
  make_certificate(dir);
  sim_process sim{dir, {"--fault", "hang-upgrade"}}; // every connection hangs
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT", "--connect-timeout-ms",
                          "1500", "--backoff-initial-ms", "100",
                          "--backoff-max-ms", "500", "--shutdown-timeout-ms",
                          "3000"}};
  REQUIRE(
    eventually([&] { return sv.get("/status").status == 200; }, 10s, 5ms));
  auto t0 = test_clock::now();
  // 7 s of polling, every 20 ms: the API never fails and attempts keep coming.
  std::uint64_t attempts = 0;
  long worst_ms = 0;
  while (test_clock::now() - t0 < 7s) {
    auto q0 = test_clock::now();
    attempts = view(sv).attempts;
    worst_ms = std::max(worst_ms, ms(test_clock::now() - q0));
    std::this_thread::sleep_for(20ms);
  }
  // Each attempt costs 1.5 s plus 0..0.5 s of backoff: 4 or 5 attempts in 7 s.
  CHECK(attempts >= 4);
  CHECK(attempts <= 6);
  CHECK(worst_ms < 1000);
  std::printf("fault=hang-forever attempts_in_7s=%llu worst_status_ms=%ld\n",
              static_cast<unsigned long long>(attempts), worst_ms);
  auto s0 = test_clock::now();
  CHECK(sv.child->stop(SIGTERM, 5s) == 0);
  CHECK(ms(test_clock::now() - s0) < 3000);
}
