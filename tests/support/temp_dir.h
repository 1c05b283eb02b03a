// TempDir: a fresh directory under /tmp, removed with everything in it when destroyed.
//
// Thread safety: a value; not shared.
#ifndef WEFT_TESTS_SUPPORT_TEMP_DIR_H_
#define WEFT_TESTS_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace weft::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/weft-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace weft::testing

#endif  // WEFT_TESTS_SUPPORT_TEMP_DIR_H_
