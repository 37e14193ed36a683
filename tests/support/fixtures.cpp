// fixtures: locates and reads the Binance fixture files under SV_FIXTURES_DIR.
#include "tests/support/fixtures.hpp"

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#ifndef SV_FIXTURES_DIR
#  error                                                                       \
    "SV_FIXTURES_DIR must name the fixture directory (tests/CMakeLists.txt sets it)"
#endif

namespace sv::test {

std::string fixtures_dir_configured() {
  return SV_FIXTURES_DIR;
}

std::optional<std::string> fixtures_dir() {
  std::error_code ec;
  std::string dir = SV_FIXTURES_DIR;
  if (std::filesystem::is_directory(dir, ec))
    return dir;
  return std::nullopt;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw std::runtime_error("cannot open " + path);
  // Sized read: istreambuf_iterator trips GCC 12's -Wnull-dereference in
  // libstdc++.
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  in.seekg(0, std::ios::beg);
  std::string text(static_cast<std::size_t>(size < 0 ? 0 : size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size())))
    throw std::runtime_error("cannot read " + path);
  return text;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::istringstream in{read_file(path)};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      lines.push_back(std::move(line));
  }
  return lines;
}

} // namespace sv::test
