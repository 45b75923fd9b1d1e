// Segment patterns, shared by the broker (topics) and by anything that grants by pattern:
// a subject is segments split at separators; a pattern segment "*" matches exactly one segment
// and a final "#" matches any rest (zero or more segments).
#pragma once

#include <string_view>
#include <vector>

namespace airssys::rt::pattern {

/// Splits `s` at any of `separators` (empty segments kept: "a..b" gives "a", "", "b").
std::vector<std::string_view> split(std::string_view s, std::string_view separators = "./");

/// True if every segment is non-empty, '*' appears only as a whole segment and '#' only as the
/// whole last segment.
bool valid(const std::vector<std::string_view>& segments) noexcept;

}  // namespace airssys::rt::pattern
