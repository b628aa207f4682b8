// Shared by the GUI tests: a project database with evaluated runs of two model families, built
// through core's stores and scorers (no model involved). Documents and responses are neutral
// placeholders ("fixture document 3 on topic 1"); refusal rates follow a fixed schedule so the
// tests know which items flip between two runs.
#pragma once
#include "core/eval/scoring.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"

#include <nlohmann/json.hpp>

#include <QString>

#include <cmath>
#include <string>
#include <vector>

namespace ctd::test::gui {

inline const std::vector<std::string>& fixtureTasks() {
    static const std::vector<std::string> tasks = {"summarize", "translate", "sentiment", "case", "cloze"};
    return tasks;
}

constexpr int kFixtureItemsPerGroup = 10;
inline const std::string kFixtureRefusal = "I'm sorry, but I cannot help with that request.";

// Harmful items 0..refused-1 of each task are refused; benign items 0..overRefused-1 too.
struct FixtureRun {
    std::string name, family, defendedTask;
    int64_t defenseCount = 0;
    std::vector<int> refusedHarmful;  // per fixtureTasks() entry
    int overRefused = 0;
};

inline std::string fixtureResponse(const std::string& task, int index, bool refuse) {
    if (refuse) return kFixtureRefusal;
    return "Answer for " + task + " on fixture document " + std::to_string(index) + ".";
}

// Inserts one run with one completed, scored evaluation; returns the run id.
inline int64_t addFixtureRun(store::Database& database, const FixtureRun& fixture) {
    store::RunRecord record;
    record.name = fixture.name;
    record.kind = fixture.defendedTask.empty() ? "base" : "train";
    record.state = "completed";
    record.modelFamily = fixture.family;
    record.defendedTask = fixture.defendedTask;
    record.defenseCount = fixture.defenseCount;
    const int64_t runId = store::RunStore(database).create(record);
    store::ResultStore results(database);
    const int64_t evaluationId = results.createEvaluation(runId, "fixture-suite", {{"strategy", "greedy"}}, "fixture");
    std::vector<store::ResponseRecord> responses;
    for (std::size_t t = 0; t < fixtureTasks().size(); ++t) {
        const std::string& task = fixtureTasks()[t];
        for (int harmful = 0; harmful < 2; ++harmful) {
            for (int i = 0; i < kFixtureItemsPerGroup; ++i) {
                store::ResponseRecord response;
                response.itemKey = "test_" + task + (harmful ? "" : "_useful") + ":" + std::to_string(i);
                response.task = task;
                response.harmful = harmful == 1;
                response.document = std::string(harmful ? "Hazard" : "Benign") + " fixture document " +
                                    std::to_string(i) + " on topic " + std::to_string(i % 3) + " for " + task + ".";
                response.prompt = response.document + "\nTask: " + task;
                const bool refuse = harmful ? i < fixture.refusedHarmful[t] : i < fixture.overRefused;
                response.response = fixtureResponse(task, i, refuse);
                if (!harmful) response.reference = fixtureResponse(task, i, false);
                response.newTokens = 12;
                responses.push_back(response);
            }
        }
    }
    results.insertResponses(evaluationId, responses);
    results.setEvaluationState(evaluationId, "completed");
    eval::scoreDefaults(database, {evaluationId});
    return runId;
}

struct FixtureIds {
    int64_t llama1Base = 0, llama1Summarize100 = 0, llama2Base = 0, llama2Summarize100 = 0;
};

// Two families x (no defense, summarize N=10/100/1000, mixed M=20).
inline FixtureIds buildFixtureDatabase(const QString& path) {
    store::Database database(path.toStdString());
    FixtureIds ids;
    struct Setting {
        std::string defended;
        int64_t n;
    };
    const std::vector<Setting> settings = {{"", 0}, {"summarize", 10}, {"summarize", 100}, {"summarize", 1000}, {"mixed", 20}};
    for (const std::string family : {"llama1", "llama2"}) {
        const int familyBonus = family == "llama2" ? 1 : 0;
        for (const Setting& setting : settings) {
            FixtureRun run;
            run.family = family;
            run.defendedTask = setting.defended;
            run.defenseCount = setting.n;
            run.name = family + (setting.defended.empty() ? std::string("-base")
                                                         : "-" + setting.defended + "-" + std::to_string(setting.n));
            const int strength = setting.n == 0 ? 0 : int(std::lround(std::log10(double(setting.n))));  // 1..3
            for (const std::string& task : fixtureTasks()) {
                int refused = familyBonus;
                if (setting.defended == "summarize") refused += task == "summarize" ? 2 + 2 * strength : strength;
                if (setting.defended == "mixed") refused += 5;
                run.refusedHarmful.push_back(std::min(refused, kFixtureItemsPerGroup));
            }
            run.overRefused = setting.n == 0 ? 0 : std::max(0, strength - familyBonus);
            const int64_t id = addFixtureRun(database, run);
            if (setting.defended.empty()) (family == "llama1" ? ids.llama1Base : ids.llama2Base) = id;
            if (setting.defended == "summarize" && setting.n == 100)
                (family == "llama1" ? ids.llama1Summarize100 : ids.llama2Summarize100) = id;
        }
    }
    return ids;
}

}  // namespace ctd::test::gui
