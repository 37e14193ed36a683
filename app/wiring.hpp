// wiring: pure functions from settings to the config of each actor and of the transports,
// shared by main and the benchmarks.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "actors/aggregator_actor.hpp"
#include "actors/api_actor.hpp"
#include "actors/backfill_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/feed_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/socket_pool_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "app/fd_budget.hpp"
#include "app/publish/nats_publisher.hpp"
#include "app/publish/nats_shard_member.hpp"
#include "app/settings/settings.hpp"
#include "app/transport/lws_client.hpp"
#include "app/transport/lws_http_server.hpp"

namespace sv {

/// One supervised child: (symbol, stream), e.g. ("BTCUSDT", stream_kind::agg_trade).
using child_spec = std::pair<std::string, stream_kind>;

/// The backfill actor's config: the REST endpoint; budgets keep their defaults.
backfill_config backfill_config_for(const settings& cfg);

/// The aggregator limits of `symbol`: history bounds, windows in ms, warm start, and
/// the symbol's large-trade threshold (its override, else the global one).
aggregator_limits aggregator_limits_for(const settings& cfg,
                                        const std::string& symbol);

/// The book actors' config (the same for every symbol).
book_config book_config_for(const settings& cfg);

/// Whether `symbol` gets a depth stream and a book: `streams` has "depth" and
/// `book_symbols` is empty or lists it.
bool wants_book(const settings& cfg, const std::string& symbol);

/// The symbols that get a book, in config order.
std::vector<std::string> book_symbols_of(const settings& cfg);

/// The supervisor's children in start order: per symbol, each stream in config order;
/// a depth stream only for symbols that get a book.
std::vector<child_spec> stream_children(const settings& cfg);

/// The streams `symbol` gets under `cfg`: cfg.streams in order, depth only if
/// it wants a book. stream_children() and a reload's symbol plan both use it.
std::vector<stream_kind> streams_of(const settings& cfg,
                                    const std::string& symbol);

/// The symbol set `cfg` asks for: each symbol with its streams (depth only
/// where it wants a book), and the large-trade thresholds by symbol. A reload
/// hands it to the registry (or the shard member); the shard member starts
/// from it.
symbol_plan symbol_plan_for(const settings& cfg);

/// The supervisor's config: stream endpoint, deadlines, restart policy (seconds become
/// milliseconds), connect budget, silence timeouts and the shutdown grace period.
supervisor_config supervisor_config_for(const settings& cfg);

/// The socket pool's config: the stream endpoint and streams_per_connection; its
/// pacing and answer deadline keep their defaults. Used when streams_per_connection
/// is above 1.
socket_pool_config socket_pool_config_for(const settings& cfg);

/// The API actor's config without actor handles or responder: the symbols and the
/// largest accepted ?limit=. The caller fills in the handles after spawning.
api_config api_config_for(const settings& cfg);

/// The feed actor's settings (its writer is the caller's to set).
feed_config feed_config_for(const settings& cfg);

/// The JetStream publisher's settings (nats_* keys).
nats_publisher_config nats_publisher_config_for(const settings& cfg);

/// The shard group member's settings: the group's symbols are cfg.symbols
/// (each with its streams), its id shard_instance or default_shard_instance().
shard_member_config shard_member_config_for(const settings& cfg);

/// The registry's config: spawn settings from `cfg`, the table of the actors
/// main spawned for the configured symbols, and whom it asks and tells.
registry_config
registry_config_for(const settings& cfg, const supervisor_if& supervisor,
                    const backfill_if& backfill,
                    const std::map<std::string, aggregator_if>& aggregators,
                    const std::map<std::string, book_if>& books);

/// The transport's options: the extra CA file and --insecure; lws's own handshake
/// timeout (whole seconds of the connect deadline plus 2, a second line behind the
/// supervisor's deadline); lws pings after ping_interval_s without a pong and hangs up
/// when none came pong_timeout_s later. Batching and queue bounds keep their defaults.
lws_client_options transport_options_for(const settings& cfg);

/// The HTTP API server's options: the --http listen address, the client cap of
/// `budget` (see plan_api_budget), the header and idle timeouts; the rest keep
/// their defaults.
lws_http_server_options http_options_for(const settings& cfg,
                                         const fd_budget& budget);

/// The descriptor budget for `cfg` under the soft RLIMIT_NOFILE `nofile_limit`:
/// one stream connection per stream_children() entry, api_clients_max as
/// configured (0 = derived).
fd_budget plan_api_budget(const settings& cfg, std::uint64_t nofile_limit);

} // namespace sv
