// fake_rest_client: a rest_client that records GETs and lets a test answer them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/send.hpp>

#include "actors/seams/rest_client.hpp"
#include "messages/rest.hpp"

namespace sv::test {

/// Records every request; the test plays the exchange by answering on the test thread.
class fake_rest_client : public rest_client {
public:
  struct get_call {
    std::uint64_t id = 0;
    rest_target target;
  };

  void get(std::uint64_t id, const rest_target& target,
           const caf::actor& listener) override {
    calls.push_back(get_call{id, target});
    listeners[id] = listener;
  }

  /// Answers request `id`.
  void answer(std::uint64_t id, std::int32_t status, std::string body,
              std::int32_t retry_after_s = -1, std::int32_t used_weight = -1) {
    rest_response r;
    r.req_id = id;
    r.status = status;
    r.body = std::move(body);
    r.retry_after_s = retry_after_s;
    r.used_weight_1m = used_weight;
    caf::anon_send(listeners.at(id), std::move(r));
  }

  /// Answers the newest request.
  void answer_last(std::int32_t status, std::string body,
                   std::int32_t retry_after_s = -1,
                   std::int32_t used_weight = -1) {
    answer(calls.back().id, status, std::move(body), retry_after_s,
           used_weight);
  }

  void release() {
    listeners.clear();
  }

  std::vector<get_call> calls;
  std::map<std::uint64_t, caf::actor> listeners;
};

/// A REST aggTrades body with ids [from, to] (price 100, qty 1, alternating sides).
inline std::string agg_trades_body(std::uint64_t from, std::uint64_t to,
                                   std::int64_t time_ms = 1700000000000) {
  std::string body = "[";
  for (auto id = from; id <= to; ++id) {
    if (id != from)
      body += ",";
    body += R"({"a":)" + std::to_string(id)
            + R"(,"p":"100.00000000","q":"1.00000000","f":)"
            + std::to_string(id) + R"(,"l":)" + std::to_string(id) + R"(,"T":)"
            + std::to_string(time_ms) + R"(,"m":)"
            + (id % 2 == 0 ? "true" : "false") + R"(,"M":true})";
  }
  return body + "]";
}

} // namespace sv::test
