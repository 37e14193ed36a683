// fake_market_publisher: records what the feed actor publishes to the bus.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "actors/seams/market_publisher.hpp"

namespace sv::test {

/// Records every publish() in order and answers status() with what the test
/// set. No lock: the feed actor calls it on CAF's deterministic test
/// scheduler, on the test thread, and the test reads it only between runs.
class fake_market_publisher : public market_publisher {
public:
  void publish(std::vector<market_message> messages) override {
    calls.push_back(messages.size());
    for (auto& m : messages)
      published.push_back(std::move(m));
  }

  [[nodiscard]] publisher_status status() const override {
    return answer;
  }

  /// Takes the messages published so far.
  std::vector<market_message> take() {
    auto out = std::move(published);
    published.clear();
    return out;
  }

  std::vector<market_message> published; ///< every message, in order
  std::vector<std::size_t> calls; ///< the size of each publish(), in order
  publisher_status answer;        ///< what status() answers
};

} // namespace sv::test
