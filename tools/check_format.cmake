# Fails when a C++ file under the project's folders is not formatted as .clang-format says.
# Usage: cmake -DROOT=<tree> -DCLANG_FORMAT=<clang-format> -P tools/check_format.cmake
set(files)
foreach(dir cdp storage ingest api tools tests bench)
  file(GLOB_RECURSE found "${ROOT}/${dir}/*.h" "${ROOT}/${dir}/*.cc")
  list(APPEND files ${found})
endforeach()
list(FILTER files EXCLUDE REGEX "/layering_fixture/")
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files}
                RESULT_VARIABLE result ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "clang-format: files need formatting (run tools/format.sh):\n${errors}")
endif()
list(LENGTH files count)
message(STATUS "clang-format: ${count} files ok")
