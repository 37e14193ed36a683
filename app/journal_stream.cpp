// journal_stream: JOURNAL_STREAM against fstat() of the descriptor.
#include "app/journal_stream.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace sv {

namespace {

/// The decimal number at the front of `text` (at least one digit, no sign, no
/// space), consumed from `text`; nullopt if there is none or it overflows.
std::optional<std::uintmax_t> take_number(std::string_view& text) {
  std::uintmax_t value = 0;
  std::size_t n = 0;
  for (; n < text.size() && text[n] >= '0' && text[n] <= '9'; ++n) {
    auto digit = static_cast<std::uintmax_t>(text[n] - '0');
    if (value > (UINTMAX_MAX - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  if (n == 0)
    return std::nullopt;
  text.remove_prefix(n);
  return value;
}

} // namespace

bool is_journal_stream(const char* env, int fd) {
  if (env == nullptr)
    return false;
  std::string_view text{env};
  auto device = take_number(text);
  if (!device || text.empty() || text.front() != ':')
    return false;
  text.remove_prefix(1);
  auto inode = take_number(text);
  if (!inode || !text.empty())
    return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return false;
  return static_cast<std::uintmax_t>(st.st_dev) == *device
         && static_cast<std::uintmax_t>(st.st_ino) == *inode;
}

bool stderr_is_journal() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once in main() before threads.
  return is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

} // namespace sv
