// backfill_bench: how long the real backfill actor takes to fill a gap of --gap trades from REST.
//
// Wires what app/main.cpp wires for backfill: the lws transport (as rest_client) and one
// backfill_actor with the default weight budget (6000/min, 10 requests/s), on the real
// CAF scheduler. The main thread plays the aggregator: it asks for ids
// [--from-id, --from-id + --gap - 1] and receives the pages, checking that the ids arrive
// ascending with none missing or repeated. Prints ONE line of key=value results: the
// time from the request to the last page, requests made, trades/s. Point it at a
// streamvisor-sim that has traded past the gap (see docs/performance.md for the command).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/backfill_actor.hpp"
#include "actors/core/log.hpp"
#include "app/scheduler_tuning.hpp"
#include "app/settings/config.hpp"
#include "app/transport/lws_client.hpp"
#include "app/transport/lws_logging.hpp"

int main(int argc, char** argv) {
  std::string rest_endpoint;
  std::string symbol = "BTCUSDT";
  std::uint64_t from_id = 1'000'000; // streamvisor-sim's default --first-id
  std::uint64_t gap = 10'000;
  std::string ca_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rest-endpoint") == 0)
      rest_endpoint = argv[i + 1];
    else if (std::strcmp(argv[i], "--symbol") == 0)
      symbol = argv[i + 1];
    else if (std::strcmp(argv[i], "--from-id") == 0)
      from_id = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--ca-file") == 0)
      ca_file = argv[i + 1];
    else if (std::strcmp(argv[i], "--gap") == 0)
      gap = std::strtoull(argv[i + 1], nullptr, 10);
    else
      rest_endpoint.clear();
  }
  if (rest_endpoint.empty() || argc % 2 == 0 || gap == 0) {
    std::fprintf(
      stderr, "usage: backfill_bench --rest-endpoint http(s)://127.0.0.1:PORT "
              "[--ca-file PEM] [--symbol S] [--from-id N] [--gap N]\n");
    return 2;
  }
  auto parsed = sv::parse_endpoint(rest_endpoint, "--rest-endpoint");
  if (auto* err = std::get_if<sv::config_error>(&parsed)) {
    std::fprintf(stderr, "%s\n", err->message.c_str());
    return 2;
  }
  auto ep = std::get<sv::endpoint>(parsed);
  sv::set_log_level(sv::log_level::warn);
  sv::route_lws_logs(false);

  caf::actor_system_config sys_cfg;
  sv::apply_scheduler_defaults(sys_cfg);
  caf::actor_system sys{sys_cfg};
  sv::lws_client_options ws_opts;
  ws_opts.ca_file
    = ca_file; // https: the simulator's certificate, verified as always
  auto ws = std::make_unique<sv::lws_client>(ws_opts);
  sv::backfill_config cfg;
  cfg.server = ep;
  auto backfill = sys.spawn(sv::backfill_actor, cfg,
                            static_cast<sv::rest_client*>(ws.get()));

  int exit_code = 0;
  std::uint64_t received = 0;
  std::uint64_t pages = 0;
  auto to_id = from_id + gap - 1;
  {
    caf::scoped_actor self{sys};
    auto t0 = std::chrono::steady_clock::now();
    self->send(backfill, sv::backfill_request{symbol, from_id, to_id});
    auto next = from_id;
    bool done = false;
    while (!done) {
      self->receive(
        [&](sv::backfill_batch& b) {
          ++pages;
          for (auto& x : b.trades) {
            if (x.agg_id != next) {
              std::fprintf(stderr,
                           "backfill_bench: expected id %llu, got %llu\n",
                           static_cast<unsigned long long>(next),
                           static_cast<unsigned long long>(x.agg_id));
              exit_code = 1;
              done = true;
              return;
            }
            ++next;
            ++received;
          }
          done = next > to_id;
        },
        [&](sv::backfill_failed& f) {
          std::fprintf(stderr, "backfill_bench: failed: %s\n",
                       f.reason.c_str());
          exit_code = 1;
          done = true;
        },
        caf::after(std::chrono::seconds(120)) >>
          [&] {
            std::fprintf(stderr, "backfill_bench: timeout\n");
            exit_code = 1;
            done = true;
          });
    }
    auto seconds
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
    std::printf(
      "gap=%llu trades=%llu pages=%llu seconds=%.3f trades_per_s=%.0f ok=%d\n",
      static_cast<unsigned long long>(gap),
      static_cast<unsigned long long>(received),
      static_cast<unsigned long long>(pages), seconds,
      static_cast<double>(received) / seconds, exit_code == 0 ? 1 : 0);
  }
  caf::anon_send_exit(backfill, caf::exit_reason::user_shutdown);
  backfill = nullptr;
  sys.await_all_actors_done();
  ws->stop();
  return exit_code;
}
