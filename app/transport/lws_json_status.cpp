// lws_json_status: JSON status answers, and libwebsockets' error pages as JSON (see the header).
#include "app/transport/lws_json_status.hpp"

#include <array>
#include <cstring>
#include <iterator>
#include <string>

#include <libwebsockets.h>

namespace sv {

int lws_write_json_status(lws* wsi, unsigned status, std::string_view body) {
  std::array<unsigned char, LWS_PRE + 1024> buf{};
  auto* start = &buf[LWS_PRE];
  auto* p = start;
  auto* end = &buf.back();
  if (lws_add_http_common_headers(wsi, status, "application/json", body.size(),
                                  &p, end)
        != 0
      || lws_finalize_http_header(wsi, &p, end) != 0)
    return -1;
  auto head = static_cast<std::size_t>(std::distance(start, p));
  if (head + body.size() > buf.size() - LWS_PRE)
    return -1;
  std::memcpy(&buf.at(LWS_PRE + head), body.data(), body.size());
  auto size = head + body.size();
  if (lws_write(wsi, start, size, LWS_WRITE_HTTP_HEADERS)
      != static_cast<int>(size))
    return -1;
  return 0;
}

} // namespace sv

// Replaces libwebsockets' definition for its own internal calls (see the header). Same
// contract: writes the status and a body; 0 on success, non-zero if it could not.
// NOLINTNEXTLINE(readability-identifier-naming): the C API's name
extern "C" int lws_return_http_status(struct lws* wsi, unsigned int code,
                                      const char* /*html_body*/) {
  // The only callers left are lws's parser and request checks: what they refuse
  // is a malformed request.
  if (code == HTTP_STATUS_FORBIDDEN) {
    static constexpr std::string_view body
      = R"({"error":"bad request","detail":"the request line or a header is )"
        R"(not valid HTTP for this server: an unknown method, a bad %-escape, )"
        R"(a path that is not absolute, or not HTTP at all"})";
    return sv::lws_write_json_status(wsi, HTTP_STATUS_BAD_REQUEST, body) == 0
             ? 0
             : 1;
  }
  std::string body = R"({"error":"http )" + std::to_string(code) + R"("})";
  return sv::lws_write_json_status(wsi, code, body) == 0 ? 0 : 1;
}
