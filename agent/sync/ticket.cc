#include "agent/sync/ticket.h"

#include <sys/random.h>

#include <cerrno>

namespace drover::sync {

Result<std::string> NewTicket() {
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(ErrnoStatus("getrandom", errno));
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += {kHex[c >> 4], kHex[c & 15]};
  return out;
}

bool WellFormedTicket(std::string_view ticket) {
  if (ticket.size() < 16 || ticket.size() > 256) return false;
  for (char c : ticket) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool TicketsEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace drover::sync
