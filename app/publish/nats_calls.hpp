// nats_calls: small libnats 3.4.1 helpers shared by the publisher and the shard member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nats/nats.h>

namespace sv {

/// libnats's text of `s` and of the last error on this thread.
std::string nats_error_text(natsStatus s);

/// Creates `opts` with the server `url` and the connection `name` that
/// nats-server shows; NATS_OK, or the first failure (`opts` may then be set and
/// is the caller's to destroy).
natsStatus create_nats_options(natsOptions*& opts, const std::string& url,
                               const char* name);

/// Destroys `*p` with `destroy` if it is set, and clears it: the libnats
/// handles a connection's owner keeps (options, connection, JetStream context,
/// key-value store) are closed in one line each.
template <class T>
void destroy_and_clear(T*& p, void (*destroy)(T*)) {
  if (p != nullptr)
    destroy(p);
  p = nullptr;
}

/// The ordinal of `stream`'s last message on `subject` (its Nats-Msg-Id's last
/// number; 0: no message), or nothing if the stream did not answer: then
/// `error` says why.
std::optional<std::uint64_t>
last_ordinal_on(jsCtx* js, const std::string& stream,
                const std::string& subject, std::string& error);

} // namespace sv
