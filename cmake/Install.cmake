# `make install` (cmake --install) and the Debian package (cpack -G DEB) of
# one build: the liaison binary, a systemd unit for `liaison node run`
# (packaging/liaison-node@.service.in) and the documentation.
include(GNUInstallDirs)

install(TARGETS liaison RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names the binary by its installed path, which is known only when
# installing: `cmake --install --prefix` and cpack (prefix /usr) change it.
# PREFIX/lib/systemd/system is read by systemd for /usr and /usr/local.
install(CODE "
  set(LIAISON_INSTALL_FULL_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(LIAISON_INSTALL_FULL_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/packaging/liaison-node@.service.in\"
                 \"${CMAKE_BINARY_DIR}/packaging/liaison-node@.service\" @ONLY)
")
install(FILES ${CMAKE_BINARY_DIR}/packaging/liaison-node@.service
        DESTINATION lib/systemd/system)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The .deb: `make deb` (cpack -G DEB in the build folder). Its dependencies
# are the shared libraries the binary links, found by dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME liaison)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "liaison maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "private set intersection between organisations, over pinned TLS")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES OFF)  # the binary stays byte-identical to the build (docs/trust.md)
include(CPack)
