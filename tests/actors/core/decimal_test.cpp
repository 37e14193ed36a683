// decimal_test: parse_e8, format_e8, div_round_half_even, format_e16_as_e8.
#include "actors/core/decimal.hpp"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <catch2/catch.hpp>

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

/// parse_e8 as an optional-like pair, so a CHECK shows both outcome and value.
struct parsed {
  bool ok = false;
  std::int64_t value = -1;
  bool operator==(const parsed& other) const {
    return ok == other.ok && value == other.value;
  }
};

parsed parse(std::string_view text) {
  parsed result;
  result.ok = sv::parse_e8(text, result.value);
  return result;
}

parsed accepted(std::int64_t value) {
  return parsed{true, value};
}

const parsed rejected{false, -1};

std::string to_text(sv::int128 v) {
  // Decimal text of an int128, for building expectations beyond int64.
  bool negative = v < 0;
  auto u = negative ? static_cast<sv::uint128>(-(v + 1)) + 1
                    : static_cast<sv::uint128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(),
                  static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u != 0);
  return (negative ? "-" : "") + digits;
}

} // namespace

namespace Catch {
template <>
struct StringMaker<parsed> {
  static std::string convert(const parsed& x) {
    return x.ok ? "accepted " + std::to_string(x.value)
                : std::string{"rejected"};
  }
};
} // namespace Catch

TEST_CASE(
  "decimal parse_e8 reads integers and up to 8 fractional digits exactly",
  "[decimal]") {
  CHECK(parse("0") == accepted(0));
  CHECK(parse("0.00000000") == accepted(0));
  CHECK(parse("0.00000001") == accepted(1));
  CHECK(parse("1") == accepted(100'000'000));
  CHECK(parse("12") == accepted(1'200'000'000));
  CHECK(parse("91436.75") == accepted(9'143'675'000'000));
  CHECK(parse("91436.75000000") == accepted(9'143'675'000'000));
  CHECK(parse("0.00024000") == accepted(24'000));
  CHECK(parse("00001.10000000") == accepted(110'000'000));
  CHECK(parse("0.001") == accepted(100'000));
}

TEST_CASE(
  "decimal parse_e8 accepts exactly INT64_MAX units and rejects one unit more",
  "[decimal]") {
  CHECK(parse("92233720368.54775807") == accepted(int64_max));
  CHECK(parse("92233720368.54775808") == rejected);
  // Overflow detected in the integer part and in the scaling by 10^8.
  CHECK(parse("92233720369") == rejected);
  CHECK(parse("92233720368") == accepted(9'223'372'036'800'000'000));
  CHECK(parse("99999999999999999999") == rejected);
  CHECK(parse("18446744073709551616") == rejected);
  // Leading zeros do not count toward overflow.
  CHECK(parse("000000000000000000000092233720368.54775807")
        == accepted(int64_max));
}

TEST_CASE(
  "decimal parse_e8 rejects signs, exponents, 9 fractional digits and stray "
  "characters and leaves the output unchanged",
  "[decimal]") {
  for (const char* text :
       {"", ".", "-1", "+1", "1e8", "1E8", "0x10", " 1", "1 ", "1..0", "1.2.3",
        "0.000000001", "1.000000000", "1,5", "NaN", "inf", "１"}) {
    INFO("text: '" << text << "'");
    std::int64_t out = 42;
    CHECK_FALSE(sv::parse_e8(text, out));
    CHECK(out == 42);
  }
}

TEST_CASE("decimal parse_e8 accepts a missing integer or fraction part such as "
          "1. and .5",
          "[decimal]") {
  // Decision: decimal.hpp allows "one '.'" anywhere; Binance never sends these
  // forms, and they are read consistently as the obvious values.
  CHECK(parse("1.") == accepted(100'000'000));
  CHECK(parse(".5") == accepted(50'000'000));
  CHECK(parse(".00000001") == accepted(1));
  CHECK(parse(".") == rejected);
}

TEST_CASE("decimal parse_e8 reads only the given view and not past its end",
          "[decimal]") {
  std::string_view text{"1.2345"};
  CHECK(parse(text.substr(0, 3)) == accepted(120'000'000));
}

TEST_CASE("decimal format_e8 writes exactly 8 fractional digits for any sign",
          "[decimal]") {
  CHECK(sv::format_e8(0) == "0.00000000");
  CHECK(sv::format_e8(1) == "0.00000001");
  CHECK(sv::format_e8(-5) == "-0.00000005");
  CHECK(sv::format_e8(-100'000'000) == "-1.00000000");
  CHECK(sv::format_e8(9'143'675'000'000) == "91436.75000000");
  CHECK(sv::format_e8(int64_max) == "92233720368.54775807");
  CHECK(sv::format_e8(std::numeric_limits<std::int64_t>::min())
        == "-92233720368.54775808");
}

TEST_CASE("decimal append_e8 appends and handles int128 values beyond int64",
          "[decimal]") {
  std::string out = "x=";
  sv::append_e8(out, 123);
  CHECK(out == "x=0.00000123");

  sv::int128 big = sv::int128{int64_max} * 1000 + 7;
  CHECK(sv::format_e8(big) == "92233720368547.75807007");
  CHECK(sv::format_e8(-big) == "-92233720368547.75807007");

  auto max = static_cast<sv::int128>(~sv::uint128{0} >> 1);
  auto min = -max - 1;
  // 2^127 - 1 = 170141183460469231731687303715884105727
  CHECK(sv::format_e8(max) == "1701411834604692317316873037158.84105727");
  CHECK(sv::format_e8(min) == "-1701411834604692317316873037158.84105728");
  CHECK(to_text(max) == "170141183460469231731687303715884105727");
}

TEST_CASE(
  "decimal div_round_half_even rounds ties to the even neighbour for all signs",
  "[decimal]") {
  using sv::div_round_half_even;
  CHECK(div_round_half_even(5, 2) == 2);   // 2.5
  CHECK(div_round_half_even(7, 2) == 4);   // 3.5
  CHECK(div_round_half_even(-5, 2) == -2); // -2.5
  CHECK(div_round_half_even(-7, 2) == -4); // -3.5
  CHECK(div_round_half_even(5, -2) == -2);
  CHECK(div_round_half_even(-7, -2) == 4);
  CHECK(div_round_half_even(1, 2) == 0);  // 0.5
  CHECK(div_round_half_even(-1, 2) == 0); // -0.5
  CHECK(div_round_half_even(3, 2) == 2);  // 1.5
  // Not ties: nearest.
  CHECK(div_round_half_even(7, 3) == 2); // 2.33
  CHECK(div_round_half_even(8, 3) == 3); // 2.67
  CHECK(div_round_half_even(-8, 3) == -3);
  CHECK(div_round_half_even(6, 3) == 2); // exact
  CHECK(div_round_half_even(0, 7) == 0);
}

TEST_CASE(
  "decimal div_round_half_even does not overflow near the int128 limits",
  "[decimal]") {
  auto max = static_cast<sv::int128>(~sv::uint128{0} >> 1);
  auto min = -max - 1;
  CHECK(sv::div_round_half_even(max, max) == 1);
  CHECK(sv::div_round_half_even(max - 1, max) == 1); // remainder more than half
  CHECK(sv::div_round_half_even(min, max) == -1);    // -1 - 1/max
  CHECK(sv::div_round_half_even(min, min) == 1);
  CHECK(sv::div_round_half_even(max, min) == -1);
  CHECK(sv::div_round_half_even(min, 2) == min / 2);
  CHECK(sv::div_round_half_even(max, 2) == max / 2 + 1); // ...5 rounds to even
}

TEST_CASE(
  "decimal format_e16_as_e8 rounds half to even at the 9th fractional digit",
  "[decimal]") {
  // Units of 1e-16: 1.000000005 = 100000000'50000000 -> ties to ...00 (even).
  CHECK(sv::format_e16_as_e8(sv::int128{10'000'000'050'000'000})
        == "1.00000000");
  CHECK(sv::format_e16_as_e8(sv::int128{10'000'000'150'000'000})
        == "1.00000002");
  CHECK(sv::format_e16_as_e8(sv::int128{10'000'000'050'000'001})
        == "1.00000001");
  CHECK(sv::format_e16_as_e8(sv::int128{-10'000'000'050'000'000})
        == "-1.00000000");
  CHECK(sv::format_e16_as_e8(sv::int128{-10'000'000'150'000'000})
        == "-1.00000002");
  CHECK(sv::format_e16_as_e8(sv::int128{49'999'999}) == "0.00000000");
  CHECK(sv::format_e16_as_e8(sv::int128{50'000'000}) == "0.00000000");
  CHECK(sv::format_e16_as_e8(sv::int128{150'000'000}) == "0.00000002");
  // A notional price_e8 * qty_e8: 58942.01 * 0.000356 = 20.98335556.
  sv::int128 notional = sv::int128{5'894'201'000'000} * 35'600;
  CHECK(sv::format_e16_as_e8(notional) == "20.98335556");
}

TEST_CASE("decimal parse_e8 inverts format_e8 for 100k random non-negative "
          "int64 values",
          "[decimal]") {
  std::mt19937_64 rng{20240611};
  // Half uniform over the whole range, half with few digits (prices and
  // quantities).
  std::uniform_int_distribution<std::int64_t> wide{0, int64_max};
  std::uniform_int_distribution<int> digits{1, 18};
  int failures = 0;
  for (int i = 0; i < 100'000; ++i) {
    std::int64_t v = wide(rng);
    if (i % 2 == 1) {
      std::int64_t mod = 1;
      for (int d = digits(rng); d > 0; --d)
        mod *= 10;
      v %= mod;
    }
    auto text = sv::format_e8(v);
    std::int64_t back = -1;
    if (!sv::parse_e8(text, back) || back != v) {
      if (++failures <= 5)
        FAIL_CHECK("v=" << v << " text=" << text << " back=" << back);
    }
  }
  CHECK(failures == 0);
  // The extremes are part of the property too.
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, int64_max}) {
    std::int64_t back = -1;
    CHECK(sv::parse_e8(sv::format_e8(v), back));
    CHECK(back == v);
  }
}
