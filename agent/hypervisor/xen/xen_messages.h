// The fixed messages of the `xl migrate` handshake (tools/xl/xl_migrate.c)
// and their exchange over the migration socket.
//
// The receiver's banner goes without a trailing NUL, every later message
// with one; the receiver's report is followed by one status byte (0 =
// unpaused fine). Reads and writes are blocking with a deadline (poll) on a
// plain stream descriptor, which the caller owns. Thread-safe (no state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace drover::hv::xen_wire {

inline constexpr std::string_view kReceiverBanner =
    "xl migration receiver ready, send binary domain data.\n";
inline constexpr std::string_view kReceiverReady = "domain received, ready to unpause";
inline constexpr std::string_view kPermissionToGo = "domain is yours, you are cleared to unpause";
inline constexpr std::string_view kReport = "my copy unpause results are as follows";

enum class Message { kBanner, kReady, kPermissionToGo, kReport };

// The exact bytes of `m` on the wire (banner without NUL, others with).
std::string_view Bytes(Message m);

Status Send(int fd, Message m, std::chrono::milliseconds timeout);
// Reads exactly Bytes(m) and checks them. kUnavailable on EOF (the peer went
// away), kInvalidArgument on other bytes, kTimeout at the deadline.
Status Expect(int fd, Message m, std::chrono::milliseconds timeout);

Status SendReport(int fd, uint8_t rc, std::chrono::milliseconds timeout);
// kReport followed by its status byte.
Result<uint8_t> ExpectReport(int fd, std::chrono::milliseconds timeout);

}  // namespace drover::hv::xen_wire
