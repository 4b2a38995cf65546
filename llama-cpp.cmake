# Read by llama.cpp's own CMakeLists when llama-cpp-python compiles it (CMAKE_PROJECT_llama.cpp_INCLUDE, set in the
# Makefile). The Python bindings load only libllama and libggml*: llama.cpp's "common" library (and the tools built on
# it) is compiled for nothing, and takes more than half of the build on 2 cores.
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama.cpp common library: not loaded by the Python bindings" FORCE)
