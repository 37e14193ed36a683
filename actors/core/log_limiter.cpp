// log_limiter: decides which repeated log lines are written and which are only counted.
#include "actors/core/log_limiter.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace sv {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || c == '_';
}

} // namespace

log_limiter::log_limiter(options opts) : opts_(opts) {
  assert(opts_.window_ms > 0);
  assert(opts_.groups_max > 0);
}

std::string log_limiter::similarity_key(std::string_view line) {
  std::string key;
  key.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    // A token that starts with a digit (17, 0x7f3a, 3ms) is a value, not words.
    bool token_start = i == 0 || !is_word(line[i - 1]);
    if (token_start && is_digit(line[i])) {
      while (i < line.size() && is_word(line[i]))
        ++i;
      key.push_back('#');
      continue;
    }
    key.push_back(line[i]);
    ++i;
  }
  return key;
}

void log_limiter::summarise(const group& g, std::vector<summary>& out) {
  if (g.suppressed > 0)
    out.push_back(
      summary{g.sample, g.suppressed, g.last_ms - g.window_start_ms});
}

log_limiter::verdict log_limiter::admit(std::string_view line,
                                        std::int64_t now_ms) {
  verdict result;
  auto key = similarity_key(line);
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const group& g) { return g.key == key; });
  if (it == groups_.end() && groups_.size() >= opts_.groups_max) {
    // Make room: forget groups whose window is over (their counts come out now).
    result.summaries = flush(now_ms);
    it = std::find_if(groups_.begin(), groups_.end(),
                      [](const group& g) { return g.key == overflow_sample; });
  }
  bool full = groups_.size() >= opts_.groups_max;
  if (it == groups_.end() && full) {
    // Every group is in its window: the line joins the overflow group.
    groups_.push_back(group{std::string(overflow_sample),
                            std::string(overflow_sample), now_ms, now_ms, 0});
    it = groups_.end() - 1;
    it->suppressed = 1;
    return result;
  }
  if (it == groups_.end()) {
    groups_.push_back(
      group{std::move(key), std::string(line), now_ms, now_ms, 0});
    result.write = true;
    return result;
  }
  if (now_ms - it->window_start_ms < opts_.window_ms) {
    ++it->suppressed;
    it->last_ms = now_ms;
    return result;
  }
  // The group's window is over: its count comes out and a new window begins with
  // this line.
  summarise(*it, result.summaries);
  it->sample = std::string(line);
  it->window_start_ms = now_ms;
  it->last_ms = now_ms;
  it->suppressed = 0;
  result.write = it->key != overflow_sample;
  if (!result.write)
    it->suppressed = 1;
  return result;
}

std::vector<log_limiter::summary> log_limiter::flush(std::int64_t now_ms,
                                                     bool all) {
  std::vector<summary> out;
  auto over = [&](const group& g) {
    return all || now_ms - g.window_start_ms >= opts_.window_ms;
  };
  for (const auto& g : groups_)
    if (over(g))
      summarise(g, out);
  groups_.erase(std::remove_if(groups_.begin(), groups_.end(), over),
                groups_.end());
  return out;
}

} // namespace sv
