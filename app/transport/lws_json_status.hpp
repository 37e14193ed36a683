// lws_json_status: every status the API's HTTP server writes outside a normal answer is
// JSON, including the error pages libwebsockets 4.1.6 would write as HTML.
#pragma once

#include <string_view>

struct lws;

namespace sv {

/// Writes a complete HTTP/1.1 answer on server connection `wsi`: status line,
/// `content-type: application/json`, `content-length`, and `body`, in one write (as
/// lws_return_http_status does for HTTP/1). Returns 0 if written, -1 if the answer
/// does not fit its buffer (about 1 KiB) or the write failed. lws service thread.
int lws_write_json_status(lws* wsi, unsigned status, std::string_view body);

} // namespace sv

// libwebsockets' own error pages. lws 4.1.6 answers a request line or header it
// refuses (an unknown method such as TRACE, a bad %-escape, a path that is not
// absolute, bytes that are not HTTP at all such as a TLS ClientHello) by calling its
// exported lws_return_http_status(), which writes an HTML page, before any callback
// of ours runs. Its internal calls go through the PLT, so the definition in
// lws_json_status.cpp, linked into every program that links sv_transport, replaces
// it: those answers become JSON (403 "forbidden" from the parser is answered as 400
// "bad request", which is what it means here). lws_http_server_test checks each of
// these inputs, so a libwebsockets that stopped calling through the PLT would fail
// there, not silently.
