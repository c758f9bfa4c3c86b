// drover-diskcheck IMAGE [--last N]: checks a disk written by the test guest.
// Exit status: 0 no torn and no lost write; 1 problems found (listed);
// 2 bad usage or unreadable image.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "tests/guest/disk_check.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: drover-diskcheck IMAGE [--last N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string image;
  std::optional<uint64_t> last;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--last" && i + 1 < argc) {
      char* end = nullptr;
      last = std::strtoull(argv[++i], &end, 10);
      if (*end != '\0') return Usage();
    } else if (image.empty() && !arg.empty() && arg[0] != '-') {
      image = arg;
    } else {
      return Usage();
    }
  }
  if (image.empty()) return Usage();
  auto report = drover::guest::CheckImageFile(image, last);
  if (!report) {
    std::fprintf(stderr, "drover-diskcheck: %s\n", report.error().ToString().c_str());
    return 2;
  }
  for (const auto& p : report->problems)
    std::printf("%s: %s\n", image.c_str(), p.ToString().c_str());
  std::printf("diskcheck %s %s\n", image.c_str(), report->Summary().c_str());
  return report->ok() ? 0 : 1;
}
