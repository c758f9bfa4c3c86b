// Progress for the terminal: one line redrawn in place on a terminal, and a
// plain line per phase change (or every 5 s) when the output is a file or a
// pipe, so logs stay readable.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace drover::cli {

class ProgressLine {
 public:
  ProgressLine(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  // `key` identifies what changed enough to deserve a plain line (a phase).
  void Update(const std::string& key, const std::string& text);
  void Finish(const std::string& text);

 private:
  std::ostream& out_;
  bool terminal_;
  std::string last_key_;
  size_t last_width_ = 0;
  std::chrono::steady_clock::time_point last_line_{};
};

// True when file descriptor 1 is a terminal.
bool StdoutIsTerminal();

}  // namespace drover::cli
