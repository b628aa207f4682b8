// `ctd data import|list|show|remove`: datasets in the project database (--db).
#include "commands.h"

#include "core/data/importers.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"

#include <iomanip>
#include <iostream>
#include <memory>

namespace ctd::cli {
namespace {

// At most `limit` characters (UTF-8 code points) on one line: line breaks shown as "\n", and an
// ellipsis with the full length when cut.
std::string oneLine(const std::string& text, std::size_t limit) {
    std::string result;
    std::size_t total = 0;
    for (const char c : text) {
        const bool startsCharacter = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (startsCharacter) ++total;
        if (total > limit) continue;  // past the limit, continuation bytes included
        if (c == '\n') result += "\\n";
        else if (c == '\r') result += "\\r";
        else if (c == '\t') result += ' ';
        else result.push_back(c);
    }
    if (total > limit) result += "... (" + std::to_string(total) + " characters)";
    return result;
}

}  // namespace

void registerDataCommands(CLI::App& app, GlobalOptions& options) {
    auto* dataCommand = app.add_subcommand("data", "Datasets in the project database: import, list, show");
    dataCommand->require_subcommand(1);

    struct ImportSettings {
        std::string file;
        data::ImportOptions import;
    };
    auto importSettings = std::make_shared<ImportSettings>();
    auto* import = dataCommand->add_subcommand(
        "import", "Import a dataset file (Alpaca JSON/JSONL, evaluation file, generation output, CSV); "
                  "a file already imported with the same kind is recognised and not stored twice");
    import->add_option("file", importSettings->file, "The file to import")->required();
    import->add_option("--kind", importSettings->import.kind, "Format; detected from the content when omitted")
        ->check(CLI::IsMember({"alpaca", "eval", "generations", "csv"}));
    import->add_option("--name", importSettings->import.name, "Dataset name (default: the file name without extension)");
    import->callback([importSettings, &options] {
        const data::Dataset dataset = data::importFile(importSettings->file, importSettings->import);
        store::Database database(options.databasePath);
        const store::InsertResult result = store::DatasetStore(database).insert(dataset);
        const std::string hash = dataset.contentHash.substr(0, 12);
        if (result.alreadyPresent) {
            const auto existing = store::DatasetStore(database).get(result.datasetId);
            std::cout << "already imported: dataset " << result.datasetId << " \"" << existing.name << "\" has the same kind ("
                      << dataset.kind << ") and content (sha256 " << hash << "...); nothing written\n";
        } else {
            std::cout << "imported dataset " << result.datasetId << " \"" << dataset.name << "\": " << dataset.kind << ", "
                      << dataset.records.size() << " records, sha256 " << hash << "... from " << dataset.sourcePath
                      << "\n";
        }
    });

    auto* list = dataCommand->add_subcommand("list", "List the datasets: id, name, kind, records, content hash");
    list->callback([&options] {
        store::Database database(options.databasePath);
        const auto datasets = store::DatasetStore(database).list();
        if (datasets.empty()) {
            std::cout << "no datasets in " << options.databasePath << " (add one with `ctd data import FILE`)\n";
            return;
        }
        std::cout << std::left << std::setw(6) << "id" << std::setw(32) << "name" << std::setw(13) << "kind"
                  << std::right << std::setw(9) << "records" << "  " << std::left << std::setw(14) << "sha256"
                  << "created (UTC)\n";
        for (const auto& dataset : datasets) {
            std::cout << std::left << std::setw(6) << dataset.id << std::setw(32) << oneLine(dataset.name, 30)
                      << std::setw(13) << dataset.kind << std::right << std::setw(9) << dataset.recordCount << "  "
                      << std::left << std::setw(14) << dataset.contentHash.substr(0, 12) << dataset.createdAt << "\n";
        }
    });

    struct ShowSettings {
        std::int64_t id = 0;
        std::int64_t limit = 5;
        std::size_t width = 200;
    };
    auto showSettings = std::make_shared<ShowSettings>();
    auto* show = dataCommand->add_subcommand("show", "Show a dataset's details and its first records (text truncated)");
    show->add_option("id", showSettings->id, "Dataset id (see `ctd data list`)")->required();
    show->add_option("--limit", showSettings->limit, "Records to show")->capture_default_str()->check(CLI::NonNegativeNumber);
    show->add_option("--width", showSettings->width, "Characters shown per field")->capture_default_str();
    show->callback([showSettings, &options] {
        store::Database database(options.databasePath);
        store::DatasetStore datasets(database);
        const auto summary = datasets.get(showSettings->id);
        std::cout << "dataset " << summary.id << ": " << summary.name << "\n"
                  << "  kind      " << summary.kind << "\n"
                  << "  records   " << summary.recordCount << "\n"
                  << "  source    " << summary.sourcePath << "\n"
                  << "  sha256    " << summary.contentHash << "\n"
                  << "  created   " << summary.createdAt << " UTC\n"
                  << "  metadata  " << oneLine(summary.metadata.dump(), 300) << "\n";
        for (const auto& record : datasets.records(summary.id, 0, showSettings->limit)) {
            std::cout << "\n[" << record.sourceIndex << "]";
            if (record.task) std::cout << " task=" << *record.task;
            if (record.harmful) std::cout << " harmful=" << (*record.harmful ? "yes" : "no");
            std::cout << "\n  instruction: " << oneLine(record.instruction, showSettings->width) << "\n";
            if (!record.input.empty()) std::cout << "  input:       " << oneLine(record.input, showSettings->width) << "\n";
            if (!record.output.empty()) std::cout << "  output:      " << oneLine(record.output, showSettings->width) << "\n";
            if (record.extra.is_object() && !record.extra.empty())
                std::cout << "  extra:       " << oneLine(record.extra.dump(), showSettings->width) << "\n";
        }
        if (summary.recordCount > showSettings->limit)
            std::cout << "\n(" << summary.recordCount - showSettings->limit << " more; use --limit)\n";
    });

    auto removeId = std::make_shared<std::int64_t>(0);
    auto* remove = dataCommand->add_subcommand("remove", "Delete a dataset and its records");
    remove->add_option("id", *removeId, "Dataset id (see `ctd data list`)")->required();
    remove->callback([removeId, &options] {
        store::Database database(options.databasePath);
        store::DatasetStore datasets(database);
        const auto summary = datasets.get(*removeId);
        datasets.remove(*removeId);
        std::cout << "removed dataset " << summary.id << " \"" << summary.name << "\" (" << summary.recordCount
                  << " records)\n";
    });
}

}  // namespace ctd::cli
