// nats_calls: small libnats 3.4.1 helpers shared by the publisher and the shard member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nats/nats.h>

namespace sv {

/// libnats's text of `s` and of the last error on this thread.
std::string nats_error_text(natsStatus s);

/// The ordinal of `stream`'s last message on `subject` (its Nats-Msg-Id's last
/// number; 0: no message), or nothing if the stream did not answer: then
/// `error` says why.
std::optional<std::uint64_t>
last_ordinal_on(jsCtx* js, const std::string& stream,
                const std::string& subject, std::string& error);

} // namespace sv
