// Small helpers between Status and Result for the hypervisor drivers.
#pragma once

#include "common/status.h"

namespace drover::hv {

// The Status of a Result: Ok, or its error.
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r ? Status::Ok() : r.error();
}

}  // namespace drover::hv

// Like ASSIGN_OR_RETURN, in a function that returns Status.
#define HV_ASSIGN_OR_RETURN_STATUS(lhs, expr)                                                   \
  auto DROVER_CONCAT(hv_result_, __LINE__) = (expr);                                            \
  if (!DROVER_CONCAT(hv_result_, __LINE__)) return DROVER_CONCAT(hv_result_, __LINE__).error(); \
  lhs = std::move(*DROVER_CONCAT(hv_result_, __LINE__))
