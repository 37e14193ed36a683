// journal_stream: whether stderr is connected to systemd's journal, for the log lines'
// priority prefixes (journalctl -p warning).
#pragma once

namespace sv {

/// True if `fd` is the stream systemd names in JOURNAL_STREAM, whose value `env`
/// is "<device>:<inode>" of that stream (systemd.exec(5)); false if `env` is null,
/// malformed or names another file (stderr redirected elsewhere after systemd
/// started the process), or `fd` cannot be stat'ed. Any thread.
bool is_journal_stream(const char* env, int fd);

/// is_journal_stream(getenv("JOURNAL_STREAM"), STDERR_FILENO). Call before other
/// threads may change the environment (in practice at the start of main()).
bool stderr_is_journal();

} // namespace sv
