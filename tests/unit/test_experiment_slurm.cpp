// Slurm export: one array element per cell (each with its own database and the cell's hash), the
// environment the spec reads carried into the job, a merge script, and scripts bash accepts.
#include "test_experiment_support.h"

#include "core/experiment/plan.h"
#include "core/experiment/slurm.h"
#include "core/util/error.h"

#include <cstdlib>

using namespace ctd;
namespace fs = std::filesystem;

TEST(ExperimentSlurm, WritesAJobArrayWithOneCellPerElement) {
    test::TempDir temp;
    ::setenv("CTD_TEST_SLURM_MODELS", temp.path().c_str(), 1);
    const auto project = test::makeTinyExperiment(
        temp.path(), {{"models", {{{"name", "m1"}, {"path", "${CTD_TEST_SLURM_MODELS}/model"}}}}});
    const auto spec = experiment::ExperimentSpec::load(project.spec);
    experiment::SlurmOptions options;
    options.outDir = temp.path() / "slurm";
    options.partition = "gpu";
    options.ctdPath = "/opt/ctd/bin/ctd";
    options.gpus = 1;
    options.extraDirectives = {"--qos=long"};
    const auto exported = experiment::exportSlurm(spec, options);
    ::unsetenv("CTD_TEST_SLURM_MODELS");
    EXPECT_EQ(exported.cells, 3);
    for (const char* name : {"job.sbatch", "merge.sh", "submit.sh", "cells.tsv"})
        EXPECT_TRUE(fs::exists(options.outDir / name)) << name;
    EXPECT_TRUE(fs::is_directory(options.outDir / "db"));
    EXPECT_TRUE(fs::is_directory(options.outDir / "logs"));

    std::ifstream in(options.outDir / "job.sbatch");
    const std::string job{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_NE(job.find("#SBATCH --array=0-2\n"), std::string::npos) << job;
    EXPECT_NE(job.find("#SBATCH --gres=gpu:1\n"), std::string::npos) << job;
    EXPECT_NE(job.find("#SBATCH --partition=gpu\n"), std::string::npos) << job;
    EXPECT_NE(job.find("#SBATCH --qos=long\n"), std::string::npos) << job;
    EXPECT_NE(job.find("export CTD_TEST_SLURM_MODELS="), std::string::npos) << job;
    EXPECT_NE(job.find("'/opt/ctd/bin/ctd' --db \"$database\" experiment run"), std::string::npos) << job;
    experiment::PlanOptions planOptions;
    ::setenv("CTD_TEST_SLURM_MODELS", temp.path().c_str(), 1);
    planOptions.outDir = options.outDir / "work";
    const auto plan = experiment::planExperiment(spec, planOptions);
    ::unsetenv("CTD_TEST_SLURM_MODELS");
    for (const auto& cell : plan.cells) EXPECT_NE(job.find(cell.hash), std::string::npos) << cell.label;

    for (const char* script : {"job.sbatch", "merge.sh", "submit.sh"}) {
        const auto check = test::runCommand("bash -n " + test::shellQuote((options.outDir / script).string()));
        EXPECT_EQ(check.exitCode, 0) << script << ": " << check.output;
    }
    // The array element's cell list, as bash reads it.
    const auto cells = test::runCommand("bash -c " + test::shellQuote("SLURM_ARRAY_TASK_ID=2; " +
                                                                      std::string("eval \"$(sed -n '/^cells=(/,/^)/p' ") +
                                                                      test::shellQuote((options.outDir / "job.sbatch").string()) +
                                                                      ")\"; echo ${cells[$SLURM_ARRAY_TASK_ID]}"));
    EXPECT_EQ(cells.output, plan.cells[2].hash + "\n");
}

TEST(ExperimentSlurm, NeedsASpecFile) {
    const nlohmann::json j = {{"name", "x"},
                              {"models", {{{"name", "a"}, {"path", "m"}}}},
                              {"grid", {{{"defended_task", "summarize"}, {"counts", {0}}}}},
                              {"evaluation", {{"suites", {{{"name", "s"}, {"world", "w"}}}}}}};
    const auto spec = experiment::ExperimentSpec::fromJson(j, "spec", "/tmp");
    experiment::SlurmOptions options;
    options.outDir = "/tmp/never-written";
    EXPECT_THROW(experiment::exportSlurm(spec, options), ConfigError);
}
