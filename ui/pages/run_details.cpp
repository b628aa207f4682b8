// Formats a run's details for the Runs page.
#include "ui/pages/run_details.h"

namespace ctd::ui {

QString runDetailsText(const store::RunRecord& run) {
    auto text = [](const std::string& value) { return QString::fromStdString(value); };
    QString details = QString("Family: %1   Template: %2   Defended task: %3   N: %4   Seed: %5   Loss: %6\n")
                          .arg(text(run.modelFamily), text(run.templateName),
                               text(run.defendedTask.empty() ? "none" : run.defendedTask))
                          .arg(run.defenseCount)
                          .arg(qulonglong(run.seed))
                          .arg(text(run.lossType));
    details += QString("Base model: %1\nOutput: %2\nAdapter: %3\nLast checkpoint: %4\n")
                   .arg(text(run.baseModel), text(run.outputDir), text(run.adapterDir), text(run.lastCheckpoint));
    if (!run.mixtureHash.empty()) details += QString("Mixture hash: %1\n").arg(text(run.mixtureHash));
    if (run.cellHash) details += QString("Experiment cell: %1\n").arg(text(*run.cellHash));
    details += QString("Created %1, updated %2\n").arg(text(run.createdAt), text(run.updatedAt));
    if (!run.provenance.empty()) details += "\nProvenance:\n" + text(run.provenance.dump(2)) + "\n";
    if (!run.spec.empty()) details += "\nSpec:\n" + text(run.spec.dump(2)) + "\n";
    return details;
}

}  // namespace ctd::ui
