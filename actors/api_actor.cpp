// api_actor: answers HTTP API requests by asking the supervisor and the aggregators.
#include "actors/api_actor.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string_view>

#include "actors/actor_clock.hpp"
#include "actors/wire/api_json.hpp"
#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"

namespace sv {

namespace {

/// How long a request waits for an actor before answering 503.
constexpr auto actor_answer_timeout = std::chrono::seconds(2);
constexpr std::uint32_t trades_limit_default = 100;
constexpr std::uint32_t book_depth_default = 20;
constexpr std::uint32_t book_depth_max = 5000; // Binance's largest snapshot

using api_self = api_if::stateful_pointer<api_state>;

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty())
      parts.push_back(part);
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

/// Parses "<name>=N" (the only parameter /trades, /large_trades and /book take:
/// limit, limit, depth). Returns false with `why`.
bool parse_count_query(std::string_view query, std::string_view name,
                       std::uint32_t limit_max, std::uint32_t& limit,
                       std::string& why) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{}
                                              : pair.substr(eq + 1);
    if (key != name) {
      why = "unknown parameter '" + std::string{key} + "' (allowed: "
            + std::string{name} + ")";
      return false;
    }
    std::uint64_t n = 0;
    bool ok = !value.empty() && value.size() <= 10;
    for (char c : value) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || n < 1 || n > limit_max) {
      why = std::string{name} + " must be an integer in 1.." + std::to_string(limit_max)
            + ", got '" + std::string{value} + "'";
      return false;
    }
    limit = static_cast<std::uint32_t>(n);
  }
  return true;
}

void respond(api_self self, std::uint64_t req_id, int status, std::string body) {
  self->state.cfg.responder->respond(req_id, status, std::move(body));
}

void respond_unavailable(api_self self, std::uint64_t req_id,
                         const caf::error& err) {
  respond(self, req_id, 503, error_json("unavailable", caf::to_string(err)));
}

void handle(api_self self, http_request& req) {
  auto& cfg = self->state.cfg;
  auto id = req.req_id;
  if (req.method != "GET") {
    respond(self, id, 405, error_json("method not allowed", req.method));
    return;
  }
  auto parts = split_path(req.path);
  if (parts.size() == 1 && (parts[0] == "health" || parts[0] == "status")) {
    bool health = parts[0] == "health";
    self->request(cfg.supervisor, actor_answer_timeout, status_atom::value)
      .then(
        [=](std::vector<child_status>& children) {
          if (health) {
            bool healthy = false;
            auto body = health_json(children, healthy);
            respond(self, id, healthy ? 200 : 503, std::move(body));
            return;
          }
          auto uptime_ns = clock_ns(self) - self->state.started_ns;
          // Gap counters live in the aggregators and book counters in the book
          // actors: ask each child's once, then answer.
          auto shared = std::make_shared<std::vector<child_status>>(std::move(children));
          auto pending = std::make_shared<std::size_t>(shared->size());
          auto done = [=] {
            if (--*pending == 0)
              respond(self, id, 200, status_json(uptime_ns / 1'000'000'000, *shared));
          };
          if (shared->empty()) {
            respond(self, id, 200, status_json(uptime_ns / 1'000'000'000, *shared));
            return;
          }
          for (std::size_t i = 0; i < shared->size(); ++i) {
            if (is_depth_stream((*shared)[i].stream)) {
              auto book = self->state.cfg.books.find((*shared)[i].symbol);
              if (book == self->state.cfg.books.end()) {
                done();
                continue;
              }
              self->request(book->second, actor_answer_timeout, book_atom::value,
                            std::uint32_t{0})
                .then(
                  [=](book_view& v) {
                    auto& c = (*shared)[i];
                    c.book_state = v.state;
                    c.book_known = true;
                    c.book_syncs = v.counters.syncs;
                    c.book_resyncs = v.counters.resyncs;
                    c.book_last_update_id = v.last_update_id;
                    done();
                  },
                  [=](caf::error&) { done(); });
              continue;
            }
            auto agg = self->state.cfg.aggregators.find((*shared)[i].symbol);
            if (agg == self->state.cfg.aggregators.end()) {
              done();
              continue;
            }
            self->request(agg->second, actor_answer_timeout, metrics_atom::value)
              .then(
                [=](metrics_snapshot& m) {
                  auto& c = (*shared)[i];
                  c.gaps_detected = m.gaps_detected;
                  c.gaps_filled = m.gaps_filled;
                  c.gaps_open = m.gaps_open;
                  done();
                },
                [=](caf::error&) { done(); });
          }
        },
        [=](caf::error& err) { respond_unavailable(self, id, err); });
    return;
  }
  if (parts.size() == 1 && parts[0] == "symbols") {
    respond(self, id, 200, symbols_json(cfg.symbols));
    return;
  }
  if (parts.size() == 3 && parts[0] == "symbols" && parts[2] == "book") {
    auto symbol = upper_symbol(parts[1]);
    if (cfg.aggregators.count(symbol) == 0) {
      respond(self, id, 404, unknown_symbol_json(std::string{parts[1]}, cfg.symbols));
      return;
    }
    auto book = cfg.books.find(symbol);
    if (book == cfg.books.end()) {
      std::vector<std::string> with_book;
      for (auto& entry : cfg.books)
        with_book.push_back(entry.first);
      respond(self, id, 404,
              no_book_json(symbol, with_book));
      return;
    }
    std::uint32_t depth = book_depth_default;
    std::string why;
    if (!parse_count_query(req.query, "depth", book_depth_max, depth, why)) {
      respond(self, id, 400, error_json("bad query", why));
      return;
    }
    self->request(book->second, actor_answer_timeout, book_atom::value, depth)
      .then([=](book_view& v) { respond(self, id, 200, book_json(v)); },
            [=](caf::error& err) { respond_unavailable(self, id, err); });
    return;
  }
  if (parts.size() == 3 && parts[0] == "symbols"
      && (parts[2] == "trades" || parts[2] == "metrics"
          || parts[2] == "large_trades")) {
    auto symbol = upper_symbol(parts[1]);
    auto i = cfg.aggregators.find(symbol);
    if (i == cfg.aggregators.end()) {
      respond(self, id, 404, unknown_symbol_json(std::string{parts[1]}, cfg.symbols));
      return;
    }
    if (parts[2] == "metrics") {
      if (!req.query.empty()) {
        respond(self, id, 400,
                error_json("bad query", "metrics takes no parameters"));
        return;
      }
      self->request(i->second, actor_answer_timeout, metrics_atom::value)
        .then([=](metrics_snapshot& x) { respond(self, id, 200, metrics_json(x)); },
              [=](caf::error& err) { respond_unavailable(self, id, err); });
      return;
    }
    std::uint32_t limit = trades_limit_default;
    std::string why;
    if (!parse_count_query(req.query, "limit", cfg.trades_limit_max, limit, why)) {
      respond(self, id, 400, error_json("bad query", why));
      return;
    }
    auto reply = [=](std::vector<trade>& trades) {
      respond(self, id, 200, trades_json(symbol, trades));
    };
    auto fail = [=](caf::error& err) { respond_unavailable(self, id, err); };
    if (parts[2] == "trades")
      self->request(i->second, actor_answer_timeout, trades_atom::value, limit)
        .then(reply, fail);
    else
      self->request(i->second, actor_answer_timeout, large_trades_atom::value, limit)
        .then(reply, fail);
    return;
  }
  respond(self, id, 404, error_json("not found", req.path));
}

} // namespace

api_if::behavior_type api_actor(api_if::stateful_pointer<api_state> self,
                                api_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.started_ns = clock_ns(self);
  return {
    [=](http_request& req) {
      SV_DEBUG("api", "-", "request", "id=%llu method=%s path=%s query=%s",
               static_cast<unsigned long long>(req.req_id), req.method.c_str(),
               req.path.c_str(), req.query.c_str());
      handle(self, req);
    },
  };
}

} // namespace sv
