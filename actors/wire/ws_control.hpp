// ws_control: Binance's WebSocket control messages (SUBSCRIBE, UNSUBSCRIBE,
// LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY) and their answers, both ways.
//
// A client (the socket pool) encodes requests and reads answers; a server
// (streamvisor-sim, the Binance-compatible mirror) reads requests and encodes answers.
// Shapes follow Binance's web-socket-streams.md and replies observed from Binance
// (../shared/fixtures/binance/ws-control-messages.json, error-responses.json):
//   {"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1}  ->  {"result":null,"id":1}
//   {"method":"LIST_SUBSCRIPTIONS","id":3}                       ->  {"result":["btcusdt@aggTrade"],"id":3}
//   a bad request                               ->  {"error":{"code":2,"msg":"Invalid request: ..."},"id":N}
//   not JSON                                    ->  {"error":{"code":3,"msg":"Invalid JSON: ..."},"id":null}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

enum class control_method : std::uint8_t {
  subscribe,
  unsubscribe,
  list_subscriptions,
  set_property,
  get_property,
};

/// "SUBSCRIBE", "UNSUBSCRIBE", ... as on the wire.
const char* to_string(control_method x);

/// One control message. `params` are stream names for SUBSCRIBE and UNSUBSCRIBE
/// ("btcusdt@aggTrade"), the property name for GET_PROPERTY, and name and value
/// (as JSON text, "true"/"false") for SET_PROPERTY.
struct control_request {
  control_method method = control_method::subscribe;
  std::vector<std::string> params;
  std::uint64_t id = 0;
};

/// `{"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1}` (LIST_SUBSCRIPTIONS
/// without params). Stream names are written as given, JSON-escaped.
std::string encode_control_request(const control_request& x);

/// Binance's error answer to a control message: code 0 unknown property, 1 invalid
/// value type, 2 invalid request, 3 invalid JSON. `id` is empty when the request's
/// id could not be read (the answer then says "id":null).
struct control_error {
  int code = 2;
  std::string msg;
  std::optional<std::uint64_t> id;
};

/// Reads a text frame a client sent. Returns the request, or sets `error` to the
/// answer Binance gives for it (and returns nothing). Never throws.
std::optional<control_request> decode_control_request(std::string_view frame,
                                                      control_error& error);

/// `{"result":null,"id":N}`: the answer to SUBSCRIBE, UNSUBSCRIBE and SET_PROPERTY.
std::string encode_result_null(std::uint64_t id);

/// `{"result":["a","b"],"id":N}`: the answer to LIST_SUBSCRIPTIONS.
std::string encode_result_list(const std::vector<std::string>& names,
                               std::uint64_t id);

/// `{"result":true,"id":N}`: the answer to GET_PROPERTY.
std::string encode_result_bool(bool value, std::uint64_t id);

/// `{"error":{"code":C,"msg":"..."},"id":N|null}`.
std::string encode_control_error(const control_error& x);

/// Binance's `serverShutdown` event stamped `event_ms` (Unix ms): on a raw stream
/// `{"e":"serverShutdown","E":ms}`, on a combined one wrapped as the stream
/// "!serverShutdown". The simulator sends it; the socket pool hands it to each
/// stream of a socket it drains at its age, so both rotations look the same.
std::string encode_server_shutdown(std::int64_t event_ms, bool combined);

/// A server's answer to a control message, as a client reads it.
struct control_answer {
  std::uint64_t id = 0;
  bool ok = false;                 ///< "result" (any value) rather than "error"
  std::vector<std::string> result; ///< the names of a LIST_SUBSCRIPTIONS answer
  int error_code = 0;              ///< with !ok
  std::string error_msg;           ///< with !ok
};

/// True when `frame` is an answer to a control message (an object with "id" and
/// "result" or "error"); fills `out`. False, quickly, for data frames (which start
/// `{"stream":` or `{"e":`) and for anything else, which the caller counts as it
/// counts undecodable frames. An error answer with "id":null is returned with id 0.
bool decode_control_answer(std::string_view frame, control_answer& out);

/// The stream name of a combined-stream frame, `{"stream":"<name>","data":{...}}`,
/// read from the fixed prefix Binance writes (no JSON parse: the decoder that gets
/// the frame checks the rest). Empty when the frame does not start that way or the
/// name holds a quote or backslash.
std::string_view combined_stream_name(std::string_view frame);

} // namespace sv
