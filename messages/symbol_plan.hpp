// symbol_plan, plan_applied: the symbol set a reloaded config asks for, and what changed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/stream_kind.hpp"

namespace sv {

/// The symbols a config file names, each with its streams (SIGHUP reload).
struct symbol_plan {
  std::vector<std::string> symbols; ///< upper case, config order
  /// streams[i] are symbols[i]'s streams (depth only where it wants a book).
  std::vector<std::vector<stream_kind>> streams;
  /// Large-trade thresholds by symbol, for the symbols the plan adds.
  std::map<std::string, std::int64_t> large_trade_quote_e8_by_symbol;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, symbol_plan& x) {
  return f(caf::meta::type_name("symbol_plan"), x.symbols, x.streams,
           x.large_trade_quote_e8_by_symbol);
}

/// What applying a symbol_plan did.
struct plan_applied {
  std::vector<std::string> added;   ///< symbols or streams started
  std::vector<std::string> removed; ///< symbols stopped and dropped
  std::vector<std::string> failed;  ///< "SYMBOL: why", for each that failed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_applied& x) {
  return f(caf::meta::type_name("plan_applied"), x.added, x.removed, x.failed);
}

} // namespace sv
