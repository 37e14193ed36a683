// fake_http_responder: records the api actor's answers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "actors/seams/http_responder.hpp"

namespace sv::test {

class fake_http_responder : public http_responder {
public:
  struct answer {
    int status = 0;
    std::string body;
  };

  void respond(std::uint64_t req_id, int status, std::string body) override {
    answers[req_id] = answer{status, std::move(body)};
  }

  std::map<std::uint64_t, answer> answers;
};

} // namespace sv::test
