// binance_rest: Binance's REST market-data requests and answers (aggTrades, depth) as the mirror serves them.
#include "actors/wire/binance_rest.hpp"

#include <charconv>

#include "actors/core/decimal.hpp"
#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/depth_event_json.hpp"

namespace sv {

namespace {

constexpr std::uint32_t trades_limit_default = 500;
constexpr std::uint32_t trades_limit_max = 1000;
constexpr std::uint32_t depth_limit_default = 100;
constexpr std::uint32_t depth_limit_max = 5000;
constexpr std::size_t symbol_chars_max = 20;

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0
        && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16
                                      + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

} // namespace

const std::string* find_query_arg(const query_args& args,
                                  std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : args)
    if (k == name)
      found = &v; // the last occurrence wins
  return found;
}

/// ^[0-9]{1,20}$ within int64; nullopt if malformed or too big.
std::optional<std::int64_t> parse_binance_uint(std::string_view text) {
  constexpr std::size_t digits_max = 20;
  if (text.empty() || text.size() > digits_max)
    return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0)
    return std::nullopt;
  return v;
}

binance_error illegal_characters(std::string_view name,
                                 std::string_view range) {
  return {400, -1100,
          "Illegal characters found in parameter '" + std::string{name}
            + "'; legal range is '" + std::string{range} + "'."};
}

std::optional<binance_error> read_symbol_arg(const query_args& args,
                                             std::string& out) {
  const auto* symbol = find_query_arg(args, "symbol");
  if (symbol == nullptr || symbol->empty())
    return binance_error{400, -1102,
                         "Mandatory parameter 'symbol' was not sent, was "
                         "empty/null, or malformed."};
  auto legal = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
           || c == '_' || c == '.';
  };
  bool ok = symbol->size() <= symbol_chars_max;
  for (char c : *symbol)
    ok = ok && legal(c);
  if (!ok)
    return illegal_characters("symbol", "^[A-Z0-9-_.]{1,20}$");
  out = *symbol;
  return std::nullopt;
}

// The default, then the bound, as Binance's docs list them.
std::optional<binance_error> read_limit_arg(
  const query_args& args,
  std::uint32_t fallback, // NOLINT(bugprone-easily-swappable-parameters)
  std::uint32_t max, std::uint32_t& out) {
  out = fallback;
  const auto* text = find_query_arg(args, "limit");
  if (text == nullptr)
    return std::nullopt;
  auto v = parse_binance_uint(*text);
  if (!v)
    return illegal_characters("limit", "^[0-9]{1,20}$");
  if (*v < 1 || *v > max)
    return illegal_characters("limit", "1.." + std::to_string(max));
  out = static_cast<std::uint32_t>(*v);
  return std::nullopt;
}

query_args decode_query(std::string_view query) {
  query_args out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(percent_decoded(part), std::string{});
    else
      out.emplace_back(percent_decoded(part.substr(0, eq)),
                       percent_decoded(part.substr(eq + 1)));
  }
  return out;
}

std::string binance_error_json(const binance_error& x) {
  std::string out = R"({"code":)" + std::to_string(x.code) + R"(,"msg":")";
  for (char c : x.msg) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  out += "\"}";
  return out;
}

std::optional<binance_error> parse_agg_trades_request(const query_args& args,
                                                      agg_trades_request& out) {
  if (auto err = read_symbol_arg(args, out.symbol))
    return err;
  if (auto err = read_limit_arg(args, trades_limit_default, trades_limit_max,
                                out.query.limit))
    return err;
  std::int64_t from_id = -1;
  struct bound {
    const char* name;
    std::int64_t* field;
  };
  for (auto b :
       {bound{"fromId", &from_id}, bound{"startTime", &out.query.start_ms},
        bound{"endTime", &out.query.end_ms}}) {
    *b.field = -1;
    if (const auto* text = find_query_arg(args, b.name)) {
      auto v = parse_binance_uint(*text);
      if (!v)
        return illegal_characters(b.name, "^[0-9]{1,20}$");
      *b.field = *v;
    }
  }
  auto& q = out.query;
  q.by_id = from_id >= 0;
  q.from_id = q.by_id ? static_cast<std::uint64_t>(from_id) : 0;
  if (q.by_id && (q.start_ms >= 0 || q.end_ms >= 0))
    return binance_error{400, -1128,
                         "Combination of optional parameters invalid."};
  return std::nullopt;
}

std::optional<binance_error> parse_depth_request(const query_args& args,
                                                 depth_request& out) {
  if (auto err = read_symbol_arg(args, out.symbol))
    return err;
  return read_limit_arg(args, depth_limit_default, depth_limit_max, out.limit);
}

binance_error invalid_symbol() {
  return {400, -1121, "Invalid symbol."};
}

void append_agg_trades_json(std::string& out, const std::vector<trade>& rows) {
  out.push_back('[');
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    append_agg_trade_row(out, rows[i]);
  }
  out.push_back(']');
}

std::string depth_snapshot_json(const book_view& book) {
  std::string out = R"({"lastUpdateId":)";
  out += std::to_string(book.last_update_id);
  out += R"(,"bids":)";
  append_price_levels(out, book.bids);
  out += R"(,"asks":)";
  append_price_levels(out, book.asks);
  out.push_back('}');
  return out;
}

} // namespace sv
