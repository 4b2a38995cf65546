# Read by llama.cpp's own CMakeLists when llama-cpp-python compiles it (CMAKE_PROJECT_llama.cpp_INCLUDE, set in the
# Makefile). The Python bindings load only libllama and libggml*: llama.cpp's "common" library (and the tools built on
# it) is compiled for nothing, and takes more than half of the build on 2 cores.
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama.cpp common library: not loaded by the Python bindings" FORCE)

# No AMX kernels: llama.cpp requests the AMX tile-data permission on the main thread only, so on Linux kernels that
# grant it per thread (XFD) the first worker thread to run a tile instruction dies with SIGILL (ggml-org/llama.cpp
# #26954, open; seen here on a Xeon with amx_int8: `rag eval` silently fell back to extractive answers). The
# -march=native build turns AMX on wherever the CPU reports it; AVX-512 and VNNI stay on.
include(CheckCCompilerFlag)
check_c_compiler_flag(-mno-amx-int8 NEWSRAG_CAN_DISABLE_AMX)
if (NEWSRAG_CAN_DISABLE_AMX)
    string(APPEND CMAKE_C_FLAGS " -mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
    string(APPEND CMAKE_CXX_FLAGS " -mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
endif()
