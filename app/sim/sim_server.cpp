// sim_server: the simulator's lws plumbing (context, protocol callback, dispatch, session table).
#include "app/sim/sim_server.hpp"

#include <cstdint>
#include <cstring>

#include "actors/core/log.hpp"
#include "app/sim/sim_server_impl.hpp"

namespace sv {

using namespace sim_detail;

namespace {

void lws_log_emit(int level, const char* line) {
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  // lws 4.1.6 logs this at error level on every lws_adopt_socket_vhost_readbuf
  // (a plain hang-upgrade handing a connection back); it is not an error.
  if (text.find("adopt_socket_readbuf: calling service") != std::string::npos)
    return;
  if (level & LLL_ERR)
    SV_ERROR("sim", "-", "lws", "msg=\"%s\"", text.c_str());
  else
    SV_WARN("sim", "-", "lws", "msg=\"%s\"", text.c_str());
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
             size_t len);

const lws_protocols protocols[] = {
  // One protocol serves HTTP and WebSocket: clients send no Sec-WebSocket-Protocol,
  // so lws binds upgrades to protocol 0.
  {"sim", callback, 0, 4096, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

} // namespace

sim_detail::session& sim_server::impl::fresh_session(lws* wsi) {
  release(wsi);
  auto& s = sessions[wsi];
  s = std::make_unique<session>();
  std::memset(&s->timer.sul, 0, sizeof(s->timer.sul));
  s->timer.owner = this;
  s->timer.wsi = wsi;
  return *s;
}

sim_detail::session* sim_server::impl::find_session(lws* wsi) {
  auto i = sessions.find(wsi);
  return i == sessions.end() ? nullptr : i->second.get();
}

int sim_server::impl::dispatch(lws* wsi, lws_callback_reasons reason,
                               void* user, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
      // `in` carries the accepted descriptor (roles/listen/ops-listen.c).
      return filter_accept(
               static_cast<int>(reinterpret_cast<std::intptr_t>(in)))
               ? 1
               : 0;
    case LWS_CALLBACK_RAW_RX:
      return jailed_rx(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_RAW_ADOPT:
    case LWS_CALLBACK_RAW_WRITEABLE:
      return 0;
    case LWS_CALLBACK_RAW_CLOSE:
      release(wsi);
      return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return confirm_upgrade(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      established(wsi);
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return stream_writeable(wsi);
    case LWS_CALLBACK_TIMER:
      lws_callback_on_writable(wsi); // a replay line became due
      return 0;
    case LWS_CALLBACK_RECEIVE:
      return receive(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_RECEIVE_PONG:
      return receive_pong(wsi);
    case LWS_CALLBACK_HTTP:
      return http_request(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return http_writeable(wsi);
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
      release(wsi);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

namespace {

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
             size_t len) {
  auto* ctx = lws_get_context(wsi);
  auto* self = ctx ? static_cast<sim_server::impl*>(lws_context_user(ctx))
                   : nullptr;
  if (!self)
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  return self->dispatch(wsi, reason, user, in, len);
}

} // namespace

sim_server::sim_server(const sim_options& options, sim_exchange& ex,
                       std::vector<std::string> replay_lines)
  : impl_(std::make_unique<impl>(options, ex, std::move(replay_lines))) {
}

sim_server::~sim_server() {
  if (impl_->ctx) {
    // Closes every connection (CLOSED / WSI_DESTROY run here, on this thread)
    // before the clocks whose timers lws still lists are freed with impl_.
    lws_context_destroy(impl_->ctx);
    impl_->ctx = nullptr;
  }
}

bool sim_server::start() {
  auto& o = impl_->options;
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = o.port;
  info.iface = o.host.c_str();
  info.protocols = protocols;
  info.user = impl_.get();
  info.vhost_name = "default";
  if (o.host != "::1")
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (tls()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = o.cert_file.c_str();
    info.ssl_private_key_filepath = o.key_file.c_str();
  }
  impl_->ctx = lws_create_context(&info);
  if (!impl_->ctx) {
    SV_ERROR("sim", "-", "listen_failed",
             "host=%s port=%d tls=%d hint=\"check the port is free and the "
             "certificate/key are readable PEM files\"",
             o.host.c_str(), o.port, tls() ? 1 : 0);
    return false;
  }
  impl_->vhost = lws_get_vhost_by_name(impl_->ctx, "default");
  impl_->port = lws_get_vhost_listen_port(impl_->vhost);
  for (auto& [name, market] : impl_->ex.markets())
    impl_->start_depth_clock(*market);
  SV_INFO("sim", "-", "listening",
          "host=%s port=%d tls=%d rate=%lld count=%lld replay=%zu",
          o.host.c_str(), impl_->port, tls() ? 1 : 0,
          static_cast<long long>(o.rate), static_cast<long long>(o.count),
          impl_->replay.size());
  return true;
}

int sim_server::port() const noexcept {
  return impl_->port;
}

bool sim_server::tls() const noexcept {
  return impl_->tls();
}

void sim_server::run(const std::atomic<bool>& stop) {
  while (!stop.load())
    if (lws_service(impl_->ctx, 0) < 0)
      break;
}

lws_context* sim_server::context() const noexcept {
  return impl_->ctx;
}

} // namespace sv
