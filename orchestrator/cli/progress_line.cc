#include "orchestrator/cli/progress_line.h"

#include <unistd.h>

namespace drover::cli {

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }

void ProgressLine::Update(const std::string& key, const std::string& text) {
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    out_ << "\r" << text;
    if (text.size() < last_width_) out_ << std::string(last_width_ - text.size(), ' ');
    last_width_ = text.size();
    out_.flush();
    return;
  }
  if (key == last_key_ && now - last_line_ < std::chrono::seconds(5)) return;
  last_key_ = key;
  last_line_ = now;
  out_ << text << "\n";
  out_.flush();
}

void ProgressLine::Finish(const std::string& text) {
  if (terminal_ && last_width_ > 0) out_ << "\r" << std::string(last_width_, ' ') << "\r";
  out_ << text << "\n";
  out_.flush();
}

}  // namespace drover::cli
