// One-time transfer tickets.
//
// The orchestrator mints a ticket per sync with NewTicket() and hands it over
// the authenticated control channel to both agents: to the destination with
// the source agent's public key (Receiver), to the source with the
// destination's data endpoint and public key (RunSender). The destination
// admits one session per ticket: a second Hello with the same ticket, or any
// other ticket, is refused. Tickets are compared in constant time.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace drover::sync {

// 32 random bytes from getrandom(2), as 64 lowercase hex characters.
Result<std::string> NewTicket();

// True when the ticket is 16..256 printable ASCII characters.
bool WellFormedTicket(std::string_view ticket);

bool TicketsEqual(std::string_view a, std::string_view b);

}  // namespace drover::sync
