// Shared by the fuzz targets: a scratch folder for the files a loader insists on reading, and
// the check that stops the run when an invariant breaks.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace meridian::fuzz {

// An invariant of the code under test: a violation is a finding, so it aborts (libFuzzer then
// saves the input as a crash artifact) after saying which check failed.
#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

// Why an input was refused, printed when MERIDIAN_FUZZ_VERBOSE is set: to check that a seed
// loads (`MERIDIAN_FUZZ_VERBOSE=1 fuzz_config corpus/config/*`). Quiet otherwise: refusals are
// most inputs.
inline void explain(const std::exception& error) {
  static const bool verbose = std::getenv("MERIDIAN_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "refused: %s\n", error.what());
}

// One folder per process under the system temp folder, removed at exit. Fuzz targets never
// write anywhere else.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    path_ =
        std::filesystem::temp_directory_path() / ("meridian-fuzz-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` in the folder (replacing it) and returns the full path.
  std::string write(const std::string& name, std::string_view text) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "fuzz: cannot write %s\n", file.c_str());
      std::abort();
    }
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace meridian::fuzz
