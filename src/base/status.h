// Status helpers shared by every module: errors are absl::Status values and
// never cross a module boundary as exceptions.
#ifndef LIAISON_BASE_STATUS_H_
#define LIAISON_BASE_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LIAISON_STATUS_CONCAT_INNER_(a, b) a##b
#define LIAISON_STATUS_CONCAT_(a, b) LIAISON_STATUS_CONCAT_INNER_(a, b)

// LIAISON_RETURN_IF_ERROR returns the status of `expr` from the enclosing
// function when it is not OK.
#define LIAISON_RETURN_IF_ERROR(expr)                 \
  do {                                                \
    ::absl::Status liaison_status_ = (expr);          \
    if (!liaison_status_.ok()) return liaison_status_; \
  } while (false)

// LIAISON_ASSIGN_OR_RETURN evaluates `rexpr` (an absl::StatusOr<T>), returns
// its status when it is not OK, and otherwise moves its value into `lhs`,
// which may be a declaration (`auto x`) or an existing variable.
#define LIAISON_ASSIGN_OR_RETURN(lhs, rexpr) \
  LIAISON_ASSIGN_OR_RETURN_IMPL_(            \
      LIAISON_STATUS_CONCAT_(liaison_statusor_, __LINE__), lhs, rexpr)

#define LIAISON_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();        \
  lhs = std::move(tmp).value()

#endif  // LIAISON_BASE_STATUS_H_
