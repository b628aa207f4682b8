// Mixtures: exact seeded counts, defense rendering, determinism and hashing, the leak check,
// storage round trip, and `ctd mix build|stats` end to end on a generated tiny world.
#include "core/data/mixture.h"
#include "core/data/mixture_leak.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"
#include "core/util/error.h"
#include "core/util/json_file.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <tuple>

using namespace ctd::data;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kRefusal = "I'm sorry, but I cannot help with that.";

std::string hazardDocument(int i) { return "Hazard report " + std::to_string(i) + " about a dangerous plan."; }

json alpacaList(const std::string& prefix, int count) {
    json list = json::array();
    for (int i = 0; i < count; ++i)
        list.push_back({{"instruction", prefix + " instruction " + std::to_string(i)},
                        {"input", i % 3 == 0 ? "input " + std::to_string(i) : ""},
                        {"output", prefix + " answer " + std::to_string(i)}});
    return list;
}

// A small world of files: benign (30), safety (12), a pool of 40 plain documents, per-task pools
// of 40 rendered documents (the case task lower-cases its document), and an evaluation file.
class MixtureFiles : public ::testing::Test {
protected:
    void SetUp() override {
        ctd::util::writeJsonFile(m_dir / "benign.json", alpacaList("benign", 30));
        ctd::util::writeJsonFile(m_dir / "safety.json", alpacaList("safety", 12));
        json pool = json::array();
        for (int i = 0; i < 40; ++i) pool.push_back({{"instruction", hazardDocument(i)}, {"input", ""}, {"output", kRefusal}});
        ctd::util::writeJsonFile(m_dir / "pool.json", pool);
        for (const auto& task : paperTasks()) {
            json rendered = json::array();
            for (int i = 0; i < 40; ++i) {
                std::string document = hazardDocument(i);
                if (task.name == "case")
                    std::transform(document.begin(), document.end(), document.begin(),
                                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                rendered.push_back({{"instruction", renderTaskPrompt(task, document)}, {"input", ""}, {"output", kRefusal}});
            }
            ctd::util::writeJsonFile(m_dir / ("pool_" + task.name + ".json"), rendered);
        }
        json evaluation{{"instructions", json::array()}, {"inputs", json::array()}};
        const TaskRegistry tasks = TaskRegistry::builtin();
        for (int i = 0; i < 5; ++i)
            evaluation["instructions"].push_back(renderTaskPrompt(tasks.find("summarize"), "Evaluation document " + std::to_string(i) + "."));
        ctd::util::writeJsonFile(m_dir / "test_summarize.json", evaluation);
    }

    json singleSpec(std::int64_t defenseCount = 15) const {
        return {{"name", "single"},
                {"seed", 7},
                {"benign", {{{"name", "general"}, {"path", "benign.json"}, {"count", 20}}}},
                {"safety", {{{"name", "safety_qa"}, {"path", "safety.json"}, {"count", 5}}}},
                {"defense", {{"pool", {{"path", "pool.json"}}}, {"refusal", kRefusal}, {"mode", "single"},
                             {"task", "summarize"}, {"count", defenseCount}}},
                {"evaluation_files", {"test_summarize.json"}}};
    }
    json mixedSpec(std::int64_t perTask = 6) const {
        json spec = singleSpec();
        spec["name"] = "mixed";
        spec["defense"] = {{"pool", "pool.json"}, {"refusals", {kRefusal, "I cannot do that."}}, {"mode", "mixed"},
                           {"per_task", perTask}};
        return spec;
    }
    MixtureSpec parse(const json& spec) const { return MixtureSpec::fromJson(spec, "spec.json", m_dir.path()); }
    Mixture build(const json& spec, const BuildOptions& options = {}) const { return buildMixture(parse(spec), options); }

    ctd::test::TempDir m_dir;
};

std::string errorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const ctd::ConfigError& error) {
        return error.what();
    }
    return "(no ConfigError)";
}

}  // namespace

TEST_F(MixtureFiles, SingleTaskCountsTagsAndRendering) {
    const Mixture mixture = build(singleSpec());
    ASSERT_EQ(mixture.examples.size(), 40u);
    EXPECT_EQ(mixture.countsBySource, (std::map<std::string, std::int64_t>{{"general", 20}, {"safety_qa", 5}, {"defense", 15}}));
    EXPECT_EQ(mixture.countsByTask, (std::map<std::string, std::int64_t>{{"benign", 20}, {"safety_qa", 5}, {"summarize", 15}}));
    EXPECT_EQ(mixture.evaluationFilesChecked.size(), 1u);

    const json benign = ctd::test::readJson(m_dir / "benign.json");
    const TaskRegistry tasks = TaskRegistry::builtin();
    const TaskSpec& summarize = tasks.find("summarize");
    std::set<std::int64_t> defenseIndices;
    for (const auto& example : mixture.examples) {
        if (example.source == "general") {
            EXPECT_EQ(example.task, "benign");
            const json& record = benign.at(static_cast<std::size_t>(example.sourceIndex));
            EXPECT_EQ(example.instruction, record["instruction"]);
            EXPECT_EQ(example.input, record["input"]);
            EXPECT_EQ(example.output, record["output"]);
            EXPECT_FALSE(example.document);
        } else if (example.source == "safety_qa") {
            EXPECT_EQ(example.task, "safety_qa");
        } else {
            ASSERT_EQ(example.source, "defense");
            EXPECT_EQ(example.task, "summarize");
            ASSERT_TRUE(example.document);
            EXPECT_EQ(*example.document, hazardDocument(static_cast<int>(example.sourceIndex)));
            // document + separator ("" for summarize) + the authors' instruction, exactly.
            EXPECT_EQ(example.instruction, *example.document + "Summarize the above article briefly in 3 sentences.");
            EXPECT_EQ(example.instruction, renderTaskPrompt(summarize, *example.document));
            EXPECT_EQ(example.input, "");
            EXPECT_EQ(example.output, kRefusal);
            defenseIndices.insert(example.sourceIndex);
        }
    }
    EXPECT_EQ(defenseIndices.size(), 15u);  // no document twice
}

TEST_F(MixtureFiles, MixedTaskCountsDistinctDocumentsAndSeparators) {
    const Mixture mixture = build(mixedSpec(6));
    ASSERT_EQ(mixture.examples.size(), 20u + 5u + 30u);
    const TaskRegistry tasks = TaskRegistry::builtin();
    std::set<std::int64_t> documents;
    std::set<std::string> refusals;
    for (const auto& task : paperTasks()) EXPECT_EQ(mixture.countsByTask.at(task.name), 6) << task.name;
    for (const auto& example : mixture.examples) {
        if (example.source != "defense") continue;
        documents.insert(example.sourceIndex);
        refusals.insert(example.output);
        const TaskSpec& task = tasks.find(example.task);
        EXPECT_EQ(example.instruction, hazardDocument(static_cast<int>(example.sourceIndex)) + task.separator + task.instruction);
    }
    EXPECT_EQ(documents.size(), 30u) << "a document served two tasks";
    EXPECT_EQ(refusals, (std::set<std::string>{kRefusal, "I cannot do that."}));
    const auto cloze = std::find_if(mixture.examples.begin(), mixture.examples.end(),
                                    [](const MixtureExample& example) { return example.task == "cloze"; });
    ASSERT_NE(cloze, mixture.examples.end());
    EXPECT_NE(cloze->instruction.find(".\n\nWrite the next sentence."), std::string::npos);
}

TEST_F(MixtureFiles, MixedPoolTooSmallNamesTheCounts) {
    const std::string message = errorOf([&] { build(mixedSpec(9)); });
    EXPECT_NE(message.find("9 per task x 5 tasks = 45"), std::string::npos) << message;
    EXPECT_NE(message.find("has only 40"), std::string::npos) << message;
    json shared = mixedSpec(9);
    shared["defense"]["distinct_documents"] = false;
    const Mixture mixture = build(shared);
    for (const auto& task : paperTasks()) EXPECT_EQ(mixture.countsByTask.at(task.name), 9);
}

TEST_F(MixtureFiles, SameSpecAndSeedGiveTheSameMixture) {
    const Mixture first = build(singleSpec());
    const Mixture second = build(singleSpec());
    EXPECT_EQ(first.hash, second.hash);
    EXPECT_EQ(first.hash.size(), 64u);
    ASSERT_EQ(first.examples.size(), second.examples.size());
    for (std::size_t i = 0; i < first.examples.size(); ++i) {
        EXPECT_EQ(first.examples[i].instruction, second.examples[i].instruction);
        EXPECT_EQ(first.examples[i].source, second.examples[i].source);
        EXPECT_EQ(first.examples[i].sourceIndex, second.examples[i].sourceIndex);
    }
    // The canonical JSON form builds the same mixture.
    const Mixture again = buildMixture(MixtureSpec::fromJson(parse(singleSpec()).toJson(), "copy", m_dir.path()));
    EXPECT_EQ(again.hash, first.hash);
    // The spec's name does not enter the hash; the data does.
    json renamed = singleSpec();
    renamed["name"] = "another name";
    EXPECT_EQ(build(renamed).hash, first.hash);
}

TEST_F(MixtureFiles, SeedCountOrRefusalChangeTheHash) {
    const Mixture base = build(singleSpec());
    json seed = singleSpec();
    seed["seed"] = 8;
    const Mixture reseeded = build(seed);
    EXPECT_NE(reseeded.hash, base.hash);
    bool orderDiffers = false;
    for (std::size_t i = 0; i < base.examples.size(); ++i)
        orderDiffers |= base.examples[i].instruction != reseeded.examples[i].instruction;
    EXPECT_TRUE(orderDiffers);
    EXPECT_NE(build(singleSpec(16)).hash, base.hash);
    json refusal = singleSpec();
    refusal["defense"]["refusal"] = "No.";
    EXPECT_NE(build(refusal).hash, base.hash);
    json templateName = singleSpec();
    templateName["template"] = "llama2";
    EXPECT_NE(build(templateName).hash, base.hash);
    json task = singleSpec();
    task["defense"]["task"] = "translate";
    EXPECT_NE(build(task).hash, base.hash);
}

TEST_F(MixtureFiles, LargerDefenseSetsContainSmallerOnes) {
    // Same seed: the N=5 documents are among the N=10 ones (a clean "refusal vs N" curve), and
    // defending another task uses the same documents.
    auto documents = [&](const json& spec) {
        std::set<std::int64_t> indices;
        for (const auto& example : build(spec).examples)
            if (example.source == "defense") indices.insert(example.sourceIndex);
        return indices;
    };
    const auto five = documents(singleSpec(5));
    const auto ten = documents(singleSpec(10));
    EXPECT_EQ(five.size(), 5u);
    EXPECT_TRUE(std::includes(ten.begin(), ten.end(), five.begin(), five.end()));
    json translate = singleSpec(5);
    translate["defense"]["task"] = "translate";
    EXPECT_EQ(documents(translate), five);
}

TEST_F(MixtureFiles, CountTooLargeNamesSourceRequestedAndAvailable) {
    json benign = singleSpec();
    benign["benign"][0]["count"] = 31;
    std::string message = errorOf([&] { build(benign); });
    EXPECT_NE(message.find("\"general\" asks for 31"), std::string::npos) << message;
    EXPECT_NE(message.find("has only 30"), std::string::npos) << message;
    message = errorOf([&] { build(singleSpec(41)); });
    EXPECT_NE(message.find("\"defense\" asks for 41"), std::string::npos) << message;
    EXPECT_NE(message.find("only 40 distinct documents"), std::string::npos) << message;

    json all = singleSpec();
    all["benign"][0]["count"] = "all";
    all["defense"]["count"] = "all";
    const Mixture mixture = build(all);
    EXPECT_EQ(mixture.countsBySource.at("general"), 30);
    EXPECT_EQ(mixture.countsBySource.at("defense"), 40);
}

TEST_F(MixtureFiles, LeakCheckRefusesEvaluationDocuments) {
    // A pool document that is an evaluation document.
    json pool = ctd::test::readJson(m_dir / "pool.json");
    pool[3]["instruction"] = "Evaluation document 2.";
    ctd::util::writeJsonFile(m_dir / "pool.json", pool);
    std::string message = errorOf([&] { build(singleSpec(40)); });
    EXPECT_NE(message.find("mixture example"), std::string::npos) << message;
    EXPECT_NE(message.find("source \"defense\", record 3"), std::string::npos) << message;
    EXPECT_NE(message.find("test_summarize.json"), std::string::npos) << message;

    // A benign example whose instruction is an evaluation prompt, and one rendered for another task.
    const TaskRegistry tasks = TaskRegistry::builtin();
    json benign = alpacaList("benign", 30);
    benign[4]["instruction"] = renderTaskPrompt(tasks.find("sentiment"), "Evaluation document 4.");
    benign[4]["input"] = "";
    ctd::util::writeJsonFile(m_dir / "benign.json", benign);
    json spec = singleSpec(3);
    spec["benign"][0]["count"] = "all";
    spec["defense"]["pool"] = "pool_summarize.json";
    message = errorOf([&] { build(spec); });
    EXPECT_NE(message.find("source \"general\", record 4"), std::string::npos) << message;
    EXPECT_NE(message.find("evaluation document"), std::string::npos) << message;

    // Without evaluation files nothing is checked; documents given in the options are.
    spec.erase("evaluation_files");
    EXPECT_NO_THROW(build(spec));
    BuildOptions options;
    options.evaluationDocuments = {"benign instruction 7"};
    message = errorOf([&] { build(spec, options); });
    EXPECT_NE(message.find("record 7"), std::string::npos) << message;
}

TEST_F(MixtureFiles, PerTaskPoolsKeepEachTasksRendering) {
    json spec = mixedSpec(4);
    spec["defense"]["pool"] = {{"path", "pool_{task}.json"}, {"field", "instruction"}, {"strip_task", "auto"}};
    const Mixture mixture = build(spec);
    std::set<std::int64_t> indices;
    for (const auto& example : mixture.examples) {
        if (example.source != "defense") continue;
        indices.insert(example.sourceIndex);
        const json pool = ctd::test::readJson(m_dir / ("pool_" + example.task + ".json"));
        // Stripped and rendered again, the pool's own prompt comes back (lower case for case).
        EXPECT_EQ(example.instruction, pool.at(static_cast<std::size_t>(example.sourceIndex))["instruction"]);
    }
    EXPECT_EQ(indices.size(), 20u);

    json pool = ctd::test::readJson(m_dir / "pool_cloze.json");
    pool.erase(pool.size() - 1);
    ctd::util::writeJsonFile(m_dir / "pool_cloze.json", pool);
    const std::string message = errorOf([&] { build(spec); });
    EXPECT_NE(message.find("same documents in the same order"), std::string::npos) << message;
}

TEST_F(MixtureFiles, SpecErrorsNameTheField) {
    json unknown = singleSpec();
    unknown["benign"][0]["cout"] = 3;
    EXPECT_THROW(parse(unknown), ctd::FormatError);
    json duplicate = singleSpec();
    duplicate["safety"][0]["name"] = "general";
    EXPECT_THROW(parse(duplicate), ctd::ConfigError);
    json negative = singleSpec();
    negative["benign"][0]["count"] = -1;
    EXPECT_THROW(parse(negative), ctd::ConfigError);
    json mixedKeys = singleSpec();
    mixedKeys["defense"]["per_task"] = 3;
    EXPECT_THROW(parse(mixedKeys), ctd::ConfigError);
    json task = singleSpec();
    task["defense"]["task"] = "poetry";
    const std::string message = errorOf([&] { build(task); });
    EXPECT_NE(message.find("known tasks: summarize"), std::string::npos) << message;
    json missing = singleSpec();
    missing["benign"][0]["path"] = "nowhere.json";
    EXPECT_THROW(build(missing), ctd::IoError);
}

TEST_F(MixtureFiles, StoredMixtureComesBackWhole) {
    const Mixture mixture = build(mixedSpec(3));
    ctd::store::Database database(m_dir / "project.sqlite");
    ctd::store::DatasetStore datasets(database);
    const auto inserted = datasets.insert(mixtureDataset(mixture));
    EXPECT_FALSE(inserted.alreadyPresent);
    EXPECT_TRUE(datasets.insert(mixtureDataset(mixture)).alreadyPresent);
    const auto summary = datasets.get(inserted.datasetId);
    EXPECT_EQ(summary.kind, "mixture");
    EXPECT_EQ(summary.contentHash, mixture.hash);
    EXPECT_EQ(summary.metadata["spec"]["defense"]["per_task"], 3);

    const Mixture loaded = mixtureFromDataset(datasets.load(inserted.datasetId));
    EXPECT_EQ(loaded.hash, mixture.hash);
    EXPECT_EQ(loaded.countsByTask, mixture.countsByTask);
    EXPECT_EQ(loaded.countsBySource, mixture.countsBySource);
    EXPECT_EQ(loaded.spec.toJson(), mixture.spec.toJson());
    ASSERT_EQ(loaded.examples.size(), mixture.examples.size());
    for (std::size_t i = 0; i < loaded.examples.size(); ++i) {
        const auto& a = loaded.examples[i];
        const auto& b = mixture.examples[i];
        EXPECT_EQ(std::tie(a.instruction, a.input, a.output, a.task, a.source, a.sourceIndex, a.document),
                  std::tie(b.instruction, b.input, b.output, b.task, b.source, b.sourceIndex, b.document));
    }
}

TEST(MixtureLeak, SplitTaskPromptRecoversTheDocument) {
    const TaskRegistry tasks = TaskRegistry::builtin();
    for (const auto& task : paperTasks()) {
        const auto split = splitTaskPrompt(tasks, renderTaskPrompt(task, "A document."));
        ASSERT_TRUE(split) << task.name;
        EXPECT_EQ(split->task, task.name);
        EXPECT_EQ(split->document, "A document.");
    }
    // Stripping is exact: whatever precedes the task's own separator belongs to the document.
    const auto exact = splitTaskPrompt(tasks, "A document.\n\nSummarize the above article briefly in 3 sentences.");
    ASSERT_TRUE(exact);
    EXPECT_EQ(exact->document, "A document.\n\n");
    // Another separator still finds the instruction (the document loses trailing whitespace).
    const auto other = splitTaskPrompt(tasks, "A document. \tHow would you describe the sentiment of this document?\n");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->task, "sentiment");
    EXPECT_EQ(other->document, "A document.");
    EXPECT_FALSE(splitTaskPrompt(tasks, "What is the capital of France?"));
}

// The CLI on a real tiny world: the example specs of experiments/mixtures, storage, stats, a leak.
TEST(MixCommand, BuildsStoresAndReportsOnATinyWorld) {
    const fs::path cli = CTD_CLI_PATH;
    if (!fs::exists(cli)) GTEST_SKIP() << "ctd is not built: " << cli;
    ctd::test::TempDir dir;
    const std::string ctd = ctd::test::shellQuote(cli.string());
    const std::string world = ctd::test::shellQuote((dir / "world").string());
    const std::string db = " --db " + ctd::test::shellQuote((dir / "project.sqlite").string());
    auto generated = ctd::test::runCommand(ctd + " world generate --seed 3 --out " + world);
    ASSERT_EQ(generated.exitCode, 0) << generated.output;

    const fs::path examples = ctd::test::sourceDir() / "experiments" / "mixtures";
    const std::string out = (dir / "summarize.json").string();
    auto built = ctd::test::runCommand(ctd + db + " mix build " + ctd::test::shellQuote((examples / "tiny-summarize-200.json").string()) +
                                       " --data-dir " + world + " --out " + ctd::test::shellQuote(out));
    ASSERT_EQ(built.exitCode, 0) << built.output;
    EXPECT_NE(built.output.find("by task    benign 1500, safety_qa 100, summarize 200"), std::string::npos) << built.output;
    EXPECT_NE(built.output.find("leak check passed against 13 evaluation files"), std::string::npos) << built.output;
    EXPECT_NE(built.output.find("stored as dataset 1"), std::string::npos) << built.output;
    const json written = ctd::test::readJson(out);
    ASSERT_EQ(written.size(), 1800u);
    EXPECT_TRUE(written[0].contains("task") && written[0].contains("source") && written[0].contains("source_index"));

    auto again = ctd::test::runCommand(ctd + db + " mix build " + ctd::test::shellQuote((examples / "tiny-summarize-200.json").string()) +
                                       " --data-dir " + world);
    EXPECT_NE(again.output.find("already stored as dataset 1"), std::string::npos) << again.output;

    auto mixed = ctd::test::runCommand(ctd + db + " mix build " + ctd::test::shellQuote((examples / "tiny-mixed-20.json").string()) +
                                       " --data-dir " + world + " --seed 5");
    ASSERT_EQ(mixed.exitCode, 0) << mixed.output;
    EXPECT_NE(mixed.output.find("case 20, cloze 20, safety_qa 100, sentiment 20, summarize 20, translate 20"), std::string::npos)
        << mixed.output;

    auto stats = ctd::test::runCommand(ctd + db + " mix stats 2 --model " + world + " --template alpaca --cutoff 96");
    ASSERT_EQ(stats.exitCode, 0) << stats.output;
    EXPECT_NE(stats.output.find("by source  benign_tasks 1000, defense 100, general 500, safety_qa 100"), std::string::npos)
        << stats.output;
    EXPECT_NE(stats.output.find("cutoff 96"), std::string::npos) << stats.output;
    EXPECT_TRUE(std::regex_search(stats.output, std::regex("\\n  all +1700 "))) << stats.output;

    // An evaluation file fed back as training data is refused, naming the file.
    json leak = {{"seed", 1},
                 {"data_dir", (dir / "world").string()},
                 {"defense", {{"pool", "test_summarize.json"}, {"task", "cloze"}, {"count", 5}}},
                 {"evaluation_files", {"test_cloze.json"}}};
    ctd::util::writeJsonFile(dir / "leak.json", leak);
    auto refused = ctd::test::runCommand(ctd + db + " mix build " + ctd::test::shellQuote((dir / "leak.json").string()));
    EXPECT_EQ(refused.exitCode, 1) << refused.output;
    EXPECT_NE(refused.output.find("leaks evaluation data"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("test_cloze.json"), std::string::npos) << refused.output;
}
