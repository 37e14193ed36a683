// http_query_fuzz: the HTTP API's request path and query parsing (actors/core/http_query).
//
// The first two bytes choose limit_max (1..65536), the rest is a path or query.
// Checks, for any bytes:
// - split_path returns non-empty segments without '/', in order, that are views
//   into the input and join (with '/') to the input with every run of '/'
//   collapsed and leading and trailing '/' removed;
// - parse_count_query agrees with an independent reference (every non-empty
//   '&'-separated pair is "limit=" plus 1..10 digits of a value in 1..limit_max;
//   the last pair wins), leaves `limit` alone on a query without pairs, and
//   always explains a refusal;
// - append_query_encoded output is only unreserved bytes and %XX, decodes back to
//   the input, holds no '&' or '=' (encode_equals) and, after "limit=", is
//   accepted by parse_count_query exactly when the input itself is.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/core/http_query.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

void check_split_path(std::string_view path) {
  auto parts = sv::split_path(path);
  std::string joined;
  const char* at = path.data();
  for (auto part : parts) {
    SV_FUZZ_CHECK(!part.empty());
    SV_FUZZ_CHECK(part.find('/') == std::string_view::npos);
    SV_FUZZ_CHECK(part.data() >= at
                  && part.data() + part.size() <= path.data() + path.size());
    at = part.data() + part.size();
    if (!joined.empty())
      joined.push_back('/');
    joined.append(part);
  }
  std::string collapsed;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '/') {
      if (!collapsed.empty() && i > 0 && path[i - 1] == '/')
        collapsed.push_back('/');
      collapsed.push_back(path[i]);
    }
  }
  SV_FUZZ_CHECK(joined == collapsed);
}

/// The reference parse: true and the last value, or false.
bool reference_count(std::string_view query, std::uint32_t limit_max,
                     std::uint32_t& limit) {
  std::size_t begin = 0;
  while (begin <= query.size()) {
    auto end = query.find('&', begin);
    if (end == std::string_view::npos)
      end = query.size();
    auto pair = query.substr(begin, end - begin);
    begin = end + 1;
    if (pair.empty())
      continue;
    if (pair.substr(0, 6) != "limit=")
      return false;
    auto digits = pair.substr(6);
    if (digits.empty() || digits.size() > 10
        || digits.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    std::uint64_t n = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (n < 1 || n > limit_max)
      return false;
    limit = static_cast<std::uint32_t>(n);
  }
  return true;
}

void check_count_query(std::string_view query, std::uint32_t limit_max) {
  constexpr std::uint32_t untouched = 0xdeadbeef;
  std::uint32_t got = untouched;
  std::uint32_t want = untouched;
  std::string why;
  bool ok = sv::parse_count_query(query, "limit", limit_max, got, why);
  SV_FUZZ_CHECK(ok == reference_count(query, limit_max, want));
  if (ok) {
    SV_FUZZ_CHECK(got == want);
    SV_FUZZ_CHECK(got == untouched || (got >= 1 && got <= limit_max));
  } else {
    SV_FUZZ_CHECK(!why.empty());
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void check_encoding(std::string_view raw, std::uint32_t limit_max) {
  std::string enc;
  sv::append_query_encoded(enc, raw, true);
  std::string dec;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    auto ch = static_cast<unsigned char>(enc[i]);
    SV_FUZZ_CHECK(ch > 0x20 && ch < 0x7f && ch != '&' && ch != '=' && ch != '+'
                  && ch != '#');
    if (ch != '%') {
      dec.push_back(enc[i]);
      continue;
    }
    SV_FUZZ_CHECK(i + 2 < enc.size());
    auto hi = hex_value(enc[i + 1]);
    auto lo = hex_value(enc[i + 2]);
    SV_FUZZ_CHECK(hi >= 0 && lo >= 0);
    dec.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  SV_FUZZ_CHECK(dec == raw);
  // One argument, as the server rebuilds it: accepted exactly when the
  // decoded value itself is a count.
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::string why;
  bool direct = raw.find('&') == std::string_view::npos
                && reference_count("limit=" + std::string{raw}, limit_max, a);
  SV_FUZZ_CHECK(
    sv::parse_count_query("limit=" + enc, "limit", limit_max, b, why)
    == direct);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2)
    return 0;
  auto limit_max = static_cast<std::uint32_t>(data[0] | (data[1] << 8)) + 1;
  // An exactly sized heap copy, so ASan sees any read past the end.
  std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  check_split_path(text);
  check_count_query(text, limit_max);
  check_encoding(text, limit_max);
  return 0;
}
