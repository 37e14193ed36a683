// fuzz_check: the one way a fuzz target reports a violated property (libFuzzer sees the abort).
#pragma once

#include <cstdio>
#include <cstdlib>

/// Aborts with the failed condition and its line when `cond` is false, so libFuzzer
/// stops, reports a crash and writes the input to crash-<sha1>. Any thread.
#define SV_FUZZ_CHECK(cond)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "property violated: %s at %s:%d\n", #cond,          \
                   __FILE__, __LINE__);                                        \
      std::abort();                                                            \
    }                                                                          \
  } while (false)
