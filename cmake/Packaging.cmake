# Packaging: `cpack -G DEB` in a build tree makes streamvisor_<version>_<arch>.deb
# (scripts/package.sh; docs/operations.md "Installing the package"). Installs to /usr,
# the config to /etc/streamvisor (a conffile: dpkg keeps local edits on upgrade), the
# unit to /lib/systemd/system; dependencies come from dpkg-shlibdeps.
install(FILES config/streamvisor.toml DESTINATION /etc/streamvisor)
install(FILES config/streamvisor.service DESTINATION /lib/systemd/system)
install(FILES README.md docs/architecture.md docs/operations.md
              docs/supervision.md docs/data-integrity.md docs/performance.md
              docs/scale-out.md
              config/prometheus-alerts.yml cmake/deb/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian wants the changelog compressed with gzip -9n (reproducible: no name, no time).
set(sv_changelog_gz "${PROJECT_BINARY_DIR}/changelog.Debian.gz")
add_custom_command(
  OUTPUT "${sv_changelog_gz}"
  COMMAND gzip -9nc "${PROJECT_SOURCE_DIR}/cmake/deb/changelog" > "${sv_changelog_gz}"
  DEPENDS "${PROJECT_SOURCE_DIR}/cmake/deb/changelog"
  VERBATIM)
add_custom_target(sv_deb_changelog ALL DEPENDS "${sv_changelog_gz}")
install(FILES "${sv_changelog_gz}" DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME streamvisor)
set(CPACK_PACKAGE_VENDOR "streamvisor")
set(CPACK_PACKAGE_CONTACT "streamvisor maintainers <maintainers@streamvisor.example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "supervised Binance market-data daemon")
set(CPACK_PACKAGE_DESCRIPTION
    "Keeps one supervised WebSocket stream per configured symbol and stream,\nholds each symbol's trades gap-free, its order-flow metrics and its order\nbook, and answers over a local HTTP API. Includes streamvisor-sim, a local\nexchange simulator for reproducing failures offline.")
# A Debian revision makes it a non-native package (its changelog is changelog.Debian.gz).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/cmake/deb/conffiles;${PROJECT_SOURCE_DIR}/cmake/deb/postinst;${PROJECT_SOURCE_DIR}/cmake/deb/prerm;${PROJECT_SOURCE_DIR}/cmake/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
include(CPack)
