// growing_ring_test: the ring keeps a deque's order under any mix of operations, and
// its buffer follows its size.
#include "actors/core/growing_ring.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>

#include <catch2/catch.hpp>

using sv::growing_ring;

namespace {

/// Every entry of `ring` equals the reference's, in order.
bool same(const growing_ring<std::int64_t>& ring,
          const std::deque<std::int64_t>& ref) {
  if (ring.size() != ref.size())
    return false;
  for (std::size_t i = 0; i < ref.size(); ++i)
    if (ring[i] != ref[i])
      return false;
  return true;
}

/// One random operation on both the ring and the reference: mostly pushes while
/// `growing`, mostly pops otherwise, and now and then an insert or an erase at a
/// random place.
void random_op(std::mt19937_64& rng, bool growing,
               growing_ring<std::int64_t>& ring, std::deque<std::int64_t>& ref,
               std::int64_t& next) {
  auto op = rng() % 10;
  if (ref.empty() || (growing ? op < 6 : op < 2)) {
    ring.push_back(next);
    ref.push_back(next++);
  } else if (op < 8) {
    ring.pop_front();
    ref.pop_front();
  } else if (op == 8) {
    auto i = static_cast<std::size_t>(rng() % (ref.size() + 1));
    ring.insert(i, next);
    ref.insert(ref.begin() + static_cast<std::ptrdiff_t>(i), next++);
  } else {
    auto first = static_cast<std::size_t>(rng() % ref.size());
    auto last = std::min(ref.size(),
                         first + static_cast<std::size_t>(rng() % 3));
    ring.erase(first, last);
    ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(first),
              ref.begin() + static_cast<std::ptrdiff_t>(last));
  }
}

} // namespace

TEST_CASE("a ring holds no buffer until its first entry", "[growing_ring]") {
  growing_ring<std::int64_t> ring;
  CHECK(ring.empty());
  CHECK(ring.capacity_bytes() == 0);
  ring.push_back(7);
  CHECK(ring.capacity_bytes()
        == growing_ring<std::int64_t>::slots_min * sizeof(std::int64_t));
  CHECK(ring.front() == 7);
  CHECK(ring.back() == 7);
}

TEST_CASE("random pushes, pops, inserts and erases keep a deque's order, "
          "across wrap-arounds, growth and shrinking",
          "[growing_ring]") {
  std::mt19937_64 rng(11);
  growing_ring<std::int64_t> ring;
  std::deque<std::int64_t> ref;
  std::int64_t next = 0;
  for (int step = 0; step < 200'000; ++step) {
    // Phases of growth and of shrinking, so the buffer does both many times.
    random_op(rng, (step / 5'000) % 2 == 0, ring, ref, next);
    REQUIRE(ring.size() == ref.size());
    if (step % 97 == 0)
      REQUIRE(same(ring, ref));
    // Never more than four slots per entry (after a shrink: at most a quarter
    // used, halved), beyond the first buffer.
    auto slots = ring.capacity_bytes() / sizeof(std::int64_t);
    REQUIRE(slots <= std::max<std::size_t>(
              growing_ring<std::int64_t>::slots_min, 4 * ring.size()));
  }
  CHECK(same(ring, ref));
}

TEST_CASE("a ring that empties gives its buffer back", "[growing_ring]") {
  growing_ring<std::int64_t> ring;
  for (std::int64_t i = 0; i < 10'000; ++i)
    ring.push_back(i);
  CHECK(ring.capacity_bytes() >= 10'000 * sizeof(std::int64_t));
  std::int64_t out_of_order = 0;
  for (std::int64_t i = 0; i < 9'990; ++i) {
    out_of_order += ring.front() != i ? 1 : 0;
    ring.pop_front();
  }
  CHECK(out_of_order == 0);
  // 10 left: the buffer halved down to at most 4 slots per entry.
  CHECK(ring.capacity_bytes() <= 40 * sizeof(std::int64_t));
}

TEST_CASE("erasing every entry, or clearing, frees the buffer",
          "[growing_ring]") {
  growing_ring<std::int64_t> ring;
  for (std::int64_t i = 0; i < 1'000; ++i)
    ring.push_back(i);
  ring.erase(0, ring.size());
  CHECK(ring.capacity_bytes() == 0);
  ring.push_back(1);
  ring.clear();
  CHECK(ring.empty());
  CHECK(ring.capacity_bytes() == 0);
}
