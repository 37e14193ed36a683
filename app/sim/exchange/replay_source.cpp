// replay_source: the lines of a --replay JSONL file, each sent verbatim as one text frame.
#include "app/sim/exchange/replay_source.hpp"

#include <fstream>

namespace sv {

std::optional<std::vector<std::string>> load_replay(const std::string& path,
                                                    std::string& error,
                                                    std::size_t lines_max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      continue;
    if (lines.size() >= lines_max) {
      error = path + " holds more than " + std::to_string(lines_max) + " lines";
      return std::nullopt;
    }
    lines.push_back(std::move(line));
  }
  if (in.bad()) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  return lines;
}

} // namespace sv
