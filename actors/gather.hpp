// gather: ask N actors the same request with a timeout, continue once with every answer.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/sec.hpp>

namespace sv {

/// Asks each of `targets` the request `xs...` with `timeout` and calls
/// `k(replies)` exactly once, where `replies[i]` is `targets[i]`'s answer or
/// its error (`caf::sec::request_timeout` when it did not answer in time).
/// `k` runs inside `self` (the asking actor) after every target has answered
/// or failed; with no targets it runs at once, before gather returns. If
/// `self` terminates first, `k` never runs. Call only from `self`'s own
/// handlers. Used by the supervisor's and the api actor's status answers.
template <class Reply, class Self, class Handle, class Timeout,
          class Continuation, class... Ts>
void gather(Self self, const std::vector<Handle>& targets, Timeout timeout,
            Continuation k, const Ts&... xs) {
  using replies_t = std::vector<caf::expected<Reply>>;
  // Every slot starts as a timeout and is overwritten by its answer.
  replies_t replies(targets.size(), caf::make_error(caf::sec::request_timeout));
  if (targets.empty()) {
    k(replies);
    return;
  }
  struct pending {
    replies_t replies; ///< in the order of `targets`
    std::size_t left;  ///< targets that have neither answered nor failed
    Continuation k;    ///< called when `left` reaches 0
  };
  auto p = std::make_shared<pending>(
    pending{std::move(replies), targets.size(), std::move(k)});
  auto arrived = [p](std::size_t i, caf::expected<Reply> x) {
    p->replies[i] = std::move(x);
    if (--p->left == 0)
      p->k(p->replies);
  };
  for (std::size_t i = 0; i < targets.size(); ++i)
    self->request(targets[i], timeout, xs...)
      .then([=](Reply& x) { arrived(i, std::move(x)); },
            [=](caf::error& err) { arrived(i, std::move(err)); });
}

} // namespace sv
