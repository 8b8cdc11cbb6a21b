# Reproducible builds (docs/trust.md): two builds of one commit, in any two
# folders, give a bit-identical `liaison`, so that anyone can rebuild a
# partner's announced build and compare digests (scripts/check-reproducible.sh).
#
# What would otherwise differ between two builds, and what removes it:
# - absolute paths, in __FILE__ (asserts, logging) and in debug info:
#   -ffile-prefix-map for the source and the build directory;
# - timestamps in static archives: ar's D flag (deterministic mode);
# - the ELF build id: --build-id=sha1, a hash of the linked contents;
# - the clock: nothing under src/ may use __DATE__, __TIME__ or
#   __TIMESTAMP__ (a ctest checks); where a date is wanted, use
#   kSourceDateEpoch (base/version.h), the commit's time.
#
# Sets LIAISON_GIT_COMMIT (full hash, or "unknown" outside git),
# LIAISON_GIT_COMMIT_SHORT and LIAISON_SOURCE_DATE_EPOCH.

# --- the commit and its time -------------------------------------------------

set(LIAISON_GIT_COMMIT "unknown")
set(LIAISON_GIT_COMMIT_SHORT "")
set(_liaison_commit_time "")
find_package(Git QUIET)
if(GIT_FOUND)
  # Only when the source directory is itself the top of a git work tree: a
  # source tarball unpacked inside some other repository must not take that
  # repository's commit.
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --show-toplevel
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _liaison_git_top OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _liaison_git_rc ERROR_QUIET)
  file(REAL_PATH "${CMAKE_SOURCE_DIR}" _liaison_src_real)
  if(_liaison_git_rc EQUAL 0)
    file(REAL_PATH "${_liaison_git_top}" _liaison_git_top)
  endif()
  if(_liaison_git_rc EQUAL 0 AND _liaison_git_top STREQUAL _liaison_src_real)
    execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%H%n%ct HEAD
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE _liaison_git_log OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE _liaison_git_rc ERROR_QUIET)
    if(_liaison_git_rc EQUAL 0 AND _liaison_git_log MATCHES "^([0-9a-f]+)\n([0-9]+)$")
      set(LIAISON_GIT_COMMIT "${CMAKE_MATCH_1}")
      set(_liaison_commit_time "${CMAKE_MATCH_2}")
      string(SUBSTRING "${LIAISON_GIT_COMMIT}" 0 12 LIAISON_GIT_COMMIT_SHORT)
    endif()
    # Configure again when HEAD moves (a commit, a checkout), so the
    # version never names a commit the sources are not at. HEAD, the ref it
    # points to and packed-refs cover commits, checkouts and fetches.
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --symbolic-full-name HEAD
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE _liaison_head_ref OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET)
    foreach(_liaison_path HEAD packed-refs ${_liaison_head_ref})
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --path-format=absolute
                              --git-path ${_liaison_path}
                      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                      OUTPUT_VARIABLE _liaison_git_file OUTPUT_STRIP_TRAILING_WHITESPACE
                      ERROR_QUIET)
      if(EXISTS "${_liaison_git_file}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_liaison_git_file}")
      endif()
    endforeach()
  endif()
endif()

# SOURCE_DATE_EPOCH (reproducible-builds.org): the caller's, else the
# commit's time, else 0 (a build outside git has no better date that two
# builders would agree on). Exported to the configure-time environment; the
# compiler needs none, since no source uses the clock.
if(DEFINED ENV{SOURCE_DATE_EPOCH} AND "$ENV{SOURCE_DATE_EPOCH}" MATCHES "^[0-9]+$")
  set(LIAISON_SOURCE_DATE_EPOCH "$ENV{SOURCE_DATE_EPOCH}")
elseif(NOT _liaison_commit_time STREQUAL "")
  set(LIAISON_SOURCE_DATE_EPOCH "${_liaison_commit_time}")
else()
  set(LIAISON_SOURCE_DATE_EPOCH 0)
  message(STATUS "liaison: not a git checkout and no SOURCE_DATE_EPOCH; using 0")
endif()
set(ENV{SOURCE_DATE_EPOCH} "${LIAISON_SOURCE_DATE_EPOCH}")

# --- flags ---------------------------------------------------------------------

# The build directory last: when it lies inside the source directory, GCC
# tries the later option first, so generated files map to ./generated/...
# wherever the two directories are.
add_compile_options("-ffile-prefix-map=${CMAKE_SOURCE_DIR}=."
                    "-ffile-prefix-map=${CMAKE_BINARY_DIR}=.")
add_link_options("LINKER:--build-id=sha1")

foreach(_liaison_lang C CXX)
  set(CMAKE_${_liaison_lang}_ARCHIVE_CREATE "<CMAKE_AR> qcD <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${_liaison_lang}_ARCHIVE_APPEND "<CMAKE_AR> qD <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${_liaison_lang}_ARCHIVE_FINISH "<CMAKE_RANLIB> -D <TARGET>")
endforeach()
