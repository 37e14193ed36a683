// api_json_test: the API's JSON edge, where state enums become text.
#include "actors/wire/api_json.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace {

using namespace sv;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

child_status depth_child() {
  child_status x;
  x.symbol = "BTCUSDT";
  x.stream = stream_kind::depth;
  x.state = child_state::streaming;
  return x;
}

} // namespace

TEST_CASE("status names a depth child's book phase, and unknown when no book "
          "answered",
          "[api_json]") {
  auto x = depth_child();
  x.book_state = book_phase::synced;
  CHECK(contains(status_json(1, {x}), R"("book":"unknown",)"));
  x.book_known = true;
  x.book_state = book_phase::waiting;
  CHECK(contains(status_json(1, {x}), R"("book":"waiting",)"));
  x.book_state = book_phase::syncing;
  CHECK(contains(status_json(1, {x}), R"("book":"syncing",)"));
  x.book_state = book_phase::synced;
  CHECK(contains(status_json(1, {x}), R"("book":"synced",)"));
}

TEST_CASE("a book's state and synced flag come from its phase", "[api_json]") {
  book_view v;
  v.symbol = "BTCUSDT";
  CHECK(contains(book_json(v), R"("state":"waiting","synced":false,)"));
  v.state = book_phase::syncing;
  CHECK(contains(book_json(v), R"("state":"syncing","synced":false,)"));
  v.state = book_phase::synced;
  CHECK(contains(book_json(v), R"("state":"synced","synced":true,)"));
}

TEST_CASE("metrics name the warm-up state", "[api_json]") {
  metrics_snapshot m;
  m.symbol = "BTCUSDT";
  CHECK(contains(metrics_json(m), R"("warmup":"off",)"));
  m.warmup = warmup_state::loading;
  CHECK(contains(metrics_json(m), R"("warmup":"loading",)"));
  m.warmup = warmup_state::done;
  CHECK(contains(metrics_json(m), R"("warmup":"done",)"));
  m.warmup = warmup_state::failed;
  CHECK(contains(metrics_json(m), R"("warmup":"failed",)"));
}
