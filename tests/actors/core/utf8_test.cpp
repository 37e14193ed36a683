// utf8_test: well-formed UTF-8 as RFC 3629 defines it.
#include "actors/core/utf8.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace sv;

TEST_CASE("ASCII, and two- to four-byte characters, are well-formed UTF-8",
          "[utf8]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8(R"({"e":"aggTrade","s":"BTCUSDT","p":"91436.75"})"));
  CHECK(is_valid_utf8(std::string_view{"nul\0and\ncontrol\x7f", 16}));
  CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"));
  CHECK(is_valid_utf8("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf")); // edges
  CHECK(utf8_sequence_length("\xf0\x9d\x84\x9e!") == 4);
}

TEST_CASE("broken sequences are not UTF-8, wherever they sit", "[utf8]") {
  for (std::string bad :
       {"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
        "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xfe",
        "\xff", "\xe2\x82", "\xc3"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_utf8(bad));
    // After 8-byte ASCII runs (the fast path) and inside them.
    CHECK_FALSE(is_valid_utf8("0123456789abcdef" + bad));
    CHECK_FALSE(is_valid_utf8("0123" + bad + "456789abcdef"));
    CHECK(utf8_sequence_length(bad) == 0);
  }
}
