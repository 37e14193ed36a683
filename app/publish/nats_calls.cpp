// nats_calls: small libnats 3.4.1 helpers shared by the publisher and the shard member.
#include "app/publish/nats_calls.hpp"

#include "actors/wire/market_subjects.hpp"

namespace sv {

std::string nats_error_text(natsStatus s) {
  std::string out = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && out != last)
    out.append(": ").append(last);
  return out;
}

natsStatus create_nats_options(natsOptions*& opts, const std::string& url,
                               const char* name) {
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK)
    s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetName(opts, name);
  return s;
}

std::optional<std::uint64_t>
last_ordinal_on(jsCtx* js, const std::string& stream,
                const std::string& subject, std::string& error) {
  natsMsg* last = nullptr;
  auto code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&last, js, stream.c_str(), subject.c_str(),
                               nullptr, &code);
  // libnats 3.4.1 answers NOT_FOUND only for "no message on the subject".
  if (s == NATS_NOT_FOUND)
    return std::uint64_t{0};
  if (s != NATS_OK) {
    error = nats_error_text(s);
    return std::nullopt;
  }
  const char* id = nullptr;
  std::uint64_t ordinal = 0;
  if (natsMsgHeader_Get(last, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr)
    ordinal = ordinal_of_msg_id(id);
  natsMsg_Destroy(last);
  return ordinal;
}

} // namespace sv
