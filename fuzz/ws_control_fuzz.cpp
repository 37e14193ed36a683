// ws_control_fuzz: Binance's control messages as a server reads them from any client
// (actors/wire/ws_control), and the answers a client reads.
//
// Checks, for any bytes:
// - decode_control_request either accepts or fills a refusal with a code in 0..3
//   and a message; a refusal of code 3 (not JSON) never carries an id;
// - an accepted request re-encodes to text that decodes to the same request;
// - every answer the server would write for it (result null, list, bool, or the
//   refusal) is read back by decode_control_answer with the same id, code and
//   message;
// - decode_control_answer on the raw bytes never crashes, and combined_stream_name
//   returns a view into the input that holds no quote or backslash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/wire/ws_control.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

void check_answer_reads_back(const std::string& answer, std::uint64_t id) {
  sv::control_answer read;
  SV_FUZZ_CHECK(sv::decode_control_answer(answer, read));
  SV_FUZZ_CHECK(read.ok);
  SV_FUZZ_CHECK(read.id == id);
}

void check_accepted(const sv::control_request& x) {
  auto text = sv::encode_control_request(x);
  sv::control_error error;
  auto again = sv::decode_control_request(text, error);
  SV_FUZZ_CHECK(again.has_value());
  SV_FUZZ_CHECK(again->method == x.method);
  SV_FUZZ_CHECK(again->params == x.params);
  SV_FUZZ_CHECK(again->id == x.id);
  check_answer_reads_back(sv::encode_result_null(x.id), x.id);
  check_answer_reads_back(sv::encode_result_bool(true, x.id), x.id);
  auto list = sv::encode_result_list(x.params, x.id);
  sv::control_answer read;
  SV_FUZZ_CHECK(sv::decode_control_answer(list, read));
  if (x.method == sv::control_method::subscribe
      || x.method == sv::control_method::unsubscribe)
    SV_FUZZ_CHECK(read.result == x.params);
}

void check_refused(const sv::control_error& error) {
  SV_FUZZ_CHECK(error.code >= 0 && error.code <= 3);
  SV_FUZZ_CHECK(!error.msg.empty());
  SV_FUZZ_CHECK(error.code != 3 || !error.id.has_value());
  auto answer = sv::encode_control_error(error);
  sv::control_answer read;
  SV_FUZZ_CHECK(sv::decode_control_answer(answer, read));
  SV_FUZZ_CHECK(!read.ok);
  SV_FUZZ_CHECK(read.id == error.id.value_or(0));
  SV_FUZZ_CHECK(read.error_code == error.code);
  SV_FUZZ_CHECK(read.error_msg == error.msg);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  sv::control_error error;
  auto request = sv::decode_control_request(input, error);
  if (request)
    check_accepted(*request);
  else
    check_refused(error);
  sv::control_answer answer;
  (void) sv::decode_control_answer(input, answer);
  auto name = sv::combined_stream_name(input);
  if (!name.empty()) {
    SV_FUZZ_CHECK(name.data() > input.data()
                  && name.data() + name.size() <= input.data() + input.size());
    SV_FUZZ_CHECK(name.find_first_of("\"\\") == std::string_view::npos);
  }
  return 0;
}
