// SHA-256 (FIPS 180-4) of byte strings, for content hashes that tie every stored dataset, mixture
// and run to the exact bytes it came from. Self-contained so core needs no crypto library.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ctd::util {

// Incremental hasher: feed pieces with update(), then call digest()/hexDigest() once.
class Sha256 {
public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();
    Sha256& update(std::string_view bytes);
    Sha256& update(const void* data, std::size_t size);
    // Finishes the hash; the hasher cannot be updated afterwards.
    Digest digest();
    std::string hexDigest();

private:
    void compress(const std::uint8_t* block);

    std::array<std::uint32_t, 8> m_state;
    std::array<std::uint8_t, 64> m_buffer{};
    std::size_t m_bufferSize = 0;
    std::uint64_t m_totalBytes = 0;
    bool m_finished = false;
};

// Lowercase hex SHA-256 of `bytes` (the same string `sha256sum` prints).
std::string sha256Hex(std::string_view bytes);
std::string toHex(const std::uint8_t* data, std::size_t size);

}  // namespace ctd::util
