// Seeded sampling for mixtures: splitmix64, rejection range reduction and a written-out
// Fisher-Yates, so a spec and seed select the same examples with every compiler and library.
// Kept apart from the tiny world's generator: mixture hashes must not move when the world does.
#pragma once
#include <cstdint>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

namespace ctd::data::mixture_detail {

class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}

    // One independent stream per purpose ("benign/general", "order"...): adding a source or
    // drawing more from one purpose leaves what every other purpose draws unchanged.
    static SplitMix64 forPurpose(std::uint64_t seed, std::string_view purpose) {
        std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
        for (unsigned char c : purpose) hash = (hash ^ c) * 0x100000001b3ULL;
        SplitMix64 mixer(seed ^ hash);
        mixer.next();
        return SplitMix64(mixer.next());
    }

    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound), bound > 0, by rejection so that no value is favoured.
    std::uint64_t below(std::uint64_t bound) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        std::uint64_t value = next();
        while (value >= limit) value = next();
        return value % bound;
    }

    // Fisher-Yates from the front: the first k positions are settled after k steps, so a sample
    // of k is a prefix of a sample of k + 1 from the same stream (nested defense sets).
    template <class T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = 0; i + 1 < items.size(); ++i) {
            const auto j = i + static_cast<std::size_t>(below(items.size() - i));
            std::swap(items[i], items[j]);
        }
    }

private:
    std::uint64_t m_state;
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
