// shard_plan: one instance's round in a shard group.
#include "actors/core/shard_plan.hpp"

#include <algorithm>
#include <map>

namespace sv {

namespace {

/// FNV-1a: stable across processes and builds, unlike std::hash.
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

/// The instance's preference for a lease: lower is taken first, released last.
std::uint64_t rank(const std::string& me, const shard_lease& lease) {
  return fnv1a(me + '|' + shard_lease_key(lease.symbol, lease.replica));
}

void sort_by_rank(const std::string& me, std::vector<shard_lease>& leases) {
  std::sort(leases.begin(), leases.end(),
            [&me](const shard_lease& a, const shard_lease& b) {
              return rank(me, a) < rank(me, b);
            });
}

/// Sorts this instance's leases into kept and released (unhealthy, not in the
/// group, a second replica of one symbol, beyond the quota).
void split_held(const shard_view& view, const shard_round_input& in,
                const std::set<std::string>& group, shard_actions& out,
                std::vector<shard_lease>& kept) {
  std::vector<shard_lease> held;
  for (const auto& lease : view.leases)
    if (lease.holder == in.me && lease.revision > 0)
      held.push_back(lease);
  sort_by_rank(in.me, held);
  std::set<std::string> symbols;
  for (auto& lease : held) {
    bool keep = group.count(lease.symbol) != 0 && lease.replica < in.replicas
                && in.unhealthy.count(lease.symbol) == 0
                && symbols.insert(lease.symbol).second;
    (keep ? kept : out.release).push_back(lease);
  }
  while (kept.size() > out.quota) {
    out.release.push_back(kept.back());
    kept.pop_back();
  }
}

/// This instance is at its quota and `left` are free leases it could hold: if
/// every member below the quota holds each of them (so none of those can take
/// it), take the first beyond the quota and release, for it, a kept lease of a
/// symbol that such a member lacks.
// NOLINTBEGIN(bugprone-easily-swappable-parameters): kept and left differ in kind, named at the one call
void plan_swap(const shard_view& view, const shard_round_input& in,
               const std::set<std::string>& members,
               const std::vector<shard_lease>& kept,
               const std::vector<shard_lease>& left, shard_actions& out) {
  // NOLINTEND(bugprone-easily-swappable-parameters)
  std::map<std::string, std::set<std::string>> held_by;
  for (const auto& lease : view.leases)
    if (!lease.holder.empty() && lease.revision > 0)
      held_by[lease.holder].insert(lease.symbol);
  std::vector<const std::set<std::string>*> below;
  for (const auto& member : members)
    if (member != in.me && held_by[member].size() < out.quota)
      below.push_back(&held_by[member]);
  if (below.empty())
    return;
  for (const auto& lease : left) {
    bool stuck = std::all_of(below.begin(), below.end(), [&](auto* symbols) {
      return symbols->count(lease.symbol) != 0;
    });
    if (!stuck)
      continue;
    // Highest ranked first: the lease this instance would release anyway.
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
      bool wanted = std::any_of(below.begin(), below.end(), [&](auto* symbols) {
        return symbols->count(it->symbol) == 0;
      });
      if (wanted) {
        out.swap_take = lease;
        out.swap_release = *it;
        out.renew.erase(std::find_if(
          out.renew.begin(), out.renew.end(), [&](const shard_lease& held) {
            return held.symbol == it->symbol && held.replica == it->replica;
          }));
        return;
      }
    }
  }
}

} // namespace

shard_actions plan_shard_round(const shard_view& view,
                               const shard_round_input& in) {
  shard_actions out;
  std::set<std::string> members(view.members.begin(), view.members.end());
  members.insert(in.me);
  std::set<std::string> group(in.symbols.begin(), in.symbols.end());
  auto slots = group.size() * in.replicas;
  out.quota
    = static_cast<std::uint32_t>((slots + members.size() - 1) / members.size());
  std::vector<shard_lease> kept;
  split_held(view, in, group, out, kept);
  out.renew = kept;
  // Free slots: each (symbol, replica) of the group whose key is absent or
  // released, except symbols this instance keeps or must not take.
  std::map<std::pair<std::string, std::uint32_t>, const shard_lease*> present;
  for (const auto& lease : view.leases)
    present[{lease.symbol, lease.replica}] = &lease;
  std::set<std::string> mine = shard_symbols_of(kept);
  std::vector<shard_lease> free;
  for (const auto& symbol : group) {
    if (mine.count(symbol) != 0 || in.cooling.count(symbol) != 0
        || in.unhealthy.count(symbol) != 0)
      continue;
    for (std::uint32_t r = 0; r < in.replicas; ++r) {
      auto it = present.find({symbol, r});
      if (it == present.end())
        free.push_back(shard_lease{symbol, r, "", 0});
      else if (it->second->holder.empty())
        free.push_back(*it->second);
    }
  }
  sort_by_rank(in.me, free);
  std::vector<shard_lease> left;
  for (auto& lease : free) {
    if (kept.size() + out.take.size() < out.quota
        && mine.insert(lease.symbol).second)
      out.take.push_back(lease);
    else if (mine.count(lease.symbol) == 0)
      left.push_back(lease);
  }
  out.spare = left;
  if (out.take.empty() && !left.empty())
    plan_swap(view, in, members, kept, left, out);
  return out;
}

std::string shard_lease_key(const std::string& symbol, std::uint32_t replica) {
  return "lease." + symbol + "." + std::to_string(replica);
}

std::string shard_member_key(const std::string& id) {
  return "member." + id;
}

bool parse_shard_lease_key(const std::string& key, shard_lease& out) {
  static const std::string prefix = "lease.";
  if (key.compare(0, prefix.size(), prefix) != 0)
    return false;
  auto dot = key.rfind('.');
  if (dot == std::string::npos || dot < prefix.size() + 1
      || dot + 1 == key.size())
    return false;
  std::uint64_t replica = 0;
  for (auto i = dot + 1; i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9' || replica > 1000000)
      return false;
    replica = replica * 10 + static_cast<std::uint64_t>(key[i] - '0');
  }
  out.symbol = key.substr(prefix.size(), dot - prefix.size());
  out.replica = static_cast<std::uint32_t>(replica);
  return true;
}

std::string shard_instance_id(const std::string& wanted) {
  std::string id;
  for (char c : wanted) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-';
    id.push_back(ok ? c : '_');
  }
  return id.empty() ? "instance" : id;
}

std::set<std::string> shard_symbols_of(const std::vector<shard_lease>& held) {
  std::set<std::string> result;
  for (const auto& lease : held)
    result.insert(lease.symbol);
  return result;
}

} // namespace sv
