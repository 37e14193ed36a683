// signals: which process signals streamvisor takes, and the one thread that takes them.
#include "app/signals.hpp"

#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include <pthread.h>

#include "actors/core/log.hpp"

namespace sv {

namespace {

/// The named signals taken besides the real-time ones; SIGPIPE is ignored instead.
constexpr std::array named_taken = {
  SIGHUP,    SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,   SIGUSR2, SIGALRM,
  SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGSTKFLT, SIGXCPU, SIGXFSZ,
};

/// True if `n` is 0 or a power of two: the counts at which a repeat is logged.
bool worth_logging(unsigned long n) {
  return (n & (n - 1)) == 0;
}

/// What the signal thread remembers between signals.
struct signal_state {
  std::function<void(int)> on_shutdown;
  std::function<void()> on_reload;
  int exit_code_second = 0;
  bool shutting_down = false;
  std::map<int, unsigned long> ignored; ///< how often each signal came
};

/// Acts on one signal the thread took.
void take(signal_state& st, int signo) {
  auto name = signal_name(signo);
  auto action = action_for(signo);
  if (action == signal_action::reload && !st.shutting_down) {
    SV_INFO("streamvisor", "-", "signal", "signal=%s action=reload",
            name.c_str());
    st.on_reload();
    return;
  }
  if (action != signal_action::graceful_shutdown) {
    auto n = ++st.ignored[signo];
    if (worth_logging(n))
      SV_WARN("streamvisor", "-", "signal",
              "signal=%s action=ignored count=%lu hint=\"%s\"", name.c_str(), n,
              action == signal_action::reload
                ? "shutting down: no reload"
                : "streamvisor stops on SIGTERM, SIGINT or SIGQUIT and "
                  "reloads on SIGHUP");
    return;
  }
  if (!st.shutting_down) {
    st.shutting_down = true;
    SV_INFO("streamvisor", "-", "signal",
            "signal=%s action=graceful_shutdown hint=\"send it again to exit "
            "at once\"",
            name.c_str());
    st.on_shutdown(signo);
    return;
  }
  SV_WARN("streamvisor", "-", "signal",
          "signal=%s action=exit_now exit_code=%d", name.c_str(),
          st.exit_code_second);
  std::_Exit(st.exit_code_second);
}

} // namespace

sigset_t taken_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : named_taken)
    sigaddset(&set, signo);
  for (int signo = SIGRTMIN; signo <= SIGRTMAX; ++signo)
    sigaddset(&set, signo);
  return set;
}

signal_action action_for(int signo) {
  if (signo == SIGINT || signo == SIGTERM || signo == SIGQUIT)
    return signal_action::graceful_shutdown;
  return signo == SIGHUP ? signal_action::reload : signal_action::ignore;
}

std::string signal_name(int signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX)
    return signo == SIGRTMIN ? "SIGRTMIN"
                             : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  if (const char* abbrev = sigabbrev_np(signo); abbrev != nullptr)
    return std::string{"SIG"} + abbrev;
  return "signal " + std::to_string(signo);
}

void take_process_signals() {
  auto set = taken_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::thread start_signal_thread(std::function<void(int)> on_shutdown,
                                std::function<void()> on_reload,
                                int exit_code_second) {
  signal_state state;
  state.on_shutdown = std::move(on_shutdown);
  state.on_reload = std::move(on_reload);
  state.exit_code_second = exit_code_second;
  return std::thread{[state = std::move(state)]() mutable {
    auto set = taken_signals();
    for (;;) {
      int signo = 0;
      if (sigwait(&set, &signo) == 0)
        take(state, signo);
    }
  }};
}

} // namespace sv
