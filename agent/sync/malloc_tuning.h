// Allocator settings for a process that runs syncs (the agent, and the
// sync peer that stands in for it in tests and benchmarks).
//
// Every DataBatch frame (up to a few MiB, kMaxFrame at most) is allocated
// and freed once per batch on both sides, and ZeroMQ's CURVE framing does
// the same again. Above glibc's mmap threshold (128 KiB, raised only as far
// as the largest block freed so far) each such buffer was a fresh mapping
// whose every page faulted in and was zeroed, and each free an munmap with
// its TLB shootdown; memory trimmed from the heap's top came back the same
// way. Keeping blocks under 16 MiB (twice kMaxFrame) in the heap, and up to
// 32 MiB of free heap untrimmed, lets every batch reuse the last one's pages.
// (Setting either value turns glibc's own adjustment off, so the threshold
// must cover the largest frame: at 1 MiB, the 4 MiB frames of clustered
// changes were mapped afresh every time, and such a round got 60 % slower.)
// Measured on the sender of a 1 GiB change-tracked sync: 3,262 page faults
// before, 2,281 after (the process's whole life, start-up included), with
// no higher peak RSS.
#pragma once

namespace drover::sync {

// Call once, early in main(); a no-op where the allocator ignores mallopt
// (for example under AddressSanitizer).
void TuneMallocForFrames();

}  // namespace drover::sync
