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
    media_type type = media_type::json;
  };

  using http_responder::respond;
  void respond(std::uint64_t req_id, int status, std::string body,
               media_type type) override {
    answers[req_id] = answer{status, std::move(body), type};
  }

  std::map<std::uint64_t, answer> answers;
};

} // namespace sv::test
