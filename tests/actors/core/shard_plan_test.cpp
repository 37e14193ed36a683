// Tests of shard_plan (pure): single rounds, and a group of instances run
// round by round against an in-memory bucket with compare-and-set writes.
#include <catch2/catch.hpp>

#include <map>

#include "actors/core/shard_plan.hpp"

using namespace sv;

namespace {

std::vector<std::string> symbols(int n) {
  std::vector<std::string> result;
  result.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    result.push_back("S" + std::to_string(100 + i) + "USDT");
  return result;
}

/// The bucket's lease keys with compare-and-set writes, as JetStream's KV does
/// them: a write against a revision other than the key's fails.
struct bucket {
  struct entry {
    std::string holder;
    std::uint64_t revision = 0;
  };
  std::map<std::string, entry> keys;
  std::set<std::string> members;
  std::uint64_t sequence = 0;

  bool write(const shard_lease& lease, const std::string& holder) {
    auto key = shard_lease_key(lease.symbol, lease.replica);
    auto it = keys.find(key);
    auto now = it == keys.end() ? 0 : it->second.revision;
    if (now != lease.revision)
      return false;
    keys[key] = entry{holder, ++sequence};
    return true;
  }

  [[nodiscard]] shard_view view() const {
    shard_view v;
    v.members.assign(members.begin(), members.end());
    for (const auto& [key, e] : keys) {
      shard_lease lease;
      REQUIRE(parse_shard_lease_key(key, lease));
      lease.holder = e.holder;
      lease.revision = e.revision;
      v.leases.push_back(lease);
    }
    return v;
  }

  /// A dead instance: its member key and its leases lapse (the TTL).
  void lapse(const std::string& id) {
    members.erase(id);
    for (auto it = keys.begin(); it != keys.end();)
      it = it->second.holder == id ? keys.erase(it) : std::next(it);
  }

  [[nodiscard]] std::map<std::string, std::set<std::string>>
  holders_by_symbol() const {
    std::map<std::string, std::set<std::string>> result;
    for (const auto& [key, e] : keys) {
      shard_lease lease;
      REQUIRE(parse_shard_lease_key(key, lease));
      if (!e.holder.empty())
        result[lease.symbol].insert(e.holder);
    }
    return result;
  }

  [[nodiscard]] std::map<std::string, int> count_by_holder() const {
    std::map<std::string, int> result;
    for (const auto& [key, e] : keys)
      if (!e.holder.empty())
        ++result[e.holder];
    return result;
  }
};

/// Instance `me`'s writes of `actions`, as nats_shard_member makes them.
void apply(bucket& b, const std::string& me, const shard_actions& actions) {
  for (const auto& lease : actions.release)
    b.write(lease, "");
  std::set<std::string> mine;
  for (const auto& lease : actions.renew)
    if (b.write(lease, me))
      mine.insert(lease.symbol);
  std::size_t missed = 0;
  for (const auto& lease : actions.take) {
    if (b.write(lease, me))
      mine.insert(lease.symbol);
    else
      ++missed;
  }
  for (const auto& lease : actions.spare)
    if (missed > 0 && mine.count(lease.symbol) == 0 && b.write(lease, me)) {
      mine.insert(lease.symbol);
      --missed;
    }
  if (!actions.swap_take.symbol.empty())
    b.write(actions.swap_release, b.write(actions.swap_take, me) ? "" : me);
}

/// One round of instance `me`: its member key, the plan, its writes.
shard_actions round(bucket& b, const std::string& me,
                    const std::vector<std::string>& group,
                    std::uint32_t replicas = 1) {
  b.members.insert(me);
  shard_round_input in;
  in.me = me;
  in.symbols = group;
  in.replicas = replicas;
  auto actions = plan_shard_round(b.view(), in);
  apply(b, me, actions);
  return actions;
}

// Test helper: instances in order, then the group's symbols.
// NOLINTBEGIN(bugprone-easily-swappable-parameters)
void rounds(bucket& b, const std::vector<std::string>& instances,
            const std::vector<std::string>& group, int n,
            std::uint32_t replicas = 1) {
  // NOLINTEND(bugprone-easily-swappable-parameters)
  for (int i = 0; i < n; ++i)
    for (const auto& id : instances)
      round(b, id, group, replicas);
}

} // namespace

TEST_CASE("alone, an instance takes every symbol's lease once",
          "[shard_plan]") {
  bucket b;
  auto group = symbols(30);
  auto actions = round(b, "a", group);
  CHECK(actions.quota == 30);
  CHECK(actions.take.size() == 30);
  CHECK(actions.release.empty());
  auto holders = b.holders_by_symbol();
  CHECK(holders.size() == 30);
  for (auto& [symbol, ids] : holders)
    CHECK(ids == std::set<std::string>{"a"});
  // The next round renews all of them and takes nothing.
  actions = round(b, "a", group);
  CHECK(actions.renew.size() == 30);
  CHECK(actions.take.empty());
}

TEST_CASE("three instances divide 30 symbols 10 each, each symbol once, and "
          "take a killed one's symbols after its leases lapse",
          "[shard_plan]") {
  bucket b;
  auto group = symbols(30);
  // They start one after another: the first takes everything, the others'
  // arrival makes it release its surplus.
  round(b, "a", group);
  rounds(b, {"a", "b"}, group, 3);
  rounds(b, {"a", "b", "c"}, group, 4);
  auto counts = b.count_by_holder();
  CHECK(counts == std::map<std::string, int>{{"a", 10}, {"b", 10}, {"c", 10}});
  auto holders = b.holders_by_symbol();
  REQUIRE(holders.size() == 30);
  for (auto& [symbol, ids] : holders)
    CHECK(ids.size() == 1);

  b.lapse("c");
  rounds(b, {"a", "b"}, group, 2);
  counts = b.count_by_holder();
  CHECK(counts == std::map<std::string, int>{{"a", 15}, {"b", 15}});
  holders = b.holders_by_symbol();
  CHECK(holders.size() == 30);
  // The survivors kept what they held: nothing moved but c's ten.
}

TEST_CASE("a survivor keeps its leases when another dies", "[shard_plan]") {
  bucket b;
  auto group = symbols(30);
  rounds(b, {"a", "b", "c"}, group, 4);
  std::set<std::string> a_before;
  for (auto& [symbol, ids] : b.holders_by_symbol())
    if (ids.count("a") != 0)
      a_before.insert(symbol);
  b.lapse("c");
  rounds(b, {"a", "b"}, group, 2);
  std::set<std::string> a_after;
  for (auto& [symbol, ids] : b.holders_by_symbol())
    if (ids.count("a") != 0)
      a_after.insert(symbol);
  for (const auto& symbol : a_before)
    CHECK(a_after.count(symbol) == 1);
}

TEST_CASE("with replicas = 2 each symbol has two different holders",
          "[shard_plan]") {
  bucket b;
  auto group = symbols(30);
  rounds(b, {"a", "b", "c"}, group, 12, 2);
  auto counts = b.count_by_holder();
  CHECK(counts == std::map<std::string, int>{{"a", 20}, {"b", 20}, {"c", 20}});
  auto holders = b.holders_by_symbol();
  REQUIRE(holders.size() == 30);
  for (auto& [symbol, ids] : holders)
    CHECK(ids.size() == 2);
  // Replicas beyond the members cannot be placed twice on one instance.
  bucket alone;
  rounds(alone, {"a"}, group, 2, 2);
  CHECK(alone.count_by_holder() == std::map<std::string, int>{{"a", 30}});
}

TEST_CASE("a lease held by another instance is never taken", "[shard_plan]") {
  shard_view view;
  view.members = {"a"}; // "b" holds a lease but its member key lapsed already
  view.leases.push_back(shard_lease{"BTCUSDT", 0, "b", 7});
  shard_round_input in;
  in.me = "a";
  in.symbols = {"BTCUSDT", "ETHUSDT"};
  auto actions = plan_shard_round(view, in);
  REQUIRE(actions.take.size() == 1);
  CHECK(actions.take[0].symbol == "ETHUSDT");
  CHECK(actions.take[0].revision == 0);
}

TEST_CASE("a released lease is taken against its revision", "[shard_plan]") {
  shard_view view;
  view.leases.push_back(shard_lease{"BTCUSDT", 0, "", 42});
  shard_round_input in;
  in.me = "a";
  in.symbols = {"BTCUSDT"};
  auto actions = plan_shard_round(view, in);
  REQUIRE(actions.take.size() == 1);
  CHECK(actions.take[0].revision == 42);
}

TEST_CASE("an unhealthy symbol's lease is released and a cooling one is not "
          "taken",
          "[shard_plan]") {
  shard_view view;
  view.leases.push_back(shard_lease{"BTCUSDT", 0, "a", 5});
  view.leases.push_back(shard_lease{"ETHUSDT", 0, "a", 6});
  shard_round_input in;
  in.me = "a";
  in.symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  in.unhealthy = {"BTCUSDT"};
  in.cooling = {"SOLUSDT"};
  auto actions = plan_shard_round(view, in);
  REQUIRE(actions.release.size() == 1);
  CHECK(actions.release[0].symbol == "BTCUSDT");
  CHECK(actions.release[0].revision == 5);
  REQUIRE(actions.renew.size() == 1);
  CHECK(actions.renew[0].symbol == "ETHUSDT");
  CHECK(actions.take.empty());
}

TEST_CASE("a lease of a symbol no longer in the group, or a second replica of "
          "one symbol, is released",
          "[shard_plan]") {
  shard_view view;
  view.leases.push_back(shard_lease{"OLDUSDT", 0, "a", 1});
  view.leases.push_back(shard_lease{"BTCUSDT", 0, "a", 2});
  view.leases.push_back(shard_lease{"BTCUSDT", 1, "a", 3});
  shard_round_input in;
  in.me = "a";
  in.symbols = {"BTCUSDT"};
  in.replicas = 2;
  auto actions = plan_shard_round(view, in);
  CHECK(actions.release.size() == 2);
  REQUIRE(actions.renew.size() == 1);
  CHECK(actions.renew[0].symbol == "BTCUSDT");
  CHECK(shard_symbols_of(actions.release).count("OLDUSDT") == 1);
}

TEST_CASE("bucket keys and instance ids", "[shard_plan]") {
  CHECK(shard_lease_key("BTCUSDT", 1) == "lease.BTCUSDT.1");
  CHECK(shard_member_key("host-1") == "member.host-1");
  shard_lease lease;
  REQUIRE(parse_shard_lease_key("lease.BTCUSDT.12", lease));
  CHECK(lease.symbol == "BTCUSDT");
  CHECK(lease.replica == 12);
  CHECK_FALSE(parse_shard_lease_key("member.a", lease));
  CHECK_FALSE(parse_shard_lease_key("lease.BTCUSDT.", lease));
  CHECK_FALSE(parse_shard_lease_key("lease.BTCUSDT.x", lease));
  CHECK_FALSE(parse_shard_lease_key("lease..1", lease));
  CHECK(shard_instance_id("host.example:7/a") == "host_example_7_a");
  CHECK(shard_instance_id("") == "instance");
}

TEST_CASE("spares follow the takes: free leases beyond the quota, one per "
          "symbol, none of a symbol taken or kept",
          "[shard_plan]") {
  shard_view view;
  view.members = {"a", "b"};
  view.leases.push_back(shard_lease{"S0", 0, "a", 3});
  shard_round_input in;
  in.me = "a";
  in.symbols = {"S0", "S1", "S2", "S3", "S4", "S5"};
  auto actions = plan_shard_round(view, in);
  CHECK(actions.quota == 3);
  CHECK(actions.renew.size() == 1);
  CHECK(actions.take.size() == 2);
  CHECK(actions.spare.size() == 3);
  std::set<std::string> all = shard_symbols_of(actions.take);
  for (const auto& lease : actions.spare) {
    CHECK(lease.symbol != "S0");
    CHECK(all.insert(lease.symbol).second);
  }
  CHECK(all.size() == 5);
}

TEST_CASE("a take lost to a race is made up from the spares in the same round",
          "[shard_plan]") {
  bucket b;
  auto group = symbols(6);
  b.members = {"a", "b"};
  shard_round_input in;
  in.me = "a";
  in.symbols = group;
  auto actions = plan_shard_round(b.view(), in);
  REQUIRE(actions.take.size() == 3);
  // b takes a's first choice between a's read and a's writes.
  REQUIRE(b.write(actions.take.front(), "b"));
  apply(b, "a", actions);
  CHECK(b.count_by_holder() == std::map<std::string, int>{{"a", 3}, {"b", 1}});
}
