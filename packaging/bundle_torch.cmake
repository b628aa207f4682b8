# Install-time step of -DCTD_PACKAGE_BUNDLE_TORCH=ON (see packaging/CMakeLists.txt): copies the
# torch libraries and everything they and ctd need outside the system folders into lib/ctd/libtorch.
# Inputs, set by the install(CODE) that includes this file: ctd_bundle_executables (the build-tree
# binaries, whose build RUNPATH still finds torch and CUDA), ctd_torch_libraries, ctd_libtorch_dir.
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES ${ctd_bundle_executables}
  LIBRARIES ${ctd_torch_libraries}
  DIRECTORIES "${ctd_libtorch_dir}"
  RESOLVED_DEPENDENCIES_VAR ctd_resolved
  UNRESOLVED_DEPENDENCIES_VAR ctd_unresolved
  CONFLICTING_DEPENDENCIES_PREFIX ctd_conflict
  # System libraries come from Debian packages (the Depends line); the driver's libcuda never travels.
  POST_EXCLUDE_REGEXES "^/lib/" "^/lib64/" "^/usr/lib/" "^/usr/lib64/" "libcuda\\.so")
list(APPEND ctd_resolved ${ctd_torch_libraries})
# Found twice (e.g. libcudart in the nvidia wheel and in a CUDA toolkit): the wheel's copy is the
# one torch was built and tested with.
foreach(name IN LISTS ctd_conflict_FILENAMES)
  set(choice "")
  foreach(candidate IN LISTS ctd_conflict_${name})
    if(NOT choice OR candidate MATCHES "/nvidia/")
      set(choice "${candidate}")
    endif()
  endforeach()
  list(APPEND ctd_resolved "${choice}")
endforeach()
# cuDNN and NVRTC dlopen parts of themselves: take the whole nvidia-* wheel folders that are used.
foreach(library IN LISTS ctd_resolved)
  if(library MATCHES "^(.*/nvidia/[^/]+/lib)/[^/]+$")
    file(GLOB siblings "${CMAKE_MATCH_1}/*.so*")
    list(APPEND ctd_resolved ${siblings})
  endif()
endforeach()
list(REMOVE_DUPLICATES ctd_resolved)
list(FILTER ctd_unresolved EXCLUDE REGEX "^libcuda\\.so")
if(ctd_unresolved)
  message(WARNING "ctd: torch bundle: libraries not found: ${ctd_unresolved}")
endif()
list(LENGTH ctd_resolved count)
message(STATUS "ctd: bundling ${count} libraries into lib/ctd/libtorch")
# Flat in one folder: torch's and the nvidia wheels' libraries carry $ORIGIN in their RPATH.
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/ctd/libtorch" TYPE SHARED_LIBRARY
  FOLLOW_SYMLINK_CHAIN FILES ${ctd_resolved})
