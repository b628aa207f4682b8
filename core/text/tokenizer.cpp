// sentencepiece wrapper matching HF's Llama tokenizer on BOS/EOS and special tokens.
#include "core/text/tokenizer.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <sentencepiece_processor.h>

namespace ctd::text {

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
    std::filesystem::path file = path;
    if (std::filesystem::is_directory(path)) file = path / "tokenizer.model";
    if (!std::filesystem::exists(file))
        throw IoError(file.string() + ": tokenizer.model not found (a sentencepiece model is required)");
    return fromSerializedModel(util::readFileBytes(file), file.string());
}

Tokenizer Tokenizer::fromSerializedModel(const std::string& bytes, const std::string& source) {
    Tokenizer tokenizer;
    tokenizer.m_processor = std::make_shared<sentencepiece::SentencePieceProcessor>();
    const auto status = tokenizer.m_processor->LoadFromSerializedProto(bytes);
    if (!status.ok()) throw FormatError(source + ": not a valid sentencepiece model: " + status.ToString());
    tokenizer.m_serialized = bytes;
    tokenizer.m_bosId = tokenizer.m_processor->bos_id();
    tokenizer.m_eosId = tokenizer.m_processor->eos_id();
    tokenizer.m_unkId = tokenizer.m_processor->unk_id();
    tokenizer.m_padId = tokenizer.m_processor->pad_id();
    if (tokenizer.m_bosId < 0 || tokenizer.m_eosId < 0)
        throw FormatError(source + ": sentencepiece model defines no BOS or EOS piece (Llama tokenizers need both)");
    return tokenizer;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, bool addBos, bool addEos) const {
    std::vector<int64_t> ids;
    if (addBos) ids.push_back(m_bosId);
    // HF splits the text on its special tokens first and encodes each remaining chunk on its own.
    const std::vector<std::pair<std::string, int64_t>> specials = {
        {"<s>", m_bosId}, {"</s>", m_eosId}, {"<unk>", m_unkId}};
    std::size_t position = 0;
    auto encodeChunk = [&](std::size_t begin, std::size_t end) {
        if (end <= begin) return;
        std::vector<int> pieces;
        const auto status = m_processor->Encode(std::string_view(text).substr(begin, end - begin), &pieces);
        if (!status.ok()) throw FormatError("tokenizer: cannot encode text: " + status.ToString());
        ids.insert(ids.end(), pieces.begin(), pieces.end());
    };
    while (position <= text.size()) {
        std::size_t best = std::string::npos;
        const std::pair<std::string, int64_t>* found = nullptr;
        for (const auto& special : specials) {
            const std::size_t at = text.find(special.first, position);
            if (at < best) {
                best = at;
                found = &special;
            }
        }
        if (!found) {
            encodeChunk(position, text.size());
            break;
        }
        encodeChunk(position, best);
        ids.push_back(found->second);
        position = best + found->first.size();
    }
    if (addEos) ids.push_back(m_eosId);
    return ids;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecial) const {
    // HF's LlamaTokenizer.decode: drop special ids (BOS, EOS, UNK, PAD), strip the prefix space
    // it added from the first piece, then let sentencepiece join the pieces (which removes the
    // dummy-prefix space once more).
    std::vector<std::string> pieces;
    pieces.reserve(ids.size());
    const int size = m_processor->GetPieceSize();
    for (int64_t id : ids) {
        if (id < 0 || id >= size) continue;
        const bool special = m_processor->IsControl(static_cast<int>(id)) || id == m_unkId || id == m_padId;
        if (skipSpecial && special) continue;
        pieces.push_back(m_processor->IdToPiece(static_cast<int>(id)));
    }
    static const std::string kSpaceSymbol = "\xe2\x96\x81";  // U+2581, sentencepiece's space
    if (!pieces.empty() && pieces[0].rfind(kSpaceSymbol, 0) == 0) pieces[0].erase(0, kSpaceSymbol.size());
    std::string text;
    const auto status = m_processor->Decode(pieces, &text);
    if (!status.ok()) throw FormatError("tokenizer: cannot decode ids: " + status.ToString());
    return text;
}

std::string Tokenizer::piece(int64_t id) const {
    if (id < 0 || id >= m_processor->GetPieceSize()) return {};
    return m_processor->IdToPiece(static_cast<int>(id));
}

int64_t Tokenizer::vocabSize() const { return m_processor->GetPieceSize(); }

}  // namespace ctd::text
