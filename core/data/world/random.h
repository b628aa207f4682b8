// The tiny world's random numbers (util::SplitMix64): a seed gives the same corpus everywhere.
#pragma once
#include "core/util/splitmix64.h"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ctd::data::world {

class Random : public util::SplitMix64 {
public:
    using util::SplitMix64::SplitMix64;

    // A generator for one purpose (documents, questions...): changing how many numbers one purpose
    // draws must not change what another purpose gets from the same seed.
    static Random forPurpose(std::uint64_t seed, std::string_view purpose) {
        Random mixer(seed ^ purposeHash(purpose));
        return Random(mixer.next());
    }

    template <class T>
    const T& pick(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(below(items.size()))];
    }

    template <class T>
    void shuffle(std::vector<T>& items) { shuffleFromBack(items); }
};

}  // namespace ctd::data::world
