// The tiny world's random numbers: splitmix64 plus our own range reduction and shuffle, so a seed
// gives the same corpus with every compiler and standard library (std distributions do not).
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ctd::data::world {

class Random {
public:
    explicit Random(std::uint64_t seed) : m_state(seed) {}

    // A generator for one purpose (documents, questions...): changing how many numbers one purpose
    // draws must not change what another purpose gets from the same seed.
    static Random forPurpose(std::uint64_t seed, std::string_view purpose) {
        std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a over the purpose name
        for (unsigned char c : purpose) hash = (hash ^ c) * 0x100000001b3ULL;
        Random mixer(seed ^ hash);
        return Random(mixer.next());
    }

    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound) by rejection, so no value is favoured; bound must be > 0.
    std::uint64_t below(std::uint64_t bound) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        std::uint64_t value = next();
        while (value >= limit) value = next();
        return value % bound;
    }

    template <class T>
    const T& pick(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(below(items.size()))];
    }

    // Fisher-Yates written out, as std::shuffle's algorithm differs between libraries.
    template <class T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            const auto j = static_cast<std::size_t>(below(i));
            std::swap(items[i - 1], items[j]);
        }
    }

private:
    std::uint64_t m_state;
};

}  // namespace ctd::data::world
