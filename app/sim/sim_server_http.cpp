// sim_server HTTP: REST requests (weight, REST faults, handle_rest) and their chunked replies.
#include "app/sim/sim_server_impl.hpp"

#include <algorithm>

#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"

namespace sv {

using namespace sim_detail;

namespace {

/// HTTP body bytes written per HTTP_WRITEABLE.
constexpr std::size_t http_chunk = 16384;

} // namespace

std::string sim_server::impl::query_string(lws* wsi) {
  std::string query;
  char frag[1024];
  for (int i = 0;; ++i) {
    int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                  WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0)
      break;
    if (!query.empty())
      query.push_back('&');
    query.append(frag, static_cast<std::size_t>(n));
  }
  return query;
}

/// A REST fault for an /api/v3/* request with `args`, or nullptr; counted.
const fault_spec* sim_server::impl::take_rest_fault(const query_args& args) {
  if (faults.empty())
    return nullptr;
  std::string symbol;
  for (const auto& [k, v] : args)
    if (k == "symbol")
      symbol = upper_symbol(v); // the last occurrence wins, as in handle_rest
  const auto* f = faults.take_rest(symbol);
  if (f) {
    SV_INFO("sim", symbol.empty() ? "-" : symbol.c_str(), "fault_applied",
            "fault=\"%s\" rest_rejected=%lld", f->text.c_str(),
            static_cast<long long>(ex.rest_rejected() + 1));
  }
  return f;
}

int sim_server::impl::http_request(lws* wsi, const char* in, size_t len) {
  auto& s = fresh_session(wsi);
  http_reply reply;
  std::string path(in ? in : "", in ? len : 0);
  auto args = parse_query(query_string(wsi));
  bool api = is_rest_api_path(path);
  auto now_ms = steady_us() / 1000;
  // Every /api/v3/* request costs its weight and is counted, the rejected too.
  auto used = api ? weights.add(now_ms, rest_request_weight(path, args))
                  : weights.used(now_ms);
  const fault_spec* f = api ? take_rest_fault(args) : nullptr;
  if (api)
    ex.count_rest_request(f != nullptr);
  if (f)
    reply = rest_fault_reply(*f);
  else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
    reply = {405, "{\"code\":-1,\"msg\":\"Only GET is supported.\"}", -1};
  else
    reply = handle_rest(ex, path, args);
  SV_DEBUG("sim", "-", "http", "path=\"%s\" status=%u bytes=%zu weight=%lld",
           path.c_str(), reply.status, reply.body.size(),
           static_cast<long long>(used));
  unsigned char headers[LWS_PRE + 512];
  unsigned char* start = headers + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = headers + sizeof(headers) - 1;
  auto weight = std::to_string(used);
  auto retry = std::to_string(reply.retry_after_s);
  if (lws_add_http_common_headers(wsi, reply.status,
                                  "application/json;charset=UTF-8",
                                  reply.body.size(), &p, end)
      || lws_add_http_header_by_name(
        wsi, reinterpret_cast<const unsigned char*>("X-MBX-USED-WEIGHT-1M:"),
        reinterpret_cast<const unsigned char*>(weight.data()),
        static_cast<int>(weight.size()), &p, end)
      || (reply.retry_after_s >= 0
          && lws_add_http_header_by_token(
            wsi, WSI_TOKEN_HTTP_RETRY_AFTER,
            reinterpret_cast<const unsigned char*>(retry.data()),
            static_cast<int>(retry.size()), &p, end))
      || lws_finalize_write_http_header(wsi, start, &p, end))
    return 1;
  s.http_body = std::move(reply.body);
  s.http_sent = 0;
  s.http_pending = true;
  lws_callback_on_writable(wsi);
  return 0;
}

int sim_server::impl::http_writeable(lws* wsi) {
  auto* s = find_session(wsi);
  if (!s || !s->http_pending)
    return 0;
  while (!lws_send_pipe_choked(wsi)) {
    auto chunk = std::min(http_chunk, s->http_body.size() - s->http_sent);
    bool final = s->http_sent + chunk == s->http_body.size();
    scratch.assign(LWS_PRE, '\0');
    scratch.append(s->http_body, s->http_sent, chunk);
    if (!write_scratch(wsi, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP))
      return -1;
    s->http_sent += chunk;
    if (final) {
      s->http_pending = false;
      s->http_body.clear();
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
  }
  lws_callback_on_writable(wsi);
  return 0;
}

} // namespace sv
