// TempDir: a fresh directory under $TMPDIR (default /tmp) for a benchmark's RocksDB store,
// removed with its contents by the destructor.
//
// It sits on the same file system as a server's data directory would, so fsync costs what
// it costs there (a tmpfs would make synced writes look free).
//
// Thread safety: none; owned by the benchmark that created it.
#ifndef WEFT_BENCH_MICRO_TEMP_DIR_H_
#define WEFT_BENCH_MICRO_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace weft::bench {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/weft-micro-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when the directory could not be created.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace weft::bench

#endif  // WEFT_BENCH_MICRO_TEMP_DIR_H_
