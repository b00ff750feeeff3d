// A fresh folder under $TMPDIR for one test, removed with everything in it when the test ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gvo::test {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// The whole content of a file (empty when it does not exist).
std::vector<std::uint8_t> read_bytes(const std::string& path);
void write_text(const std::string& path, std::string_view text, unsigned mode = 0600);
bool contains(const std::vector<std::uint8_t>& haystack, std::string_view needle);

}  // namespace gvo::test
