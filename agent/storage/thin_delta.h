// Parsing `thin_delta` (thin-provisioning-tools) XML: the blocks that differ
// between two thin devices of one pool.
//
//   <superblock uuid="" time="1" transaction="2" data_block_size="128" nr_data_blocks="..." ...>
//     <diff left="1" right="2">
//       <same begin="0" length="16"/>
//       <different begin="16" length="1"/>
//       <right_only begin="17" length="3"/>
//       <left_only begin="20" length="2"/>
//     </diff>
//   </superblock>
//
// begin/length count the pool's data blocks; data_block_size is in 512-byte
// sectors. Everything but <same> is a change (left_only: the block was
// discarded, it now reads as zeros). The --verbose form (<different> holding
// <range .../> children) is accepted too. Anything else is an
// InvalidArgument. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "agent/storage/storage_driver.h"

namespace drover::storage {

struct ThinDelta {
  uint64_t data_block_bytes = 0;
  std::vector<ByteRange> changed;  // in bytes, normalized
};

Result<ThinDelta> ParseThinDelta(const std::string& xml);

}  // namespace drover::storage
