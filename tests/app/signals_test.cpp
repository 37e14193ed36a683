// signals_test: which signals the daemon takes, and what it does with each.
#include "app/signals.hpp"

#include <catch2/catch.hpp>

using namespace sv;

TEST_CASE("every asynchronous signal that would end the process is taken, "
          "the faults and SIGPIPE are not",
          "[signals]") {
  auto set = taken_signals();
  for (int signo : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
                    SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGXCPU, SIGXFSZ,
                    SIGRTMIN, SIGRTMIN + 3, SIGRTMAX})
    CHECK(sigismember(&set, signo) == 1);
  // Faults are raised by a thread on itself and cannot be waited for; SIGPIPE
  // is ignored instead; SIGCHLD and SIGWINCH do not end a process.
  for (int signo : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGCHLD,
                    SIGWINCH, SIGKILL, SIGSTOP})
    CHECK(sigismember(&set, signo) == 0);
}

TEST_CASE("SIGINT, SIGTERM and SIGQUIT shut down gracefully, SIGHUP reloads, "
          "the rest are ignored",
          "[signals]") {
  for (int signo : {SIGINT, SIGTERM, SIGQUIT})
    CHECK(action_for(signo) == signal_action::graceful_shutdown);
  CHECK(action_for(SIGHUP) == signal_action::reload);
  for (int signo : {SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN + 1})
    CHECK(action_for(signo) == signal_action::ignore);
}

TEST_CASE("signals are named as kill -l names them", "[signals]") {
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGUSR1) == "SIGUSR1");
  CHECK(signal_name(SIGRTMIN) == "SIGRTMIN");
  CHECK(signal_name(SIGRTMIN + 3) == "SIGRTMIN+3");
  CHECK(signal_name(200) == "signal 200");
}
