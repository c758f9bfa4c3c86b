#include "agent/sync/malloc_tuning.h"

#include <malloc.h>

namespace drover::sync {

void TuneMallocForFrames() {
  // Either may be refused (another allocator); the defaults then stand.
  (void)::mallopt(M_MMAP_THRESHOLD, 16 << 20);
  (void)::mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

}  // namespace drover::sync
