// Mixture preview: core's buildMixture and encodeExample, turned into value structs and HTML.
#include "ui/mixtures/mixture_preview.h"

#include "core/data/mixture.h"
#include "core/text/encoding.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>

namespace ctd::ui {

namespace {

text::EncodeOptions encodeOptions(const MixturePreviewRequest& request) {
    text::EncodeOptions options;
    options.cutoffLength = request.cutoffLength;
    options.trainOnInputs = request.trainOnInputs;
    options.truncation = request.tailTruncation ? text::EncodeOptions::TruncateTail : text::EncodeOptions::TruncateDocument;
    return options;
}

text::PromptTemplate loadTemplate(const QString& name) {
    if (name.endsWith(".json", Qt::CaseInsensitive)) return text::PromptTemplate::load(name.toStdString());
    return text::PromptTemplate::builtin(name.toStdString());
}

QVector<QPair<QString, qint64>> counts(const std::map<std::string, std::int64_t>& map) {
    QVector<QPair<QString, qint64>> out;
    for (const auto& [name, count] : map) out.append({QString::fromStdString(name), count});
    return out;
}

// A sentencepiece piece as the reader should see it: spaces for "▁", byte pieces decoded.
QString pieceText(const text::Tokenizer& tokenizer, int64_t id) {
    if (id == tokenizer.bosId()) return "<s>";
    if (id == tokenizer.eosId()) return "</s>";
    QString piece = QString::fromStdString(tokenizer.piece(id));
    if (piece == "<0x0A>") return QString::fromUtf8("\u21b5\n");
    if (piece.startsWith("<0x") && piece.endsWith('>')) return piece;  // other bytes stay visible as bytes
    piece.replace(QString::fromUtf8("\u2581"), " ");
    return piece;
}

}  // namespace

MixturePreview computeMixturePreview(const MixturePreviewRequest& request, const std::atomic<bool>* cancel) {
    MixturePreview preview;
    preview.generation = request.generation;
    preview.request = request;
    auto cancelled = [cancel] { return cancel && cancel->load(); };
    try {
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(request.specJson.toStdString());
        } catch (const nlohmann::json::exception& error) {
            throw FormatError(std::string("the mixture spec is not valid JSON: ") + error.what());
        }
        const data::MixtureSpec spec = data::MixtureSpec::fromJson(json, "mixture composer", request.baseDirectory.toStdString());
        data::BuildOptions options;
        options.progress = [&cancelled](const data::BuildProgress&) { return !cancelled(); };
        auto mixture = std::make_shared<data::Mixture>(data::buildMixture(spec, options));
        preview.hash = QString::fromStdString(mixture->hash);
        preview.countsBySource = counts(mixture->countsBySource);
        preview.countsByTask = counts(mixture->countsByTask);
        preview.rows.reserve(qsizetype(mixture->examples.size()));
        for (const data::MixtureExample& example : mixture->examples)
            preview.rows.append({QString::fromStdString(example.source), example.sourceIndex,
                                 QString::fromStdString(example.task), 0, false, false});
        preview.mixture = mixture;
    } catch (const std::exception& error) {
        preview.error = cancelled() ? QString("cancelled") : QString::fromStdString(error.what());
        return preview;
    }
    if (request.tokenizerPath.isEmpty()) {
        preview.tokenizerError = "Choose a tokenizer (a model folder or tokenizer.model) to see token lengths.";
        return preview;
    }
    try {
        auto tokenizer = std::make_shared<text::Tokenizer>(text::Tokenizer::load(request.tokenizerPath.toStdString()));
        auto promptTemplate = std::make_shared<text::PromptTemplate>(loadTemplate(request.templateName));
        const text::EncodeOptions options = encodeOptions(request);
        qint64 total = 0;
        for (std::size_t i = 0; i < preview.mixture->examples.size(); ++i) {
            if (i % 64 == 0 && cancelled()) throw Cancelled("cancelled");
            const data::MixtureExample& example = preview.mixture->examples[i];
            const text::EncodedExample encoded = text::encodeExample(*tokenizer, *promptTemplate, example.instruction,
                                                                     example.input, example.output, options, example.document);
            MixtureExampleRow& row = preview.rows[qsizetype(i)];
            row.tokens = qint64(encoded.inputIds.size());
            row.truncated = encoded.truncated;
            row.responseTruncated = encoded.responseTruncated;
            total += row.tokens;
            preview.maxTokens = std::max(preview.maxTokens, row.tokens);
            preview.truncated += encoded.truncated ? 1 : 0;
            preview.responseTruncated += encoded.responseTruncated ? 1 : 0;
        }
        preview.meanTokens = preview.rows.isEmpty() ? 0.0 : double(total) / double(preview.rows.size());
        preview.tokenizer = tokenizer;
        preview.promptTemplate = promptTemplate;
        preview.tokenized = true;
    } catch (const std::exception& error) {
        preview.tokenizerError = QString::fromStdString(error.what());
    }
    return preview;
}

RenderedExample renderPreviewExample(const MixturePreview& preview, int index) {
    RenderedExample rendered;
    if (!preview.mixture || index < 0 || std::size_t(index) >= preview.mixture->examples.size()) return rendered;
    const data::MixtureExample& example = preview.mixture->examples[std::size_t(index)];
    if (!preview.tokenized) {
        rendered.html = "<pre>" + QString::fromStdString(example.instruction + "\n\n" + example.output).toHtmlEscaped() + "</pre>";
        return rendered;
    }
    text::EncodedExample encoded;
    try {
        encoded = text::encodeExample(*preview.tokenizer, *preview.promptTemplate, example.instruction, example.input,
                                      example.output, encodeOptions(preview.request), example.document);
    } catch (const std::exception& error) {
        rendered.warning = QString::fromStdString(error.what());
        return rendered;
    }
    QString html = "<div style=\"font-family: monospace; white-space: pre-wrap; line-height: 150%;\">";
    for (std::size_t i = 0; i < encoded.inputIds.size(); ++i) {
        const bool trained = encoded.labels[i] != text::kIgnoreLabel;
        rendered.trainedTokens += trained ? 1 : 0;
        const QString text = pieceText(*preview.tokenizer, encoded.inputIds[i]).toHtmlEscaped();
        html += trained ? QString("<span style=\"background-color:#BFE3F7; color:#003A5C;\">%1</span>").arg(text)
                        : QString("<span style=\"color:#8A8A8A;\">%1</span>").arg(text);
        // A thin separator shows where one token ends and the next begins.
        html += "<span style=\"color:#D0D0D0;\">&#x2009;</span>";
    }
    html += "</div>";
    rendered.html = html;
    rendered.tokens = qint64(encoded.inputIds.size());
    rendered.promptTokens = encoded.promptTokens;
    rendered.documentTokensDropped = encoded.documentTokensDropped;
    rendered.responseTruncated = encoded.responseTruncated;
    if (encoded.responseTruncated)
        rendered.warning = "Truncation cut the response or its EOS token: this example would teach an unfinished answer.";
    else if (encoded.documentTokensDropped > 0)
        rendered.warning = QString("The document was shortened by %1 tokens to fit the cutoff; the response is whole.")
                               .arg(encoded.documentTokensDropped);
    return rendered;
}

}  // namespace ctd::ui
