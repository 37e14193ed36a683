// decoding: helpers the decoder and order-book tests share (exact decimals, bounded decodes, printers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/core/decimal.hpp"
#include "actors/wire/frame_decoder.hpp"
#include "messages/depth.hpp"

namespace sv::test {

/// Decodes a copy of `frame` in a heap block of exactly frame.size() bytes, so
/// that AddressSanitizer reports any read past the end of the frame.
template <class Decoder, class Out>
decode_status decode_exact(Decoder& dec, std::string_view frame, Out& out) {
  auto block = std::make_unique<char[]>(frame.size() + (frame.empty() ? 1 : 0));
  std::copy(frame.begin(), frame.end(), block.get());
  return dec.decode(std::string_view{block.get(), frame.size()}, out);
}

/// `text` ("0.35170000") in units of 1e-8; REQUIREs that it parses.
inline std::int64_t e8(const char* text) {
  std::int64_t v = -1;
  REQUIRE(parse_e8(text, v));
  return v;
}

/// `v` written back as compact JSON.
inline std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  v.Accept(writer);
  return std::string{buf.GetString(), buf.GetSize()};
}

inline bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// One key and its raw JSON value, for building frames field by field.
using member = std::pair<std::string, std::string>;

/// `{"k1":v1,"k2":v2,...}` in the members' order.
inline std::string object(const std::vector<member>& members) {
  std::string result = "{";
  for (const auto& [key, value] : members) {
    if (result.size() > 1)
      result += ',';
    result += '"' + key + "\":" + value;
  }
  return result + '}';
}

} // namespace sv::test

namespace Catch {
template <>
struct StringMaker<sv::decode_status> {
  static std::string convert(sv::decode_status x) {
    return sv::to_string(x);
  }
};
template <>
struct StringMaker<sv::price_level> {
  static std::string convert(const sv::price_level& x) {
    return "[" + sv::format_e8(x.price_e8) + ", " + sv::format_e8(x.qty_e8)
           + "]";
  }
};
} // namespace Catch
