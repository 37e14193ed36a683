// sim_server control: the client's SUBSCRIBE family on a stream connection, answered
// as Binance answers it, and Binance's limits on what a client may send.
#include "app/sim/sim_server_impl.hpp"

#include <algorithm>

#include "actors/core/log.hpp"
#include "app/sim/exchange/depth_json.hpp"
#include "app/sim/stream_path.hpp"

namespace sv {

using namespace sim_detail;

namespace {

/// Binance: "WebSocket connections have a limit of 5 incoming messages per second"
/// (web-socket-streams.md); more closes the connection, 1008 "Too many requests"
/// (observed, ../shared/fixtures/binance/error-responses.json). Counted: every
/// text or binary message and every PONG the client sends (lws answers the
/// client's PINGs itself and does not report them).
constexpr std::size_t incoming_per_second_max = 5;

/// Binance: "A single connection can listen to a maximum of 1024 streams". Binance
/// documents the limit, not what happens past it: the sim closes with 1008.
constexpr std::size_t streams_per_connection_max = 1024;

/// A control message is a few KB at most (1024 stream names of ~20 bytes); a
/// longer message is closed with 1009 (message too big).
constexpr std::size_t message_bytes_max = std::size_t{64} * 1024;

bool same_stream(const stream_ref& a, const stream_ref& b) {
  return a.symbol == b.symbol && a.kind == b.kind;
}

} // namespace

int sim_server::impl::receive(lws* wsi, const char* in, size_t len) {
  auto* s = find_session(wsi);
  if (s == nullptr || !s->is_stream)
    return 0;
  // An oversize message is read to its end and then refused: closing inside a
  // frame is where libwebsockets 4.1 mishandles its receive buffer (issue 13).
  s->rx_oversize = s->rx_oversize || s->rx.size() + len > message_bytes_max;
  if (!s->rx_oversize)
    s->rx.append(in, len);
  if (lws_is_final_fragment(wsi) == 0 || lws_remaining_packet_payload(wsi) > 0)
    return 0;
  if (s->rx_oversize)
    return close_with(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                      "message too big");
  std::string text;
  text.swap(s->rx);
  if (int r = count_incoming(wsi, *s); r != 0)
    return r;
  return control(wsi, *s, text);
}

int sim_server::impl::receive_pong(lws* wsi) {
  auto* s = find_session(wsi);
  return s != nullptr && s->is_stream ? count_incoming(wsi, *s) : 0;
}

/// Counts one message from the client; closes past Binance's rate (returns -1).
int sim_server::impl::count_incoming(lws* wsi, session& s) {
  // The limit counts messages in any one-second window.
  auto now = steady_us();
  s.rx_us.push_back(now);
  while (!s.rx_us.empty() && s.rx_us.front() <= now - us_per_s)
    s.rx_us.pop_front();
  if (s.rx_us.size() <= incoming_per_second_max)
    return 0;
  SV_WARN("sim", "-", "client_rate_exceeded", "messages_in_1s=%zu limit=%zu",
          s.rx_us.size(), incoming_per_second_max);
  return close_with(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                    "Too many requests");
}

int sim_server::impl::control(lws* wsi, session& s, std::string_view text) {
  control_error error;
  auto request = decode_control_request(text, error);
  if (!request) {
    answer(wsi, s, encode_control_error(error));
    return 0;
  }
  switch (request->method) {
    case control_method::subscribe:
      return subscribe(wsi, s, *request);
    case control_method::unsubscribe:
      unsubscribe(wsi, s, *request);
      answer(wsi, s, encode_result_null(request->id));
      return 0;
    case control_method::list_subscriptions:
      answer(wsi, s, encode_result_list(subscription_names(s), request->id));
      return 0;
    case control_method::set_property:
      s.combined = request->params.at(1) == "true";
      answer(wsi, s, encode_result_null(request->id));
      return 0;
    case control_method::get_property:
      answer(wsi, s, encode_result_bool(s.combined, request->id));
      return 0;
  }
  return 0;
}

/// All or nothing: an invalid name refuses the whole request ("invalid stream");
/// names already subscribed are no-ops, as on Binance.
int sim_server::impl::subscribe(lws* wsi, session& s,
                                const control_request& request) {
  if (request.params.size() > streams_per_connection_max) {
    answer(wsi, s,
           encode_control_error(
             {2, "Invalid request: too many parameters", request.id}));
    return 0;
  }
  std::vector<stream_ref> fresh;
  auto held = [&](const stream_ref& ref) {
    auto is = [&](const auto& sub) {
      return sub.market->symbol() == ref.symbol;
    };
    return ref.kind == stream_kind::agg_trade
             ? std::any_of(s.subs.begin(), s.subs.end(), is)
             : std::any_of(s.depth_subs.begin(), s.depth_subs.end(), is);
  };
  for (const auto& name : request.params) {
    auto ref = parse_stream_name(name);
    if (!ref) {
      answer(wsi, s,
             encode_control_error(
               {2, "Invalid request: invalid stream", request.id}));
      return 0;
    }
    auto dup = [&](const stream_ref& x) { return same_stream(x, *ref); };
    if (!held(*ref) && std::none_of(fresh.begin(), fresh.end(), dup))
      fresh.push_back(std::move(*ref));
  }
  auto total = s.subs.size() + s.depth_subs.size() + fresh.size();
  if (total > streams_per_connection_max) {
    SV_WARN("sim", "-", "client_streams_exceeded", "streams=%zu limit=%zu",
            total, streams_per_connection_max);
    return close_with(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                      "Too many streams");
  }
  // The answer goes out before the first frame of a new stream (write order).
  answer(wsi, s, encode_result_null(request.id));
  for (const auto& ref : fresh) {
    auto& m = ex.get_or_create(ref.symbol);
    start_depth_clock(m);
    if (ref.kind == stream_kind::agg_trade) {
      s.subs.push_back(subscription{&m, 0});
      open_sub(wsi, s, s.subs.back());
    } else {
      s.depth_subs.push_back(depth_subscription{&m, 0});
      open_depth_sub(wsi, s, s.depth_subs.back());
    }
  }
  if (replaying())
    start_replay(wsi, s);
  return 0;
}

/// Names not subscribed are no-ops; an invalid name is skipped too (Binance
/// answers an UNSUBSCRIBE of a stream it does not serve with result null).
void sim_server::impl::unsubscribe(lws* wsi, session& s,
                                   const control_request& request) {
  for (const auto& name : request.params) {
    auto ref = parse_stream_name(name);
    if (!ref)
      continue;
    auto is = [&](const auto& sub) {
      return sub.market->symbol() == ref->symbol;
    };
    if (ref->kind == stream_kind::agg_trade) {
      auto i = std::find_if(s.subs.begin(), s.subs.end(), is);
      if (i != s.subs.end()) {
        close_sub(wsi, *i);
        s.subs.erase(i);
      }
    } else {
      auto i = std::find_if(s.depth_subs.begin(), s.depth_subs.end(), is);
      if (i != s.depth_subs.end()) {
        close_depth_sub(wsi, *i);
        s.depth_subs.erase(i);
      }
    }
  }
  s.round_robin = 0;
}

std::vector<std::string>
sim_server::impl::subscription_names(const session& s) {
  // The names the session's frames carry in their combined wrapper.
  std::vector<std::string> out;
  for (const auto& sub : s.subs)
    out.push_back(sub.market->stream_name());
  for (const auto& d : s.depth_subs)
    out.push_back(depth_stream_name(d.market->symbol()));
  return out;
}

void sim_server::impl::answer(lws* wsi, session& s, std::string text) {
  s.answers.push_back(std::move(text));
  lws_callback_on_writable(wsi);
}

/// Writes queued answers ahead of data frames; false when the socket failed.
bool sim_server::impl::write_answers(lws* wsi, session& s) {
  while (!s.answers.empty() && lws_send_pipe_choked(wsi) == 0) {
    scratch.assign(LWS_PRE, '\0');
    scratch += s.answers.front();
    s.answers.pop_front();
    if (!write_scratch(wsi, LWS_WRITE_TEXT))
      return false;
  }
  if (!s.answers.empty())
    lws_callback_on_writable(wsi);
  return true;
}

/// drop-subscription: a subscription whose connection has sent its fault's frames
/// is dropped without a word, as if the server had unsubscribed it.
void sim_server::impl::drop_subscriptions_due(lws* wsi, session& s) {
  for (auto i = s.subs.begin(); i != s.subs.end();) {
    if (i->drop_at_frames < 0 || s.frames_sent < i->drop_at_frames) {
      ++i;
      continue;
    }
    SV_INFO("sim", i->market->symbol(), "fault_drop_subscription",
            "frames=%lld sent_to=%lld", static_cast<long long>(s.frames_sent),
            static_cast<long long>(i->next_id - 1));
    close_sub(wsi, *i);
    i = s.subs.erase(i);
  }
}

} // namespace sv
