// lws_counter_source: the libwebsockets transports' counters as the api actor's source.
#pragma once

#include "actors/seams/transport_counter_source.hpp"
#include "app/transport/lws_client.hpp"
#include "app/transport/lws_http_server.hpp"

namespace sv {

/// Reads lws_client::stats() and lws_http_server::stats() (atomics: any thread).
/// Both must outlive it.
class lws_counter_source final : public transport_counter_source {
public:
  lws_counter_source(const lws_client& client, const lws_http_server& server)
    : client_(client), server_(server) {
  }

  [[nodiscard]] transport_counters counters() const override {
    auto c = client_.stats();
    auto s = server_.stats();
    transport_counters result;
    result.binary_frames = c.binary_frames;
    result.oversize_messages = c.oversize_messages;
    result.invalid_utf8_messages = c.invalid_utf8_messages;
    result.oversize_rest_bodies = c.oversize_rest_bodies;
    result.api_clients = s.clients;
    result.api_refused = s.refused;
    result.api_header_timeouts = s.header_timeouts;
    result.api_accept_failures = s.accept_failures;
    return result;
  }

private:
  const lws_client& client_;
  const lws_http_server& server_;
};

} // namespace sv
