// streamvisor-nats-tail: reads streamvisor's JetStream stream with a durable consumer that resumes after a restart.
//
// The C++ example of docs/scale-out.md, and the reader the NATS tests check the
// stream with. Usage:
//
//   streamvisor-nats-tail --url nats://127.0.0.1:4222 --durable bot1
//       [--stream MARKETDATA] [--subject md.binance.spot.BTCUSDT.trade]
//       [--count N] [--idle-ms MS]
//
// Prints one line per message, "<stream sequence> <Nats-Msg-Id> <payload>", and
// acknowledges it. The consumer `--durable` lives in the server: started again
// with the same name, it goes on after the last message acknowledged (a message
// printed but not acknowledged when the process died comes again; a bot that
// must not act twice skips stream sequences it has already handled). Stops after
// --count messages, or after --idle-ms without one; otherwise runs until killed.
// Exit 0, or 1 with a reason on stderr.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nats/nats.h>

namespace {

struct options {
  std::string url = "nats://127.0.0.1:4222";
  std::string stream = "MARKETDATA";
  std::string subject = "md.>";
  std::string durable;
  std::uint64_t count = 0;  ///< 0: no limit
  std::int64_t idle_ms = 0; ///< 0: wait for ever
};

constexpr int fetch_batch = 256;
constexpr std::int64_t fetch_timeout_ms = 500;

int usage(const char* why) {
  std::fprintf(stderr,
               "streamvisor-nats-tail: %s\nusage: streamvisor-nats-tail --url "
               "URL --durable NAME [--stream S] [--subject SUBJ] [--count N] "
               "[--idle-ms MS]\n",
               why);
  return 1;
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    // NOLINTBEGIN(cppcoreguidelines-pro-bounds-pointer-arithmetic): main's argv
    std::string_view key = argv[i];
    const char* value = argv[i + 1];
    // NOLINTEND(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (key == "--url")
      o.url = value;
    else if (key == "--stream")
      o.stream = value;
    else if (key == "--subject")
      o.subject = value;
    else if (key == "--durable")
      o.durable = value;
    else if (key == "--count")
      o.count = std::strtoull(value, nullptr, 10);
    else if (key == "--idle-ms")
      o.idle_ms = std::strtoll(value, nullptr, 10);
    else
      return false;
  }
  return argc % 2 == 1 && !o.durable.empty();
}

int fail(const char* what, natsStatus s) {
  std::fprintf(stderr, "streamvisor-nats-tail: %s: %s (%s)\n", what,
               natsStatus_GetText(s), nats_GetLastError(nullptr));
  return 1;
}

/// Prints and acknowledges one message; false if it has no JetStream metadata.
bool print_and_ack(natsMsg* msg) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
    return false;
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK)
    id = "-";
  std::printf("%llu %s %.*s\n",
              static_cast<unsigned long long>(meta->Sequence.Stream), id,
              natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
  jsMsgMetaData_Destroy(meta);
  // Acknowledged after it was handled: the durable consumer resumes after it.
  natsMsg_Ack(msg, nullptr);
  return true;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse(argc, argv, o))
    return usage("bad arguments");
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, o.url.c_str());
  if (s != NATS_OK)
    return fail("connect", s);
  s = natsConnection_JetStream(&js, nc, nullptr);
  if (s != NATS_OK)
    return fail("jetstream", s);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = o.stream.c_str();
  auto code = static_cast<jsErrCode>(0);
  s = js_PullSubscribe(&sub, js, o.subject.c_str(), o.durable.c_str(), nullptr,
                       &so, &code);
  if (s != NATS_OK)
    return fail("subscribe", s);
  std::uint64_t printed = 0;
  std::int64_t idle_ms = 0;
  int exit_code = 0;
  while (o.count == 0 || printed < o.count) {
    natsMsgList list{};
    int want = fetch_batch;
    if (o.count > 0 && o.count - printed < static_cast<std::uint64_t>(want))
      want = static_cast<int>(o.count - printed);
    s = natsSubscription_Fetch(&list, sub, want, fetch_timeout_ms, &code);
    if (s == NATS_TIMEOUT) {
      idle_ms += fetch_timeout_ms;
      if (o.idle_ms > 0 && idle_ms >= o.idle_ms)
        break;
      continue;
    }
    if (s != NATS_OK) {
      exit_code = fail("fetch", s);
      break;
    }
    idle_ms = 0;
    for (int i = 0; i < list.Count; ++i)
      // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): libnats's array
      if (print_and_ack(list.Msgs[i]))
        ++printed;
    natsMsgList_Destroy(&list);
  }
  std::fflush(stdout);
  // The acks are on their way; make sure the server has them before closing.
  natsConnection_FlushTimeout(nc, 2000);
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  return exit_code;
}
