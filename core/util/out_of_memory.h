// Out-of-memory errors (CUDA caching allocator, CPU allocator) turned into a message a user can act
// on: what was running, on which device, with which batch settings, and what to lower.
#pragma once
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace ctd::util {

// The work that ran out of memory, as the message names it.
struct MemoryContext {
    std::string activity;  // e.g. "training at step 12 of 300"
    std::string device;    // e.g. "cuda:0"
    std::vector<std::pair<std::string, std::string>> settings;  // e.g. {"micro_batch_size", "4"}
    std::string hint;      // e.g. "lower micro_batch_size ..."
};

// True for c10::OutOfMemoryError and for errors whose message is an allocator's out-of-memory
// report (CUDA "out of memory", CUBLAS allocation failures, the CPU allocator's "can't allocate").
bool isOutOfMemory(const std::exception& error);

// "out of memory on cuda:0 while training at step 12 of 300 (micro_batch_size 4, ...): CUDA out of
// memory. Tried to allocate 2.00 GiB ... Hint: lower micro_batch_size ..."; the allocator's report
// is cut to its first sentence-bearing line, without libtorch's backtrace.
std::string describeOutOfMemory(const std::exception& error, const MemoryContext& context);

}  // namespace ctd::util
