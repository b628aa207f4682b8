// Token statistics of mixtures: encoded in chunks, merged, so memory stays flat for 20k examples.
#include "core/data/mixture_statistics.h"

#include "core/data/mixture.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <algorithm>

namespace ctd::data {

text::EncodingStatistics mergeEncodingStatistics(const text::EncodingStatistics& first,
                                                 const text::EncodingStatistics& second) {
    if (first.examples == 0) return second;
    if (second.examples == 0) return first;
    text::EncodingStatistics merged;
    merged.examples = first.examples + second.examples;
    merged.minTokens = std::min(first.minTokens, second.minTokens);
    merged.maxTokens = std::max(first.maxTokens, second.maxTokens);
    merged.totalTokens = first.totalTokens + second.totalTokens;
    merged.trainedTokens = first.trainedTokens + second.trainedTokens;
    merged.truncated = first.truncated + second.truncated;
    merged.responseTruncated = first.responseTruncated + second.responseTruncated;
    merged.meanTokens = static_cast<double>(merged.totalTokens) / static_cast<double>(merged.examples);
    return merged;
}

MixtureTokenStatistics mixtureTokenStatistics(const std::vector<MixtureExample>& examples,
                                              const text::Tokenizer& tokenizer,
                                              const text::PromptTemplate& promptTemplate,
                                              const text::EncodeOptions& options,
                                              const std::function<bool(std::int64_t, std::int64_t)>& progress) {
    constexpr std::size_t kChunk = 256;
    MixtureTokenStatistics result;
    std::map<std::string, std::vector<text::EncodedExample>> pending;
    auto flush = [&] {
        for (auto& [task, encoded] : pending) {
            const auto statistics = text::encodingStatistics(encoded);
            result.byTask[task] = mergeEncodingStatistics(result.byTask[task], statistics);
            result.overall = mergeEncodingStatistics(result.overall, statistics);
            encoded.clear();
        }
    };
    const auto total = static_cast<std::int64_t>(examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
        const MixtureExample& example = examples[i];
        pending[example.task].push_back(text::encodeExample(tokenizer, promptTemplate, example.instruction, example.input,
                                                            example.output, options, example.document));
        if ((i + 1) % kChunk == 0) {
            flush();
            if (progress && !progress(static_cast<std::int64_t>(i + 1), total))
                throw Cancelled("mixture token statistics cancelled");
        }
    }
    flush();
    return result;
}

}  // namespace ctd::data
