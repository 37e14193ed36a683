// endpoint: where a server is: scheme (TLS or not), host, port and base path.
#pragma once

#include <cstdint>
#include <string>

namespace sv {

/// A parsed `scheme://host:port[/path]` URL; the one type for the stream and REST
/// servers in settings, supervisor_config, backfill_config, ws_target and rest_target.
struct endpoint {
  bool tls = true;        ///< wss/https (true) or ws/http (false)
  std::string host;       ///< host name or IP literal (IPv6 without brackets)
  std::uint16_t port = 0; ///< explicit port, or the scheme's default (443 / 80)
  std::string base_path;  ///< path prefix without trailing '/', usually empty
};

} // namespace sv
