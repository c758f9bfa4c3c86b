// Plain text tables for the terminal: columns as wide as their widest cell.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace drover::cli {

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// 1536 MiB -> "1.5 GiB"; bytes with binary units, one decimal.
std::string HumanBytes(double bytes);

}  // namespace drover::cli
