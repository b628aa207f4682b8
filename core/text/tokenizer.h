// The sentencepiece tokenizer of a model folder (`tokenizer.model`), with BOS/EOS handling and
// special-token splitting as HF's Llama tokenizer does for Llama1/Llama2 models.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace ctd::text {

class Tokenizer {
public:
    // `path` is a tokenizer.model file or a folder holding one.
    static Tokenizer load(const std::filesystem::path& path);
    // From serialized model bytes (used by tests and the tiny world).
    static Tokenizer fromSerializedModel(const std::string& bytes, const std::string& source);

    // Encodes like HF's LlamaTokenizer(Fast): literal "<s>", "</s>" and "<unk>" in the text become
    // their special ids; other text goes through sentencepiece. BOS is prepended when addBos.
    std::vector<int64_t> encode(const std::string& text, bool addBos = true, bool addEos = false) const;
    // Decodes ids; special tokens (BOS/EOS/PAD/UNK controls) are skipped when skipSpecial.
    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial = true) const;
    std::string piece(int64_t id) const;

    int64_t vocabSize() const;
    int64_t bosId() const { return m_bosId; }
    int64_t eosId() const { return m_eosId; }
    int64_t unkId() const { return m_unkId; }
    // sentencepiece's pad id, or -1 when the model defines none.
    int64_t padId() const { return m_padId; }
    const std::string& serializedModel() const { return m_serialized; }

private:
    std::shared_ptr<sentencepiece::SentencePieceProcessor> m_processor;
    std::string m_serialized;
    int64_t m_bosId = 1, m_eosId = 2, m_unkId = 0, m_padId = -1;
};

}  // namespace ctd::text
