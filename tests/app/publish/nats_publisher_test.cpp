// nats_publisher_test: the publisher's pure helpers (no NATS server).
#include "app/publish/nats_publisher.hpp"

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("url_without_credentials leaves out user:password@ or token@ and "
          "keeps the scheme, host and port",
          "[nats_publisher]") {
  CHECK(sv::url_without_credentials("nats://user:pw@10.0.0.5:4222")
        == "nats://10.0.0.5:4222");
  CHECK(sv::url_without_credentials("nats://s3cr3t-token@nats.internal:4222")
        == "nats://nats.internal:4222");
  CHECK(sv::url_without_credentials("tls://user:pw@[::1]:4443")
        == "tls://[::1]:4443");
  CHECK(sv::url_without_credentials("user:pw@127.0.0.1:4222")
        == "127.0.0.1:4222");
}

TEST_CASE("url_without_credentials returns a URL without credentials as it is",
          "[nats_publisher]") {
  CHECK(sv::url_without_credentials("nats://127.0.0.1:4222")
        == "nats://127.0.0.1:4222");
  CHECK(sv::url_without_credentials("127.0.0.1:4222") == "127.0.0.1:4222");
  CHECK(sv::url_without_credentials("").empty());
}

// libnats 3.4.1 (natsUrl_Create) splits the user info at the last '@' and
// takes '/' in a password, so "u:p/w@h" and "u:p@ss@h" connect as user u with
// password "p/w" and "p@ss"; split at the first '@', /status and the log
// would show the password (or its tail).
TEST_CASE("url_without_credentials leaves out a password holding '/' or '@', "
          "as libnats reads it",
          "[nats_publisher]") {
  CHECK(sv::url_without_credentials("nats://u:p/w@127.0.0.1:4222")
        == "nats://127.0.0.1:4222");
  CHECK(sv::url_without_credentials("nats://u:p@ss@127.0.0.1:4222")
        == "nats://127.0.0.1:4222");
}
