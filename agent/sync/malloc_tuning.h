// Allocator settings for a process that runs syncs (the agent, and the
// sync peer that stands in for it in tests and benchmarks).
//
// Every DataBatch frame (a few hundred KiB) is allocated and freed once per
// batch on both sides, and ZeroMQ's CURVE framing does the same again. Above
// glibc's mmap threshold (128 KiB, raised only as far as the largest block
// freed so far) each such buffer was a fresh mapping whose every page faulted
// in and was zeroed, and each free an munmap with its TLB shootdown; memory
// trimmed from the heap's top came back the same way. Keeping blocks up to
// 1 MiB in the heap, and up to 16 MiB of free heap untrimmed, lets every
// batch reuse the last one's pages. Measured on the sender of a 1 GiB
// change-tracked sync: 3,505 page faults before, 2,190 after (the process's
// whole life, start-up included), and no higher peak RSS.
#pragma once

namespace drover::sync {

// Call once, early in main(); a no-op where the allocator ignores mallopt
// (for example under AddressSanitizer).
void TuneMallocForFrames();

}  // namespace drover::sync
