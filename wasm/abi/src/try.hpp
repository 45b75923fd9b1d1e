// Error propagation for Result<T> in this library's sources (private).
#pragma once

#include <utility>

#include <airssys/error.hpp>

/// `AIRSSYS_TRY(auto x, expr);` binds the value of a Result or returns its error.
#define AIRSSYS_CONCAT_(a, b) a##b
#define AIRSSYS_CONCAT(a, b) AIRSSYS_CONCAT_(a, b)
#define AIRSSYS_TRY(decl, expr) AIRSSYS_TRY_IMPL(decl, expr, AIRSSYS_CONCAT(airssys_try_, __LINE__))
#define AIRSSYS_TRY_IMPL(decl, expr, tmp)                                 \
  auto tmp = (expr);                                                      \
  if (!tmp) return tl::unexpected(std::move(tmp.error()));                \
  decl = std::move(*tmp)
/// `AIRSSYS_CHECK(expr);` returns the error of a Result<void>.
#define AIRSSYS_CHECK(expr)                                                          \
  do {                                                                               \
    if (auto airssys_check_ = (expr); !airssys_check_)                               \
      return tl::unexpected(std::move(airssys_check_.error()));                      \
  } while (0)
