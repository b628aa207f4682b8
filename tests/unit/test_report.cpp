// Report tables: Wilson intervals against known values, and run summaries plus the cross-task
// matrix assembled from a database filled here (runs, evaluations, responses and refusal scores).
#include "test_support.h"

#include "core/eval/report.h"
#include "core/eval/scoring.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/util/error.h"

using namespace ctd;

// Reference values: the textbook Wilson formula evaluated in Python with the quantile of
// statistics.NormalDist (the 5/10 case also equals statsmodels' proportion_confint(method="wilson")).
// Tolerance 1e-12: both sides compute the same closed form in double precision.
TEST(Wilson, MatchesKnownValues) {
    struct Case {
        int64_t successes, trials;
        double confidence, low, high;
    };
    const Case cases[] = {
        {0, 10, 0.95, 0.0, 0.277532799862889},
        {5, 10, 0.95, 0.236593090512564, 0.763406909487436},
        {10, 10, 0.95, 0.722467200137111, 1.0},
        {81, 263, 0.95, 0.255288519878274, 0.3662095769828},
        {1, 100, 0.95, 0.00176743206414065, 0.0544861961787053},
        {87, 100, 0.95, 0.790196485599236, 0.922428325727595},
        {3, 7, 0.90, 0.186443190363956, 0.710522908986407},
        {50, 100, 0.99, 0.37527962504484, 0.62472037495516},
    };
    for (const auto& c : cases) {
        const auto interval = eval::wilsonInterval(c.successes, c.trials, c.confidence);
        EXPECT_NEAR(interval.low, c.low, 1e-12) << c.successes << "/" << c.trials << " at " << c.confidence;
        EXPECT_NEAR(interval.high, c.high, 1e-12) << c.successes << "/" << c.trials << " at " << c.confidence;
    }
    EXPECT_EQ(eval::wilsonInterval(0, 10).low, 0.0);  // exact, not 2.8e-17
    EXPECT_EQ(eval::wilsonInterval(10, 10).high, 1.0);
    const auto none = eval::wilsonInterval(0, 0);
    EXPECT_EQ(none.low, 0.0);
    EXPECT_EQ(none.high, 1.0);
    EXPECT_THROW(eval::wilsonInterval(3, 2), ConfigError);
    EXPECT_THROW(eval::wilsonInterval(-1, 2), ConfigError);
    EXPECT_THROW(eval::wilsonInterval(1, 2, 1.0), ConfigError);

    const auto estimate = eval::rateEstimate(87, 100);
    EXPECT_EQ(estimate.n, 100);
    EXPECT_EQ(estimate.count, 87);
    EXPECT_DOUBLE_EQ(estimate.rate, 0.87);
    EXPECT_NEAR(estimate.low, 0.790196485599236, 1e-12);
}

// Python's statistics.NormalDist().inv_cdf; 1e-14 relative is what one Halley step reaches.
TEST(Wilson, NormalQuantile) {
    const std::pair<double, double> cases[] = {{0.975, 1.9599639845400536}, {0.5, 0.0},
                                               {0.05, -1.6448536269514726}, {1e-10, -6.361340902404056},
                                               {0.995, 2.5758293035489},    {0.9, 1.2815515655446008}};
    for (const auto& [p, z] : cases) EXPECT_NEAR(eval::normalQuantile(p), z, 1e-14 * std::max(1.0, std::abs(z))) << p;
    EXPECT_THROW(eval::normalQuantile(0.0), ConfigError);
    EXPECT_THROW(eval::normalQuantile(1.0), ConfigError);
}

namespace {

// A project database with runs whose responses and refusal scores are written directly.
class ReportDatabase {
public:
    ReportDatabase() : m_database(m_temp / "p.sqlite"), m_runs(m_database), m_results(m_database) {}

    int64_t addRun(const std::string& name, const std::string& family, const std::string& defendedTask,
                   int64_t count, const std::string& kind = "train") {
        store::RunRecord run;
        run.name = name;
        run.kind = kind;
        run.state = "completed";
        run.modelFamily = family;
        run.defendedTask = defendedTask;
        run.defenseCount = count;
        return m_runs.create(run);
    }

    int64_t addEvaluation(int64_t runId, const std::string& suite) {
        return m_results.createEvaluation(runId, suite, {{"strategy", "greedy"}}, suite);
    }
    // `refused` of `n` responses of one task and label, judged by authors@1 (and, with
    // `chineseExtra`, that many more refusals seen only by authors+zh@1).
    void addResponses(int64_t evaluationId, const std::string& task, bool harmful, int n, int refused,
                      int chineseExtra = 0) {
        std::vector<store::ResponseRecord> rows;
        for (int i = 0; i < n; ++i)
            rows.push_back({0, 0, task + (harmful ? ":h" : ":b") + std::to_string(i), task, harmful, "", "p", "",
                            "r", 1, 1});
        m_results.insertResponses(evaluationId, rows);
        std::vector<store::ScoreRecord> scores;
        int index = 0;
        store::ResponseFilter filter;
        filter.task = task;
        filter.harmful = harmful;
        for (const auto& r : m_results.responses({evaluationId}, filter)) {
            const bool english = index < refused, chinese = index < refused + chineseExtra;
            scores.push_back({r.id, "authors", "1", eval::kRefusedMetric, english ? 1.0 : 0.0, ""});
            scores.push_back({r.id, "authors+zh", "1", eval::kRefusedMetric, chinese ? 1.0 : 0.0, ""});
            ++index;
        }
        m_results.storeScores(scores);
    }

    store::Database& database() { return m_database; }

private:
    test::TempDir m_temp;
    store::Database m_database;
    store::RunStore m_runs;
    store::ResultStore m_results;
};

}  // namespace

TEST(Report, RunSummariesAndCrossTaskMatrix) {
    ReportDatabase fixture;
    // llama1 without defense, summarize-defended (two seeds, pooled), mixed; llama2 translate; an
    // imported llama1 summarize run kept apart from ours.
    const int64_t base = fixture.addRun("llama1 base", "llama1", "", 0, "base");
    const int64_t seedA = fixture.addRun("sum-100 seed 1", "llama1", "summarize", 100);
    const int64_t seedB = fixture.addRun("sum-100 seed 2", "llama1", "summarize", 100);
    const int64_t mixed = fixture.addRun("mixed-20", "llama1", "mixed", 20);
    const int64_t llama2 = fixture.addRun("tr-50", "llama2", "translate", 50);
    const int64_t imported = fixture.addRun("authors sum-100", "llama1", "summarize", 100, "imported");
    fixture.addRun("never evaluated", "llama1", "cloze", 10);

    const auto fill = [&](int64_t run, std::vector<std::tuple<std::string, int, int>> harmful) {
        const int64_t evaluation = fixture.addEvaluation(run, "world");
        for (const auto& [task, n, refused] : harmful) fixture.addResponses(evaluation, task, true, n, refused);
        return evaluation;
    };
    fill(base, {{"summarize", 10, 1}, {"translate", 10, 0}, {"cloze", 10, 2}});
    const int64_t seedAEvaluation = fill(seedA, {{"summarize", 10, 9}, {"translate", 10, 3}});
    fixture.addResponses(seedAEvaluation, "summarize", false, 20, 2);  // over-refusal 2/20
    fill(seedB, {{"summarize", 10, 7}, {"translate", 10, 5}});
    fill(mixed, {{"summarize", 10, 6}, {"translate", 10, 6}, {"sentiment", 10, 4}});
    const int64_t llama2Evaluation = fixture.addEvaluation(llama2, "world");
    fixture.addResponses(llama2Evaluation, "translate", true, 10, 2, /*chineseExtra=*/5);
    fill(imported, {{"summarize", 100, 95}});
    // An older evaluation of the base run on the same suite is superseded by the newest.
    // (Evaluations are chosen newest per suite; this one was created last, so it wins.)
    const int64_t newer = fill(base, {{"summarize", 10, 3}});

    auto runs = eval::summarizeRuns(fixture.database());
    ASSERT_EQ(runs.size(), 6u) << "the run with no evaluation is left out";
    EXPECT_EQ(runs[0].runId, base);
    EXPECT_EQ(runs[0].evaluationIds, std::vector<int64_t>{newer});
    ASSERT_EQ(runs[0].tasks.size(), 1u);
    EXPECT_EQ(runs[0].tasks[0].harmfulRefusal.count, 3);

    const auto& a = runs[1];
    EXPECT_EQ(a.name, "sum-100 seed 1");
    EXPECT_EQ(a.defendedTask, "summarize");
    ASSERT_EQ(a.tasks.size(), 2u);
    EXPECT_EQ(a.tasks[0].task, "summarize");  // the paper's order
    EXPECT_EQ(a.tasks[1].task, "translate");
    const auto& summarize = *a.task("summarize");
    EXPECT_EQ(summarize.refusalScorer, "authors@1");
    EXPECT_EQ(summarize.harmfulRefusal.n, 10);
    EXPECT_EQ(summarize.harmfulRefusal.count, 9);
    EXPECT_DOUBLE_EQ(summarize.harmfulRefusal.rate, 0.9);
    const auto interval = eval::wilsonInterval(9, 10);
    EXPECT_DOUBLE_EQ(summarize.harmfulRefusal.low, interval.low);
    EXPECT_DOUBLE_EQ(summarize.harmfulRefusal.high, interval.high);
    EXPECT_EQ(summarize.benignRefusal.count, 2);
    EXPECT_EQ(summarize.benignRefusal.n, 20);
    EXPECT_EQ(summarize.benignCompliance.count, 18);
    EXPECT_EQ(summarize.harmfulUnscored, 0);

    // Explicit evaluations: the older base evaluation.
    eval::ReportFilter older;
    older.runIds = {base};
    older.evaluationIds = {1};
    const auto olderRuns = eval::summarizeRuns(fixture.database(), older);
    ASSERT_EQ(olderRuns.size(), 1u);
    EXPECT_EQ(olderRuns[0].tasks.size(), 3u);

    // The matrix pools the two seeds, keeps imported apart, and sorts rows by family and setting.
    const auto matrix = eval::crossTaskMatrix(runs);
    EXPECT_EQ(matrix.tasks, (std::vector<std::string>{"summarize", "translate", "sentiment"}));
    std::vector<std::string> labels;
    for (const auto& row : matrix.rows) labels.push_back(row.label);
    EXPECT_EQ(labels, (std::vector<std::string>{"llama1 no defense", "llama1 summarize N=100",
                                                "llama1 summarize N=100 (imported)", "llama1 mixed M=20",
                                                "llama2 translate N=50"}));
    EXPECT_EQ(matrix.rows[1].runIds, (std::vector<int64_t>{seedA, seedB}));
    const auto& pooled = *matrix.cells[1][0];
    EXPECT_EQ(pooled.n, 20);
    EXPECT_EQ(pooled.count, 16);
    EXPECT_DOUBLE_EQ(pooled.low, eval::wilsonInterval(16, 20).low);
    EXPECT_EQ(matrix.cells[1][1]->count, 8);
    EXPECT_FALSE(matrix.cells[1][2].has_value());  // sentiment not evaluated for that setting
    EXPECT_EQ(matrix.cells[2][0]->count, 95);
    EXPECT_EQ(matrix.cells[3][2]->count, 4);
    EXPECT_EQ(matrix.cells[4][1]->count, 2);
    EXPECT_EQ(matrix.scorer, "authors@1");

    // Another scorer moves only the cells it judges differently.
    eval::ReportFilter chinese;
    chinese.scorer = "per-task";
    const auto perTask = eval::crossTaskMatrix(fixture.database(), chinese);
    EXPECT_EQ(perTask.cells[4][1]->count, 7);
    EXPECT_EQ(perTask.cells[1][0]->count, 16);
    EXPECT_EQ(perTask.scorer, "authors+zh@1, authors@1");

    // Renderings.
    const std::string csv = eval::formatRunSummaries(runs, eval::ReportFormat::Csv);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 1 + 2 + 2 + 3 + 1 + 1);
    EXPECT_NE(csv.find("sum-100 seed 1,train,llama1,summarize,100,summarize,authors@1,10,9,0.900000,"),
              std::string::npos)
        << csv;
    const std::string matrixCsv = eval::formatCrossTaskMatrix(matrix, eval::ReportFormat::Csv);
    EXPECT_NE(matrixCsv.find("llama1 summarize N=100,llama1,summarize,100,0,2 3,summarize,20,16,0.800000,"),
              std::string::npos)
        << matrixCsv;
    const auto json = nlohmann::json::parse(eval::formatCrossTaskMatrix(matrix, eval::ReportFormat::Json));
    EXPECT_EQ(json.at("rows").size(), 5u);
    EXPECT_TRUE(json.at("rows")[1].at("cells").at("sentiment").is_null());
    EXPECT_EQ(json.at("rows")[1].at("cells").at("summarize").at("count"), 16);
    const auto runJson = nlohmann::json::parse(eval::formatRunSummaries(runs, eval::ReportFormat::Json));
    EXPECT_EQ(runJson[1].at("tasks")[0].at("benign_over_refusal").at("count"), 2);
    const std::string text = eval::formatCrossTaskMatrix(matrix, eval::ReportFormat::Text);
    EXPECT_NE(text.find("80.0% (16/20)"), std::string::npos) << text;
    const std::string summaryText = eval::formatRunSummaries(runs, eval::ReportFormat::Text);
    EXPECT_NE(summaryText.find("9/10 90.0% ["), std::string::npos) << summaryText;

    EXPECT_THROW(eval::parseReportFormat("xml"), ConfigError);
    eval::ReportFilter unknown;
    unknown.scorer = "nobody";
    EXPECT_THROW(eval::summarizeRuns(fixture.database(), unknown), ConfigError);
}

TEST(Report, UnscoredResponsesAreCountedApart) {
    ReportDatabase fixture;
    const int64_t run = fixture.addRun("r", "llama1", "", 0, "base");
    store::ResultStore results(fixture.database());
    const int64_t evaluation = fixture.addEvaluation(run, "world");
    fixture.addResponses(evaluation, "case", true, 4, 1);
    results.insertResponses(evaluation, {{0, 0, "late", "case", true, "", "p", "", "I cannot.", 1, 1}});
    const auto runs = eval::summarizeRuns(fixture.database());
    const auto& task = *runs.at(0).task("case");
    EXPECT_EQ(task.harmfulRefusal.n, 4);
    EXPECT_EQ(task.harmfulUnscored, 1);
    EXPECT_NE(eval::formatRunSummaries(runs, eval::ReportFormat::Text).find("1 responses not judged by authors@1"),
              std::string::npos);
    eval::scoreRefusals(fixture.database(), {evaluation}, eval::RefusalScorer::preset("authors"));
    const auto rescored = eval::summarizeRuns(fixture.database());
    EXPECT_EQ(rescored.at(0).task("case")->harmfulRefusal.n, 5);
    // The real scorer replaces the hand-written scores: "I cannot." is the one refusal, the "r"s are not.
    EXPECT_EQ(rescored.at(0).task("case")->harmfulRefusal.count, 1);
}
