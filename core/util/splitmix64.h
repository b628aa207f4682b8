// The project's one seeded generator: splitmix64 with rejection range reduction and written-out
// Fisher-Yates shuffles, so a seed gives the same numbers with every compiler and standard library
// (std distributions and std::shuffle differ between them). The tiny world, mixtures and the
// trainer's data order each derive their own streams from it.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ctd::util {

class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}

    // FNV-1a of a purpose name ("benign/general", "documents"...), mixed into the seed so that each
    // purpose gets its own stream: drawing more for one purpose leaves the others unchanged.
    static std::uint64_t purposeHash(std::string_view purpose) {
        std::uint64_t hash = 0xcbf29ce484222325ULL;
        for (unsigned char c : purpose) hash = (hash ^ c) * 0x100000001b3ULL;
        return hash;
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
    void shuffleFromFront(std::vector<T>& items) {
        for (std::size_t i = 0; i + 1 < items.size(); ++i) {
            const auto j = i + static_cast<std::size_t>(below(items.size() - i));
            std::swap(items[i], items[j]);
        }
    }

    // Fisher-Yates from the back (the textbook order; the tiny world's corpus was drawn with it).
    template <class T>
    void shuffleFromBack(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            const auto j = static_cast<std::size_t>(below(i));
            std::swap(items[i - 1], items[j]);
        }
    }

private:
    std::uint64_t m_state;
};

}  // namespace ctd::util
