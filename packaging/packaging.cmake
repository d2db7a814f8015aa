# `make install` and `make deb`: what an installation holds and the Debian package around it.
#   PREFIX/sbin/stratusd, PREFIX/bin/stratus
#   PREFIX/lib/stratus/{stratus-lb,stratus-init,stratus-demo-web,stratus-console-relay}    (stratusd finds them there)
#   PREFIX/lib/systemd/system/stratusd.service, /etc/stratus/stratusd.conf
#   PREFIX/share/man/man1/stratus.1, man8/stratusd.8                   (help2man, from --help)
#   PREFIX/share/bash-completion/completions/stratus, PREFIX/share/doc/stratus
# docs/operations.md describes the installation; tests/integration/test_package.py builds and installs it.

# Debian's GNUInstallDirs says lib/x86_64-linux-gnu for a /usr prefix; helper programs live in lib/<package>.
set(STRATUS_LIBEXEC_DIR lib/stratus)

install(TARGETS stratusd DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS stratus DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS stratus-lb stratus-init stratus-demo-web stratus-console-relay DESTINATION ${STRATUS_LIBEXEC_DIR})

# The unit names the installed stratusd and its config file by full paths, so both are placed at install
# time, for the prefix of that install: `make install PREFIX=...`, or /usr for the package (CPack installs
# with DESTDIR). The config goes to /etc for the /usr prefix (as GNUInstallDirs says), else PREFIX/etc.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(STRATUS_CONFIG_DIR /etc/stratus)
  else()
    set(STRATUS_CONFIG_DIR \${CMAKE_INSTALL_PREFIX}/etc/stratus)
  endif()
  set(STRATUS_CONFIG_FILE \${STRATUS_CONFIG_DIR}/stratusd.conf)
  set(STRATUS_SBIN_DIR \${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR})
  configure_file(${CMAKE_CURRENT_LIST_DIR}/systemd/stratusd.service.in ${CMAKE_BINARY_DIR}/packaging/stratusd.service @ONLY)
  file(INSTALL ${CMAKE_BINARY_DIR}/packaging/stratusd.service DESTINATION \${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  file(INSTALL ${CMAKE_CURRENT_LIST_DIR}/stratusd.conf DESTINATION \${STRATUS_CONFIG_DIR})
")
install(FILES ${CMAKE_CURRENT_LIST_DIR}/bash-completion/stratus DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

# Man pages from the binaries' own --help and --version, so that they never disagree with them.
find_program(STRATUS_HELP2MAN help2man)
if(STRATUS_HELP2MAN)
  set(man_dir ${CMAKE_BINARY_DIR}/man)
  add_custom_command(OUTPUT ${man_dir}/stratusd.8
    COMMAND ${CMAKE_COMMAND} -E make_directory ${man_dir}
    COMMAND ${STRATUS_HELP2MAN} --no-info --section=8 --no-discard-stderr
            "--name=the Stratus control plane and host agent" --output=${man_dir}/stratusd.8 $<TARGET_FILE:stratusd>
    DEPENDS stratusd VERBATIM)
  add_custom_command(OUTPUT ${man_dir}/stratus.1
    COMMAND ${CMAKE_COMMAND} -E make_directory ${man_dir}
    COMMAND ${STRATUS_HELP2MAN} --no-info --section=1 --no-discard-stderr
            "--name=the command line of a Stratus compute cloud" --output=${man_dir}/stratus.1 $<TARGET_FILE:stratus>
    DEPENDS stratus VERBATIM)
  add_custom_target(man ALL DEPENDS ${man_dir}/stratusd.8 ${man_dir}/stratus.1)
  install(FILES ${man_dir}/stratusd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
  install(FILES ${man_dir}/stratus.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# The Debian package (`make deb`, or `cpack -G DEB` in the build directory).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stratus)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Stratus maintainers <stratus@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "AWS-style compute cloud for your own Linux machines")
set(CPACK_PACKAGE_DESCRIPTION "Golden images, instances under runc with overlayfs roots, CNI networking and nftables, \
a load balancer, auto scaling groups, CloudWatch metrics and alarms, and the AWS API, run by stratusd under systemd.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)  # the install(CODE) above sees CMAKE_INSTALL_PREFIX=/usr
set(CPACK_STRIP_FILES ON)  # debug info would make the package ten times larger
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)  # seconds to build, where xz takes a minute
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libc, libstdc++, libsqlite3, libssl from the binaries themselves
# What stratusd runs: the OCI runtime, CNI plugins, nftables, ip, busybox (the built-in images).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "runc, containernetworking-plugins, nftables, iproute2, busybox-static")
# Image builds from debian bases (mmdebstrap), OCI import/export (skopeo, umoci), --runtime runsc.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mmdebstrap, skopeo, umoci")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "runsc")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles
  ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
  ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
  ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
