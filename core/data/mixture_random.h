// Seeded sampling for mixtures (util::SplitMix64), so a spec and seed select the same examples
// with every compiler and library. Its own streams: mixture hashes must not move when the world does.
#pragma once
#include "core/util/splitmix64.h"

#include <cstdint>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

namespace ctd::data::mixture_detail {

// Mixture streams: the purpose hash is mixed in and two numbers are skipped (unlike the world's
// streams), which fixes every committed mixture hash.
class SplitMix64 : public util::SplitMix64 {
public:
    using util::SplitMix64::SplitMix64;

    static SplitMix64 forPurpose(std::uint64_t seed, std::string_view purpose) {
        util::SplitMix64 mixer(seed ^ purposeHash(purpose));
        mixer.next();
        return SplitMix64(mixer.next());
    }

    template <class T>
    void shuffle(std::vector<T>& items) { shuffleFromFront(items); }
};

// `count` distinct positions out of [0, size), in draw order (count <= size).
inline std::vector<std::int64_t> samplePositions(SplitMix64& random, std::int64_t size, std::int64_t count) {
    std::vector<std::int64_t> positions(static_cast<std::size_t>(size));
    std::iota(positions.begin(), positions.end(), std::int64_t{0});
    for (std::int64_t i = 0; i < count; ++i) {
        const auto j = i + static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(size - i)));
        std::swap(positions[static_cast<std::size_t>(i)], positions[static_cast<std::size_t>(j)]);
    }
    positions.resize(static_cast<std::size_t>(count));
    return positions;
}

}  // namespace ctd::data::mixture_detail
