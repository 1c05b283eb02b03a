// Order-preserving key encoding for RocksDB keys.
//
// Integers are written big-endian (signed ones with the sign bit flipped) and strings are
// escaped and terminated so that the byte order of encoded keys equals the tuple order of
// their parts. Every shard-owned key starts with the shard id (see DESIGN.md section 4).
//
//   std::string key = KeyBuilder().U32(shard).Str(ns).Str(wf).Done();
//
// Thread safety: KeyBuilder and KeyReader are values; use one per thread.
#ifndef WEFT_STORAGE_KEY_CODEC_H_
#define WEFT_STORAGE_KEY_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::storage {

class KeyBuilder {
 public:
  KeyBuilder& U32(uint32_t v);
  KeyBuilder& U64(uint64_t v);
  KeyBuilder& I64(int64_t v);
  // Escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x01, so "a" < "a\0" < "ab".
  KeyBuilder& Str(std::string_view s);
  std::string Done() { return std::move(key_); }
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// Reads back what KeyBuilder wrote, in the same order. Each getter returns nullopt when the
// remaining bytes do not hold a value of that kind.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : rest_(key) {}
  std::optional<uint32_t> U32();
  std::optional<uint64_t> U64();
  std::optional<int64_t> I64();
  std::optional<std::string> Str();
  bool AtEnd() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// The smallest key greater than every key that starts with `prefix` (empty if none exists).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace weft::storage

#endif  // WEFT_STORAGE_KEY_CODEC_H_
