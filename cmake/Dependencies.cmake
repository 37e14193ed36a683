# Finds the Debian packages streamvisor builds against and wraps the ones without CMake packages.
find_package(Threads REQUIRED)

# CAF 0.17.6 ships neither a CMake package nor a pkg-config file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY NAMES caf_core REQUIRED)
add_library(CAF::core UNKNOWN IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)

find_package(libwebsockets CONFIG REQUIRED)   # target websockets_shared
find_package(OpenSSL REQUIRED)
find_package(RapidJSON CONFIG REQUIRED)       # RAPIDJSON_INCLUDE_DIRS only
add_library(sv_rapidjson INTERFACE)
target_include_directories(sv_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
# RapidJSON's SSE4.2 whitespace skipping; every x86-64 machine we run on has it.
target_compile_definitions(sv_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# toml++ (libtomlplusplus-dev): parses the config file and reports the line of every error,
# which a hand-written TOML parser would have to re-implement.
find_package(tomlplusplus CONFIG REQUIRED)

# libnats (libnats-dev 3.4.1): the NATS C client, JetStream included, for the publisher
# (app/publish/). Debian's CMake package for it also names libnats_static.a, which the
# package does not ship, so find_package(cnats) fails: the library is found by hand.
find_path(NATS_INCLUDE_DIR nats/nats.h REQUIRED)
find_library(NATS_LIBRARY NAMES nats REQUIRED)
add_library(cnats::nats UNKNOWN IMPORTED)
set_target_properties(cnats::nats PROPERTIES
  IMPORTED_LOCATION "${NATS_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${NATS_INCLUDE_DIR}")
