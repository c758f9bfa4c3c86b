// Starting and stopping host processes by argument vector (never a shell).
//
// Thread-safe (no shared state). Signals and waits concern only the pids the
// caller names.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::hv {

// Runs argv[0] (searched in PATH) with `argv`, stdin from /dev/null, stdout
// and stderr appended to `log_path`, no other inherited descriptors, default
// signal dispositions and an empty signal mask; waits for it to exit and
// returns its exit status (0..255, or 128+signal). Used for programs that
// daemonize themselves (qemu -daemonize): they exit once the daemon is set up.
// kTimeout if it is still running after `timeout` (it is then killed).
Result<int> RunToCompletion(const std::vector<std::string>& argv, const std::string& log_path,
                            std::chrono::milliseconds timeout);

// Sends `signal` to `pid`; a process that is already gone is fine.
Status SignalProcess(pid_t pid, int signal);

// True once `pid` no longer runs (gone or a zombie) — for processes that are
// not our children (daemons), polled through /proc.
bool ProcessGone(pid_t pid);

// Polls ProcessGone until true or `timeout`; kTimeout then.
Status WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout);

// The last `max_bytes` of a text file, for error messages ("" if unreadable).
std::string TailOfFile(const std::string& path, size_t max_bytes);

}  // namespace drover::hv
