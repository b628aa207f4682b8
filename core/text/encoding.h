// Turns one (instruction, input, output) example into token ids and loss labels, as alpaca-lora's
// finetune.py generate_and_tokenize_prompt does, plus a truncation mode that never cuts the
// response: a defense example whose refusal is cut away teaches nothing.
//
// Boundary note: sentencepiece may tokenize "prompt + response" differently from the prompt and
// the response apart (pieces can merge across the seam). Like the authors, the ids always come
// from tokenizing the full text in one go, and the prompt length (the masked span when
// trainOnInputs is false) from tokenizing the prompt alone. At a seam that merges, the mask can
// be off by a token, exactly as it is in the authors' runs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::text {

class Tokenizer;
class PromptTemplate;

struct EncodeOptions {
    enum Truncation {
        // Shorten the document (from its end) so that the instruction and the whole response +
        // EOS still fit; falls back to TruncateTail only when they do not fit even without it.
        TruncateDocument,
        // The authors' behaviour: keep the first cutoffLength tokens; this can cut the response.
        TruncateTail,
    };
    int64_t cutoffLength = 1024;
    // The authors' default: the loss covers the whole sequence. False masks the prompt (-100).
    bool trainOnInputs = true;
    // Append EOS when the sequence does not already end with it and there is room (authors).
    bool addEos = true;
    Truncation truncation = TruncateDocument;
};

constexpr int64_t kIgnoreLabel = -100;

struct EncodedExample {
    std::vector<int64_t> inputIds;
    std::vector<int64_t> labels;  // kIgnoreLabel where the loss is masked
    bool truncated = false;          // something did not fit: document tokens, response or EOS
    bool responseTruncated = false;  // the response or its EOS was cut
    int64_t promptTokens = 0;        // leading tokens that belong to the prompt (BOS included)
    int64_t responseTokens = 0;      // inputIds.size() - promptTokens (EOS included)
    int64_t documentTokensDropped = 0;  // TruncateDocument: tokens cut from the document's end
};

// Encodes `prompt template(instruction, input) + output`. `document` names the part of the prompt
// that TruncateDocument may shorten; it must occur in `instruction` (first occurrence) or, failing
// that, in `input` (ConfigError otherwise). Without it, the longer of instruction and input is
// the document; an empty `document` means nothing may be shortened (tail truncation). In the
// authors' defense and evaluation data the document sits inside the instruction (document +
// separator + task instruction) and input is empty.
// When the example fits, both modes give exactly the authors' encoding.
EncodedExample encodeExample(const Tokenizer& tokenizer, const PromptTemplate& promptTemplate,
                             const std::string& instruction, const std::string& input,
                             const std::string& output, const EncodeOptions& options = {},
                             const std::optional<std::string>& document = std::nullopt);

struct EncodingStatistics {
    int64_t examples = 0;
    int64_t minTokens = 0;
    int64_t maxTokens = 0;
    double meanTokens = 0.0;
    int64_t totalTokens = 0;
    int64_t trainedTokens = 0;  // labels that count in the loss
    int64_t truncated = 0;
    int64_t responseTruncated = 0;
};

EncodingStatistics encodingStatistics(const std::vector<EncodedExample>& examples);

}  // namespace ctd::text
