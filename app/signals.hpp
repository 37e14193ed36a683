// signals: which process signals streamvisor takes, and the one thread that takes them.
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <thread>

namespace sv {

/// What the signal thread does with a signal it takes.
enum class signal_action {
  graceful_shutdown, ///< SIGINT, SIGTERM, SIGQUIT: close every stream, exit 0
  reload,            ///< SIGHUP: re-read the config file and apply what changed
  ignore, ///< any other asynchronous signal that would end the process
};

/// Every asynchronous signal whose default action ends the process (the hang-up,
/// user, timer, profiling, I/O, power and real-time signals, and the shutdown
/// signals); not the faults (SIGSEGV, SIGBUS, ...) a thread raises on itself.
sigset_t taken_signals();

/// graceful_shutdown for SIGINT, SIGTERM and SIGQUIT; reload for SIGHUP;
/// ignore for the rest.
signal_action action_for(int signo);

/// "SIGTERM", "SIGRTMIN+3", ...; "signal 99" for a number without a name.
std::string signal_name(int signo);

/// Blocks taken_signals() in the calling thread, and so in every thread it starts
/// later, and ignores SIGPIPE (a peer that closes while we write must cost an
/// EPIPE, not the process). Call first thing in main, before any thread exists:
/// a signal that arrives before the signal thread runs then waits for it instead
/// of killing the process by its default action.
void take_process_signals();

/// Starts the thread that sigwait()s for taken_signals(). The first shutdown
/// signal calls `on_shutdown(signo)` (from that thread); a second one exits at
/// once with `exit_code_second` and a log line. SIGHUP calls `on_reload()`
/// (from that thread; it must only hand the work on), unless a shutdown began. Ignored signals are logged: the
/// first of each kind, then every power of two of its count, so a sender in a
/// loop cannot fill the disk. The thread lives until the process exits.
std::thread start_signal_thread(std::function<void(int)> on_shutdown,
                                std::function<void()> on_reload,
                                int exit_code_second);

} // namespace sv
