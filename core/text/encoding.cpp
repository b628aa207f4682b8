// Example encoding: the authors' tokenize + mask (TruncateTail) and document-first truncation.
#include "core/text/encoding.h"

#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <algorithm>
#include <limits>

namespace ctd::text {

namespace {

// finetune.py's tokenize(full_prompt) followed by the train_on_inputs mask, for one rendering.
EncodedExample encodeAuthorsStyle(const Tokenizer& tokenizer, const std::string& prompt,
                                  const std::string& fullText, const EncodeOptions& options) {
    const int64_t cutoff = options.cutoffLength;
    std::vector<int64_t> ids = tokenizer.encode(fullText, /*addBos=*/true, /*addEos=*/false);
    const bool wantsEos = options.addEos && (ids.empty() || ids.back() != tokenizer.eosId());
    const int64_t wantedLength = static_cast<int64_t>(ids.size()) + (wantsEos ? 1 : 0);
    const int64_t promptLength = static_cast<int64_t>(tokenizer.encode(prompt, true, false).size());

    EncodedExample result;
    if (static_cast<int64_t>(ids.size()) > cutoff) ids.resize(static_cast<std::size_t>(cutoff));
    // The authors append EOS only while there is room: a sequence cut at the cutoff has none.
    if (options.addEos && (ids.empty() || ids.back() != tokenizer.eosId()) &&
        static_cast<int64_t>(ids.size()) < cutoff)
        ids.push_back(tokenizer.eosId());
    const int64_t length = static_cast<int64_t>(ids.size());
    result.truncated = wantedLength > length;
    // Cutting from the end reaches the response (or its EOS) first, whenever there is one.
    result.responseTruncated = result.truncated && wantedLength > promptLength;
    result.promptTokens = std::min(promptLength, length);
    result.responseTokens = length - result.promptTokens;
    result.labels = ids;
    if (!options.trainOnInputs)
        std::fill_n(result.labels.begin(), static_cast<std::size_t>(result.promptTokens), kIgnoreLabel);
    result.inputIds = std::move(ids);
    return result;
}

bool isUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// The document's first `keep` tokens as a prefix of the original text, cut at a token boundary
// when the tokenizer round-trips (no normalization), else at a proportional UTF-8 boundary; the
// caller re-encodes and shortens further until everything fits.
std::string documentPrefix(const Tokenizer& tokenizer, const std::string& document,
                           const std::vector<int64_t>& documentIds, int64_t keep) {
    if (keep <= 0) return {};
    if (keep >= static_cast<int64_t>(documentIds.size())) return document;
    const std::vector<int64_t> kept(documentIds.begin(), documentIds.begin() + keep);
    const std::string decoded = tokenizer.decode(kept, /*skipSpecial=*/false);
    if (!decoded.empty() && document.compare(0, decoded.size(), decoded) == 0) return decoded;
    std::size_t cut = static_cast<std::size_t>(static_cast<double>(document.size()) * static_cast<double>(keep) /
                                               static_cast<double>(documentIds.size()));
    cut = std::min(cut, document.size());
    while (cut > 0 && cut < document.size() && isUtf8Continuation(document[cut])) --cut;
    return document.substr(0, cut);
}

}  // namespace

EncodedExample encodeExample(const Tokenizer& tokenizer, const PromptTemplate& promptTemplate,
                             const std::string& instruction, const std::string& input,
                             const std::string& output, const EncodeOptions& options,
                             const std::optional<std::string>& document) {
    if (options.cutoffLength < 1)
        throw ConfigError("cutoff length must be at least 1 token, got " + std::to_string(options.cutoffLength));
    const std::string prompt = promptTemplate.render(instruction, input);
    EncodedExample whole = encodeAuthorsStyle(tokenizer, prompt, prompt + output, options);
    if (!whole.truncated || options.truncation == EncodeOptions::TruncateTail) return whole;

    // Locate the document inside one of the two fields; the template inserts fields verbatim, so
    // shortening it there shortens it in the rendered prompt.
    bool inInstruction = true;
    std::size_t offset = 0;
    std::string documentText;
    if (document && !document->empty()) {
        if (const auto at = instruction.find(*document); at != std::string::npos) {
            offset = at;
        } else if (const auto inInput = input.find(*document); inInput != std::string::npos) {
            inInstruction = false;
            offset = inInput;
        } else {
            throw ConfigError("encoding: the document to truncate (" + std::to_string(document->size()) +
                              " bytes) occurs in neither the instruction nor the input");
        }
        documentText = *document;
    } else if (!document) {
        inInstruction = instruction.size() >= input.size();
        documentText = inInstruction ? instruction : input;
    }
    if (documentText.empty()) return whole;

    const std::vector<int64_t> documentIds = tokenizer.encode(documentText, false, false);
    const int64_t cutoff = options.cutoffLength;
    // An input shortened to nothing renders with prompt_no_input, as the Prompter would render it.
    auto fields = [&](const std::string& shortened) {
        std::string field = inInstruction ? instruction : input;
        field.replace(offset, documentText.size(), shortened);
        return inInstruction ? std::make_pair(field, input) : std::make_pair(instruction, field);
    };
    auto neededLength = [&](const std::string& fullText) {
        const auto ids = tokenizer.encode(fullText, true, false);
        const bool wantsEos = options.addEos && (ids.empty() || ids.back() != tokenizer.eosId());
        return static_cast<int64_t>(ids.size()) + (wantsEos ? 1 : 0);
    };

    // First guess: drop as many document tokens as the sequence overflows; re-encode to account
    // for seams, and keep shortening until it fits or the document is gone.
    const int64_t initialNeed = neededLength(prompt + output);
    int64_t keep = static_cast<int64_t>(documentIds.size()) - (initialNeed - cutoff);
    while (true) {
        keep = std::max<int64_t>(keep, 0);
        const auto [newInstruction, newInput] = fields(documentPrefix(tokenizer, documentText, documentIds, keep));
        const std::string shortPrompt = promptTemplate.render(newInstruction, newInput);
        const int64_t need = neededLength(shortPrompt + output);
        if (need <= cutoff || keep == 0) {
            // When even an empty document does not fit, the tail cut below takes the response.
            EncodedExample result = encodeAuthorsStyle(tokenizer, shortPrompt, shortPrompt + output, options);
            result.truncated = true;
            result.documentTokensDropped = static_cast<int64_t>(documentIds.size()) - keep;
            return result;
        }
        keep -= std::max<int64_t>(1, need - cutoff);  // strictly decreasing: the loop ends
    }
}

EncodingStatistics encodingStatistics(const std::vector<EncodedExample>& examples) {
    EncodingStatistics statistics;
    statistics.examples = static_cast<int64_t>(examples.size());
    if (examples.empty()) return statistics;
    statistics.minTokens = std::numeric_limits<int64_t>::max();
    for (const auto& example : examples) {
        const auto length = static_cast<int64_t>(example.inputIds.size());
        statistics.minTokens = std::min(statistics.minTokens, length);
        statistics.maxTokens = std::max(statistics.maxTokens, length);
        statistics.totalTokens += length;
        statistics.trainedTokens += std::count_if(example.labels.begin(), example.labels.end(),
                                                  [](int64_t label) { return label != kIgnoreLabel; });
        statistics.truncated += example.truncated ? 1 : 0;
        statistics.responseTruncated += example.responseTruncated ? 1 : 0;
    }
    statistics.meanTokens = static_cast<double>(statistics.totalTokens) / static_cast<double>(statistics.examples);
    return statistics;
}

}  // namespace ctd::text
