// temp_dir: a fresh directory for one test, removed with its content when the test ends.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace sv::test {

/// A fresh empty directory in the temp directory, named `<prefix><pid>_<n>` so that
/// parallel test programs and tests do not meet; removed with its content (errors
/// ignored) by the destructor.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& prefix) {
    static std::atomic<int> counter{0};
    path
      = std::filesystem::temp_directory_path()
        / (prefix + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir(temp_dir&&) = delete;
  temp_dir& operator=(temp_dir&&) = delete;

  /// The path of `name` inside the directory.
  [[nodiscard]] std::string file(const char* name) const {
    return (path / name).string();
  }
};

} // namespace sv::test
