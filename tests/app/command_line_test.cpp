// Tests of app/command_line.hpp: the table-driven parser of the simulator and the benchmarks.
#include "app/command_line.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

struct opts {
  std::string name;
  int level = 0;
  bool verbose = false;
  bool help = false;
};

using problem = std::optional<std::string>;

problem set_name(opts& o, const std::string& v) {
  if (v == "bad")
    return std::string{"is bad"};
  o.name = v;
  return {};
}

problem set_level(opts& o, const std::string& v) {
  if (v != "1" && v != "2")
    return std::string{}; // no reason of its own: the row's expects text
  o.level = v == "1" ? 1 : 2;
  return {};
}

problem set_verbose(opts& o, const std::string& /*value*/) {
  o.verbose = true;
  return {};
}

problem set_help(opts& o, const std::string& /*value*/) {
  o.help = true;
  return {};
}

const std::array table = {
  sv::cli_value_option("--name", "TEXT", set_name, "needs a name",
                       "what to call it"),
  sv::cli_value_option("--level", "N", set_level, "needs 1 or 2",
                       "how loud\nsecond line"),
  sv::cli_flag_option("--verbose", set_verbose, "say more"),
  sv::cli_flag_option("--help", set_help, "", "-h", true),
};

std::optional<sv::cli_failure>
parse(const std::vector<std::string>& args, opts& o,
      sv::cli_flag_value flags = sv::cli_flag_value::refused) {
  return sv::parse_command_line(table, args, o, flags);
}

} // namespace

TEST_CASE(
  "a value is the next argument or the text after '=', whatever it looks like",
  "[command_line]") {
  opts o;
  CHECK(!parse({"--name", "--verbose", "--level=2"}, o));
  CHECK(o.name == "--verbose");
  CHECK(o.level == 2);
  CHECK(!o.verbose);
  opts empty;
  CHECK(!parse({"--name="}, empty));
  CHECK(empty.name.empty());
}

TEST_CASE("when an option repeats, the last value wins", "[command_line]") {
  opts o;
  CHECK(!parse({"--name", "a", "--name=b"}, o));
  CHECK(o.name == "b");
}

TEST_CASE("an unknown option stops parsing and is named without its value",
          "[command_line]") {
  opts o;
  auto failure = parse({"--level", "1", "--nope=3", "--name", "x"}, o);
  REQUIRE(failure);
  CHECK(failure->unknown);
  CHECK(failure->option == "--nope");
  CHECK(failure->detail.empty());
  CHECK(o.level == 1);
  CHECK(o.name.empty());
  // Only "--" options carry an inline value; anything else is looked up as written.
  auto single = parse({"-h=1"}, o);
  REQUIRE(single);
  CHECK(single->option == "-h=1");
  CHECK(single->unknown);
}

TEST_CASE("a missing value reports the row's expects text", "[command_line]") {
  opts o;
  auto failure = parse({"--name"}, o);
  REQUIRE(failure);
  CHECK(!failure->unknown);
  CHECK(failure->option == "--name");
  CHECK(failure->detail == "needs a name");
}

TEST_CASE("a refused value reports the setter's reason, or the expects text "
          "when it gives none",
          "[command_line]") {
  opts o;
  auto own = parse({"--name", "bad"}, o);
  REQUIRE(own);
  CHECK(own->detail == "is bad");
  auto none = parse({"--level=3"}, o);
  REQUIRE(none);
  CHECK(none->option == "--level");
  CHECK(none->detail == "needs 1 or 2");
}

TEST_CASE("a flag with a value is refused or ignored as the program chooses",
          "[command_line]") {
  opts refused;
  auto failure = parse({"--verbose=false"}, refused);
  REQUIRE(failure);
  CHECK(failure->option == "--verbose");
  CHECK(failure->detail == "takes no value");
  CHECK(!refused.verbose);
  opts ignored;
  CHECK(!parse({"--verbose=false"}, ignored, sv::cli_flag_value::ignored));
  CHECK(ignored.verbose);
}

TEST_CASE(
  "an option that stops parsing hides later mistakes but not earlier ones",
  "[command_line]") {
  opts o;
  CHECK(!parse({"-h", "--nope"}, o));
  CHECK(o.help);
  opts earlier;
  auto failure = parse({"--nope", "--help"}, earlier);
  REQUIRE(failure);
  CHECK(failure->unknown);
  CHECK(!earlier.help);
}

TEST_CASE("usage lists every row with help at the help column, further lines "
          "too, and skips "
          "rows without help",
          "[command_line]") {
  CHECK(sv::command_line_usage(table, 16)
        == "  --name TEXT   what to call it\n"
           "  --level N     how loud\n"
           "                second line\n"
           "  --verbose     say more\n");
  // A name longer than the column still gets one space before its help.
  CHECK(sv::command_line_usage(table, 4).substr(0, 29)
        == "  --name TEXT what to call it");
}

TEST_CASE("the ready-made setters set a flag, store any text, or refuse an "
          "empty one with the "
          "row's expects text",
          "[command_line]") {
  const std::array rows = {
    sv::cli_flag_option("--verbose", sv::cli_set_flag<&opts::verbose>,
                        "say more"),
    sv::cli_value_option("--any", "TEXT", sv::cli_set_text<&opts::name>,
                         "needs text", "any"),
    sv::cli_value_option("--some", "TEXT", sv::cli_set_text<&opts::name, true>,
                         "needs text", "some"),
  };
  opts o;
  o.name = "before";
  CHECK(!sv::parse_command_line(rows, {"--verbose", "--any="}, o));
  CHECK(o.verbose);
  CHECK(o.name.empty());
  auto failure = sv::parse_command_line(rows, {"--some="}, o);
  REQUIRE(failure);
  CHECK(failure->detail == "needs text");
  CHECK(!sv::parse_command_line(rows, {"--some", "x"}, o));
  CHECK(o.name == "x");
}

namespace {

/// The rows of the integer setter test: --level 1..9, --zero 0..9.
const std::array integer_rows = {
  sv::cli_value_option("--level", "N", sv::cli_set_integer<&opts::level, 9>,
                       "expected 1..9", "a level"),
  sv::cli_value_option("--zero", "N",
                       sv::cli_set_integer<&opts::level, 9, true>,
                       "expected 0..9", "a level or 0"),
};

/// The failure detail of `--level value`, or "" if it was accepted.
std::string level_failure(opts& o, const std::string& value) {
  auto failure = sv::parse_command_line(integer_rows, {"--level", value}, o);
  return failure ? failure->detail : std::string{};
}

} // namespace

TEST_CASE("the integer setter takes a whole decimal within its bounds and "
          "refuses zero unless allowed, signs, text and overflow",
          "[command_line]") {
  opts o;
  CHECK(level_failure(o, "9").empty());
  CHECK(o.level == 9);
  CHECK(!sv::parse_command_line(integer_rows, {"--zero=0"}, o));
  CHECK(o.level == 0);
  const std::vector<std::string> refused
    = {"0", "10", "", "-1", "3x", "x", "99999999999999999999"};
  std::vector<std::string> details;
  details.reserve(refused.size());
  for (const auto& bad : refused)
    details.push_back(level_failure(o, bad));
  CHECK(details == std::vector<std::string>(refused.size(), "expected 1..9"));
  CHECK(o.level == 0);
}
