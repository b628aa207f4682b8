// Counter-based dropout mask shared by the CUDA kernels, the ATen path and the C++ reference:
// whether element i is kept is a pure function of (seed, i), so the backward pass regenerates
// the mask instead of storing it, and every implementation draws the same mask.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define CTD_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define CTD_HOST_DEVICE inline
#endif

namespace ctd::kernels {

// A 32-bit integer finalizer (xor-shift-multiply). Both multipliers are below 2^31 so that the ATen
// path can evaluate it exactly in int64 arithmetic.
inline constexpr std::uint32_t kDropoutMultiplier1 = 0x7feb352dU;
inline constexpr std::uint32_t kDropoutMultiplier2 = 0x2c1b3c6dU;

CTD_HOST_DEVICE std::uint32_t dropoutMix(std::uint32_t v) {
    v ^= v >> 16;
    v *= kDropoutMultiplier1;
    v ^= v >> 15;
    v *= kDropoutMultiplier2;
    v ^= v >> 16;
    return v;
}

// Per-call constants: two keys derived from the seed and the keep threshold on 24 random bits.
struct DropoutKey {
    std::uint32_t key1 = 0;
    std::uint32_t key2 = 0;
    std::uint32_t threshold = 0;  // element kept when its 24 random bits are >= threshold
    float keepScale = 1.0f;       // 1 / (1 - p), applied to kept elements

    static DropoutKey make(std::uint64_t seed, double probability) {
        DropoutKey key;
        key.key1 = dropoutMix(static_cast<std::uint32_t>(seed) ^ 0x9e3779b9U);
        key.key2 = dropoutMix(static_cast<std::uint32_t>(seed >> 32) ^ key.key1);
        key.threshold = static_cast<std::uint32_t>(probability * 16777216.0 + 0.5);
        key.keepScale = probability < 1.0 ? static_cast<float>(1.0 / (1.0 - probability)) : 0.0f;
        return key;
    }
};

// Two rounds keyed by the seed, so that masks of different seeds are not shifted copies.
CTD_HOST_DEVICE std::uint32_t dropoutBits(const DropoutKey& key, std::uint64_t index) {
    const std::uint32_t low = static_cast<std::uint32_t>(index);
    const std::uint32_t high = static_cast<std::uint32_t>(index >> 32);
    return dropoutMix(dropoutMix(low ^ key.key1) ^ high ^ key.key2);
}

CTD_HOST_DEVICE bool dropoutKeeps(const DropoutKey& key, std::uint64_t index) {
    return (dropoutBits(key, index) >> 8) >= key.threshold;
}

}  // namespace ctd::kernels
