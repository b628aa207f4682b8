// Token statistics of a mixture under a tokenizer, template and cutoff: how long its examples are
// and how many would be truncated, overall and per task tag, before a run is launched.
#pragma once
#include "core/text/encoding.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ctd::text {
class Tokenizer;
class PromptTemplate;
}  // namespace ctd::text

namespace ctd::data {

struct MixtureExample;

struct MixtureTokenStatistics {
    text::EncodingStatistics overall;
    std::map<std::string, text::EncodingStatistics> byTask;
};

// Encodes every example as training will (each defense example's document is what truncation
// shortens) and accumulates the statistics without keeping the encodings. `progress` (may be
// empty) gets (done, total) now and then; returning false cancels (ctd::Cancelled).
MixtureTokenStatistics mixtureTokenStatistics(const std::vector<MixtureExample>& examples,
                                              const text::Tokenizer& tokenizer,
                                              const text::PromptTemplate& promptTemplate,
                                              const text::EncodeOptions& options = {},
                                              const std::function<bool(std::int64_t, std::int64_t)>& progress = {});

// Statistics of two disjoint sets of examples taken together.
text::EncodingStatistics mergeEncodingStatistics(const text::EncodingStatistics& first,
                                                 const text::EncodingStatistics& second);

}  // namespace ctd::data
