// wakeup_floor: what this machine charges to receive a paced stream over loopback TCP,
// with no TLS, no WebSocket, no parsing: the floor under any daemon's quiet-rate cost.
//
// A forked sender writes `--per-write` 200-byte messages per write at `--rate` messages
// a second (TCP_NODELAY, like the simulator). The receiver waits in epoll_wait and reads;
// with `--handover` it also wakes a second thread for every read through a mutex and a
// condition variable, the pattern of a network thread handing a batch to an actor
// worker. Prints the receiver's CPU seconds per million messages and per read.
//
//   wakeup_floor --rate 20000 --per-write 2 --seconds 10 [--handover]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t message_bytes = 200; // an aggTrade frame's size

struct options {
  long rate = 20000;
  long per_write = 2;
  long seconds = 10;
  bool handover = false;
};

double timeval_s(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

/// User + system CPU seconds of this process (all its threads).
double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return timeval_s(ru.ru_utime) + timeval_s(ru.ru_stime);
}

/// A socket address as the C socket calls take it.
const sockaddr* as_sockaddr(const sockaddr_in& a) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the C API's shape
  return reinterpret_cast<const sockaddr*>(&a);
}

sockaddr* as_sockaddr(sockaddr_in& a) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the C API's shape
  return reinterpret_cast<sockaddr*>(&a);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: wakeup_floor [--rate N] [--per-write N] "
                       "[--seconds N] [--handover] (N positive)\n");
  std::_Exit(2);
}

options parse(int argc, char** argv) {
  // argv is the C array main() received.
  // NOLINTBEGIN(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  std::vector<std::string> args(argv + 1, argv + argc);
  // NOLINTEND(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    auto value = [&] {
      return i + 1 < args.size() ? std::strtol(args[++i].c_str(), nullptr, 10)
                                 : 0L;
    };
    if (arg == "--rate")
      o.rate = value();
    else if (arg == "--per-write")
      o.per_write = value();
    else if (arg == "--seconds")
      o.seconds = value();
    else if (arg == "--handover")
      o.handover = true;
    else
      usage();
  }
  if (o.rate <= 0 || o.per_write <= 0 || o.seconds <= 0)
    usage();
  return o;
}

/// The sender (a child process): paced writes until the run's messages are out.
[[noreturn]] void send_paced(const sockaddr_in& addr, const options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, as_sockaddr(addr), sizeof addr) != 0)
    ::_exit(1);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::vector<char> buf(message_bytes * static_cast<std::size_t>(o.per_write),
                        'x');
  auto start = std::chrono::steady_clock::now();
  long writes = o.rate * o.seconds / o.per_write;
  for (long i = 0; i < writes; ++i) {
    auto due_ns = static_cast<long long>(i) * o.per_write * 1'000'000'000LL
                  / o.rate;
    std::this_thread::sleep_until(start + std::chrono::nanoseconds{due_ns});
    if (::write(fd, buf.data(), buf.size()) < 0)
      break;
  }
  ::close(fd);
  ::_exit(0);
}

/// A second thread woken once per read, as an actor worker would be.
struct handover_thread {
  std::mutex mutex;
  std::condition_variable wake;
  long pending = 0;
  long taken = 0;
  bool done = false;
  std::thread thread{[this] {
    std::unique_lock<std::mutex> lock{mutex};
    while (!done) {
      wake.wait(lock, [this] { return pending > 0 || done; });
      taken += pending;
      pending = 0;
    }
  }};

  handover_thread() = default;
  handover_thread(const handover_thread&) = delete;
  handover_thread& operator=(const handover_thread&) = delete;
  handover_thread(handover_thread&&) = delete;
  handover_thread& operator=(handover_thread&&) = delete;

  void hand_over() {
    {
      std::lock_guard<std::mutex> lock{mutex};
      ++pending;
    }
    wake.notify_one();
  }

  ~handover_thread() {
    {
      std::lock_guard<std::mutex> lock{mutex};
      done = true;
    }
    wake.notify_one();
    thread.join();
  }
};

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, as_sockaddr(addr), sizeof addr) != 0
      || ::listen(listener, 1) != 0
      || ::getsockname(listener, as_sockaddr(addr), &len) != 0) {
    std::perror("wakeup_floor: listen on 127.0.0.1");
    return 1;
  }
  if (::fork() == 0)
    send_paced(addr, o);
  int conn = ::accept(listener, nullptr, nullptr);
  int ep = ::epoll_create1(0);
  epoll_event interest{};
  interest.events = EPOLLIN;
  interest.data.fd = conn;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, conn, &interest);
  std::vector<char> buf(std::size_t{1} << 16);
  long long bytes = 0;
  long reads = 0;
  auto cpu0 = process_cpu_s();
  {
    std::unique_ptr<handover_thread> worker;
    if (o.handover)
      worker = std::make_unique<handover_thread>();
    for (;;) {
      epoll_event ready{};
      if (::epoll_wait(ep, &ready, 1, -1) <= 0)
        continue;
      auto n = ::read(conn, buf.data(), buf.size());
      if (n <= 0)
        break;
      bytes += n;
      ++reads;
      if (worker)
        worker->hand_over();
    }
  }
  auto cpu = process_cpu_s() - cpu0;
  auto msgs = static_cast<double>(bytes) / message_bytes;
  std::printf("bench=wakeup_floor rate=%ld per_write=%ld handover=%d msgs=%.0f "
              "reads=%ld cpu_s=%.3f cpu_s_per_million=%.2f us_per_read=%.1f\n",
              o.rate, o.per_write, o.handover ? 1 : 0, msgs, reads, cpu,
              cpu / msgs * 1e6, cpu / static_cast<double>(reads) * 1e6);
  return 0;
}
