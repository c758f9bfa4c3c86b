// The storage driver's change list, asked region by region for a send's
// change-tracked discovery (sync::ChangeBase::find_changed_in).
//
// Drivers that answer per region cheaply (the file driver: FIEMAP of the
// region in both snapshots) are asked per region; the others (LVM:
// thin_delta reads the whole metadata) are asked once for the whole list on
// the first call, which later regions then look up. A driver that cannot
// tell, or fails, makes every call fail: the send then hashes those regions.
// The first call does the driver's I/O, so the finder is built cheaply on
// the agent's loop and run on the sender's discovery thread. One thread at a
// time; calls come in ascending order.
#pragma once

#include <string>

#include "agent/storage/storage_driver.h"
#include "agent/sync/discover.h"

namespace drover::agent {

using RegionFinder =
    std::function<Result<std::vector<sync::ByteRange>>(uint64_t begin, uint64_t end)>;

// `driver` must outlive the finder.
RegionFinder RegionChangeFinder(storage::StorageDriver* driver, std::string pool, std::string from,
                                std::string to);

}  // namespace drover::agent
