// What the mixture composer shows, computed off the UI thread from a spec: the built mixture's
// counts per source and task, its hash, each example's token length under the chosen tokenizer,
// template and cutoff, and (on demand) one example rendered token by token with its loss mask.
#pragma once
#include <QByteArray>
#include <QPair>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>

namespace ctd::data {
struct Mixture;
}
namespace ctd::text {
class Tokenizer;
class PromptTemplate;
}  // namespace ctd::text

namespace ctd::ui {

struct MixturePreviewRequest {
    int generation = 0;
    QByteArray specJson;    // the mixture spec as the composer currently has it
    QString baseDirectory;  // relative paths in the spec resolve against it (the spec's folder)
    QString tokenizerPath;  // a model folder or a tokenizer.model; empty: counts only
    QString templateName = "alpaca";  // built-in name or a template JSON path
    qint64 cutoffLength = 1024;
    bool trainOnInputs = true;
    bool tailTruncation = false;  // the authors' truncation (may cut the response)
};

struct MixtureExampleRow {
    QString source;
    qint64 sourceIndex = 0;
    QString task;
    qint64 tokens = 0;           // 0 when no tokenizer was given
    bool truncated = false;
    bool responseTruncated = false;
};

struct MixturePreview {
    int generation = 0;
    QString error;  // the spec or its files could not be built into a mixture
    QString hash;
    QVector<QPair<QString, qint64>> countsBySource, countsByTask;
    QVector<MixtureExampleRow> rows;
    QString tokenizerError;  // counts are valid, token statistics are not
    bool tokenized = false;
    qint64 truncated = 0, responseTruncated = 0, maxTokens = 0;
    double meanTokens = 0.0;
    MixturePreviewRequest request;
    std::shared_ptr<const data::Mixture> mixture;
    std::shared_ptr<const text::Tokenizer> tokenizer;
    std::shared_ptr<const text::PromptTemplate> promptTemplate;
};

// Builds the mixture and encodes every example as training would. Never throws: errors land in
// `error` / `tokenizerError`. `cancel` (may be null) stops early with error "cancelled".
MixturePreview computeMixturePreview(const MixturePreviewRequest& request, const std::atomic<bool>* cancel = nullptr);

struct RenderedExample {
    QString html;     // the prompt and response token by token, trained tokens highlighted
    QString warning;  // truncation that cut the response or its EOS, or shortened the document
    qint64 tokens = 0, trainedTokens = 0, promptTokens = 0, documentTokensDropped = 0;
    bool responseTruncated = false;
};

// Renders example `index` of a computed preview (UI thread; one example is cheap to encode).
RenderedExample renderPreviewExample(const MixturePreview& preview, int index);

}  // namespace ctd::ui
