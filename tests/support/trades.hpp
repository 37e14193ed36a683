// trades: the one way tests build a `trade`, naming every field they set.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "messages/trade.hpp"

namespace sv::test {

/// The fields of a test trade, each set by name so that two numbers cannot swap places
/// unnoticed: `make_trade(trade_spec{}.id(5).price_e8(100).qty_e8(1).time_ms(1000))`.
/// A field not named keeps `trade{}`'s default, except the symbol ("BTCUSDT").
class trade_spec {
public:
  trade_spec() {
    x_.symbol = "BTCUSDT";
  }

  /// `s`: the symbol, upper case.
  trade_spec& symbol(std::string value) {
    x_.symbol = std::move(value);
    return *this;
  }

  /// `a`, `f` and `l`: the aggregate id and, one trade per aggregate, its first and last
  /// trade id.
  trade_spec& id(std::uint64_t value) {
    x_.agg_id = value;
    x_.first_id = value;
    x_.last_id = value;
    return *this;
  }

  /// `p` in units of 1e-8.
  trade_spec& price_e8(std::int64_t value) {
    x_.price_e8 = value;
    return *this;
  }

  /// `q` in units of 1e-8.
  trade_spec& qty_e8(std::int64_t value) {
    x_.qty_e8 = value;
    return *this;
  }

  /// `T` and `E`: trade and event time, Unix milliseconds.
  trade_spec& time_ms(std::int64_t value) {
    x_.trade_time_ms = value;
    x_.event_time_ms = value;
    return *this;
  }

  /// `m`: true means the aggressor sold.
  trade_spec& buyer_is_maker(bool value) {
    x_.buyer_is_maker = value;
    return *this;
  }

  /// The trade as specified so far.
  const trade& get() const noexcept {
    return x_;
  }

private:
  trade x_;
};

/// The trade `spec` names.
inline trade make_trade(const trade_spec& spec) {
  return spec.get();
}

} // namespace sv::test
