# sv_warnings: the warning flags every streamvisor target links (see STYLE.md "Build").
add_library(sv_warnings INTERFACE)
target_compile_options(sv_warnings INTERFACE
  -Wall -Wextra -Wpedantic          # the baseline
  -Wshadow                          # a local hiding a member has bitten actor state before
  -Wconversion                      # fixed-point arithmetic must not narrow silently
  -Wold-style-cast                  # casts must say which kind they are
  -Wnon-virtual-dtor                # the transport seam is a polymorphic interface
  -Woverloaded-virtual
  -Wnull-dereference
  -Wimplicit-fallthrough            # state switches must say when they fall through
  -Wformat=2)                       # log formatting goes through printf-style calls
if(SV_WERROR)
  target_compile_options(sv_warnings INTERFACE -Werror)
endif()
