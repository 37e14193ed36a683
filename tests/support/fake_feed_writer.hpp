// fake_feed_writer: records what the feed actor writes to its clients.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "actors/seams/feed_writer.hpp"

namespace sv::test {

class fake_feed_writer : public feed_writer {
public:
  /// A close the feed actor asked for.
  struct closing {
    std::uint16_t code = 0;
    std::string reason;
  };

  void send(std::uint64_t client, std::vector<feed_frame> frames) override {
    auto& out = sent[client];
    for (auto& f : frames)
      out.push_back(*f);
  }

  void close(std::uint64_t client, std::uint16_t code,
             std::string reason) override {
    closed[client] = closing{code, std::move(reason)};
  }

  [[nodiscard]] std::size_t backlog_bytes(std::uint64_t client) const override {
    auto it = backlog.find(client);
    return it == backlog.end() ? 0 : it->second;
  }

  /// Takes the frames sent to `client` so far.
  std::vector<std::string> take(std::uint64_t client) {
    auto out = std::move(sent[client]);
    sent[client].clear();
    return out;
  }

  std::map<std::uint64_t, std::vector<std::string>> sent;
  std::map<std::uint64_t, closing> closed;
  /// What backlog_bytes answers, set by a test to play a slow client.
  std::map<std::uint64_t, std::size_t> backlog;
};

} // namespace sv::test
