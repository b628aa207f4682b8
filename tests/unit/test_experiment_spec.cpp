// Experiment specs and plans: strict parsing, ${NAME} substitution, validation that lists every
// missing piece up front, and cell expansion with content hashes (a changed evaluation keeps the
// run key, a changed training changes it; the baseline appears once per model).
#include "test_experiment_support.h"

#include "core/experiment/plan.h"
#include "core/experiment/spec.h"
#include "core/util/error.h"

#include <cstdlib>
#include <set>

using namespace ctd;
using nlohmann::json;

namespace {

experiment::ExperimentSpec load(const test::TinyExperiment& project) {
    return experiment::ExperimentSpec::load(project.spec);
}

experiment::PlanOptions planOptions(const test::TinyExperiment& project) {
    experiment::PlanOptions options;
    options.outDir = project.root / "out";
    return options;
}

bool mentions(const experiment::ValidationReport& report, const std::string& text) {
    for (const auto& problem : report.problems)
        if (problem.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST(ExperimentSpec, RejectsUnknownFieldsAndBadGrids) {
    const json base = {{"name", "x"},
                       {"models", {{{"name", "a"}, {"path", "m"}}}},
                       {"grid", {{{"defended_task", "summarize"}, {"counts", {0}}}}},
                       {"evaluation", {{"suites", {{{"name", "s"}, {"world", "w"}}}}}}};
    EXPECT_NO_THROW(experiment::ExperimentSpec::fromJson(base, "spec", "/tmp"));
    auto typo = base;
    typo["seed"] = 1;
    EXPECT_THROW(experiment::ExperimentSpec::fromJson(typo, "spec", "/tmp"), FormatError);
    auto badTask = base;
    badTask["grid"][0]["defended_task"] = "poetry";
    EXPECT_THROW(experiment::ExperimentSpec::fromJson(badTask, "spec", "/tmp"), ConfigError);
    auto negative = base;
    negative["grid"][0]["counts"] = {-1};
    EXPECT_THROW(experiment::ExperimentSpec::fromJson(negative, "spec", "/tmp"), ConfigError);
    auto gridInMixture = base;
    gridInMixture["mixture"] = {{"defense", {{"count", 3}}}};
    EXPECT_THROW(experiment::ExperimentSpec::fromJson(gridInMixture, "spec", "/tmp"), ConfigError);
    auto reserved = base;
    reserved["training"] = {{"base_model", "elsewhere"}};
    EXPECT_THROW(experiment::ExperimentSpec::fromJson(reserved, "spec", "/tmp"), ConfigError);
    auto badStrategy = base;
    badStrategy["evaluation"]["generation"] = {{"strategy", "sample"}};
    EXPECT_THROW(experiment::ExperimentSpec::fromJson(badStrategy, "spec", "/tmp"), ConfigError);
}

TEST(ExperimentSpec, ExpandsVariablesWithDefaults) {
    const json j = {{"name", "x"},
                    {"models", {{{"name", "a"}, {"path", "${CTD_TEST_EXPERIMENT_MODELS}/a"}}}},
                    {"grid", {{{"defended_task", "summarize"}, {"counts", {0}}}}},
                    {"evaluation", {{"suites", {{{"name", "s"}, {"world", "${world}"}}}}}},
                    {"world", {{"seed", 2}}}};
    const auto spec = experiment::ExperimentSpec::fromJson(j, "spec", "/specs");
    const experiment::Variables variables(spec, "/out");
    std::vector<std::string> missing;
    ::unsetenv("CTD_TEST_EXPERIMENT_MODELS");
    EXPECT_EQ(variables.path("${world}", "w", missing), "/out/tiny-world");
    EXPECT_EQ(variables.path("${CTD_TEST_EXPERIMENT_MODELS:-../models}/a", "m", missing), "/models/a");
    EXPECT_TRUE(missing.empty());
    variables.expand("${CTD_TEST_EXPERIMENT_MODELS}/a", "models[0].path", missing);
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0], "CTD_TEST_EXPERIMENT_MODELS (models[0].path)");
    ::setenv("CTD_TEST_EXPERIMENT_MODELS", "/data/llama", 1);
    missing.clear();
    EXPECT_EQ(variables.path("${CTD_TEST_EXPERIMENT_MODELS}/a", "m", missing), "/data/llama/a");
    EXPECT_TRUE(missing.empty());
    ::unsetenv("CTD_TEST_EXPERIMENT_MODELS");
    using Use = experiment::Variables::EnvironmentUse;
    const std::vector<Use> required = {{"CTD_TEST_EXPERIMENT_MODELS", false}};
    EXPECT_EQ(experiment::Variables::environmentNames(spec), required);
    auto withDefault = j;
    withDefault["models"][0]["path"] = "${CTD_TEST_EXPERIMENT_MODELS:-models}/a";
    const std::vector<Use> optional = {{"CTD_TEST_EXPERIMENT_MODELS", true}};
    EXPECT_EQ(experiment::Variables::environmentNames(experiment::ExperimentSpec::fromJson(withDefault, "spec", "/specs")),
              optional);
}

TEST(ExperimentPlan, ValidationListsEveryProblemAtOnce) {
    test::TempDir temp;
    ::unsetenv("CTD_TEST_UNSET_MODEL_DIR");
    auto project = test::makeTinyExperiment(
        temp.path(),
        {{"models",
          {{{"name", "gone"}, {"path", (temp.path() / "no-such-model").string()}},
           {{"name", "unset"}, {"path", "${CTD_TEST_UNSET_MODEL_DIR}/llama"}}}},
         {"evaluation",
          {{"suites", {{{"name", "authors"}, {"dir", (temp.path() / "eval").string()}, {"files", {"test_case.json"}}}}}}},
         {"requirements", {{"gpu", true}}}});
    auto options = planOptions(project);
    const auto report = experiment::validateExperiment(load(project), options);
    EXPECT_FALSE(report.ok());
    EXPECT_TRUE(mentions(report, "no-such-model does not exist")) << report.text();
    EXPECT_TRUE(mentions(report, "${CTD_TEST_UNSET_MODEL_DIR} is not set")) << report.text();
    EXPECT_TRUE(mentions(report, "test_case.json does not exist")) << report.text();
    if (!at::hasCUDA()) {
        EXPECT_TRUE(mentions(report, "GPU required")) << report.text();
    }
    EXPECT_THROW(experiment::planExperiment(load(project), options), ConfigError);

    options.checkDevice = false;
    const auto withoutDevice = experiment::validateExperiment(load(project), options);
    EXPECT_FALSE(mentions(withoutDevice, "GPU required"));
}

TEST(ExperimentPlan, PickleOnlyModelFolderIsNamed) {
    test::TempDir temp;
    auto project = test::makeTinyExperiment(temp.path());
    const auto pickled = temp.path() / "pickled";
    std::filesystem::create_directories(pickled);
    std::filesystem::copy_file(project.model / "config.json", pickled / "config.json");
    std::filesystem::copy_file(project.model / "tokenizer.model", pickled / "tokenizer.model");
    std::ofstream(pickled / "pytorch_model.bin") << "not really";
    project = test::makeTinyExperiment(temp.path(), {{"models", {{{"name", "p"}, {"path", pickled.string()}}}}});
    const auto report = experiment::validateExperiment(load(project), planOptions(project));
    EXPECT_TRUE(mentions(report, "pickle")) << report.text();
}

TEST(ExperimentPlan, ExpandsCellsWithStableHashes) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(temp.path());
    const auto plan = experiment::planExperiment(load(project), planOptions(project));
    // Two models x (baseline + summarize N=4 + mixed M=1); the baseline of the mixed entry is the same cell.
    ASSERT_EQ(plan.cells.size(), 6u);
    std::vector<std::string> labels;
    std::set<std::string> hashes, runKeys;
    for (const auto& cell : plan.cells) {
        labels.push_back(cell.label);
        hashes.insert(cell.hash);
        runKeys.insert(cell.runKey);
        EXPECT_EQ(cell.trains(), cell.defenseCount > 0);
        EXPECT_EQ(cell.estimatedItems, 10);  // 5 tasks x harmful/benign x 1
        if (cell.trains()) {
            EXPECT_EQ(cell.estimatedSteps, 3);
            EXPECT_FALSE(cell.mixtureHash.empty());
            EXPECT_EQ(cell.trainingSpec["loss"], "response_only");
            EXPECT_EQ(cell.trainingSpec["seed"], 3);
        }
    }
    EXPECT_EQ(labels, (std::vector<std::string>{"m1 no defense", "m1 summarize N=4", "m1 mixed M=1", "m2 no defense",
                                                "m2 summarize N=4", "m2 mixed M=1"}));
    EXPECT_EQ(hashes.size(), 6u);
    EXPECT_EQ(runKeys.size(), 6u);  // the templates differ, so the baselines do too
    EXPECT_EQ(plan.cells[1].trainingSpec["mixture"]["defense"]["count"], 4);
    EXPECT_EQ(plan.cells[2].trainingSpec["mixture"]["defense"]["per_task"], 1);
    EXPECT_EQ(&plan.findCell("2"), &plan.cells[2]);
    EXPECT_EQ(&plan.findCell(plan.cells[4].hash.substr(0, 10)), &plan.cells[4]);
    EXPECT_THROW(plan.findCell("99"), ConfigError);

    // Same spec, same hashes.
    const auto again = experiment::planExperiment(load(project), planOptions(project));
    for (std::size_t i = 0; i < plan.cells.size(); ++i) EXPECT_EQ(plan.cells[i].hash, again.cells[i].hash);

    // A longer generation changes every cell but no run key: the runs are reused.
    const auto longer = test::makeTinyExperiment(temp.path(), {{"evaluation", {{"generation", {{"max_new_tokens", 5}}}}}});
    const auto evaluationChanged = experiment::planExperiment(load(longer), planOptions(longer));
    for (std::size_t i = 0; i < plan.cells.size(); ++i) {
        EXPECT_NE(plan.cells[i].hash, evaluationChanged.cells[i].hash);
        EXPECT_EQ(plan.cells[i].runKey, evaluationChanged.cells[i].runKey);
    }

    // Another learning rate changes the trained cells' run keys only.
    const auto faster = test::makeTinyExperiment(
        temp.path(), {{"training", {{"optimizer", {{"learning_rate", 1e-2}, {"warmup_steps", 1}}}}}});
    const auto trainingChanged = experiment::planExperiment(load(faster), planOptions(faster));
    for (std::size_t i = 0; i < plan.cells.size(); ++i) {
        if (plan.cells[i].trains()) EXPECT_NE(plan.cells[i].runKey, trainingChanged.cells[i].runKey);
        else EXPECT_EQ(plan.cells[i].runKey, trainingChanged.cells[i].runKey);
    }
}

TEST(ExperimentPlan, TooFewDefenseDocumentsFailBeforeAnythingRuns) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(
        temp.path(), {{"grid", {{{"defended_task", "summarize"}, {"counts", {0, 500}}}}}});
    try {
        experiment::planExperiment(load(project), planOptions(project));
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("500"), std::string::npos) << error.what();
    }
}

TEST(ExperimentSpec, ShippedSpecsParse) {
    for (const char* name : {"tiny-cross-task.json", "paper-llama-7b.json"}) {
        const auto spec = experiment::ExperimentSpec::load(test::sourceDir() / "experiments" / name);
        EXPECT_FALSE(spec.models.empty()) << name;
    }
    const auto paper = experiment::ExperimentSpec::load(test::sourceDir() / "experiments" / "paper-llama-7b.json");
    EXPECT_TRUE(paper.requiresGpu);
    EXPECT_EQ(paper.generation["num_beams"], 4);
    EXPECT_EQ(paper.generation["max_new_tokens"], 128);
    ASSERT_EQ(paper.grid.size(), 6u);  // five tasks + mixed
    EXPECT_EQ(paper.grid[0].counts, (std::vector<int64_t>{0, 10, 50, 100, 200, 500, 1000, 2000}));
    EXPECT_EQ(paper.grid[5].counts, (std::vector<int64_t>{2, 10, 20, 100, 200, 400}));
}
