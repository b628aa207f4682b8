// Tiny-world documents: composition from the tables, the answer of every task, and splits whose
// texts never repeat across train, defense and evaluation.
#include "core/data/world/world.h"

#include "core/data/world/frames.h"
#include "core/data/world/random.h"
#include "core/data/world/short_prompts.h"
#include "core/data/world/vocabulary.h"
#include "core/util/error.h"

#include <set>

namespace ctd::data::world {
namespace {

struct SideOfTopic {
    const Topic* topic;
    const TopicSide* side;
};

std::vector<SideOfTopic> sidesFor(bool harmful) {
    std::vector<SideOfTopic> sides;
    for (const auto& topic : topics()) {
        if (!harmful) sides.push_back({&topic, &topic.benign});
        else if (topic.hazard) sides.push_back({&topic, &*topic.hazard});
    }
    return sides;
}

std::string joinSentences(const std::vector<std::string>& sentences) {
    std::string text;
    for (const auto& sentence : sentences) text += (text.empty() ? "" : " ") + sentence;
    return text;
}

std::string stepSentence(std::size_t day, const std::string& subject, const std::string& step) {
    const auto& days = weekdays();
    return fillFrame(stepFrame(), {{"day", days[day % days.size()]}, {"subject", subject}, {"step", step}});
}

Document composeDocument(Random& random, const SideOfTopic& where, bool harmful) {
    const TopicSide& side = *where.side;
    // Every draw is its own statement: the order in which function arguments are evaluated is
    // unspecified, and a different order would be a different world on another compiler.
    const Person& person = random.pick(people());
    const std::string& leadFrame = random.pick(leadFrames());
    const std::string& town = random.pick(towns());
    const std::string& doctype = random.pick(doctypes());
    const std::string& leadTopic = random.pick(side.leadTopics);
    const std::string lead = capitalizeFirst(
        fillFrame(leadFrame, {{"name", person.name}, {"town", town}, {"doctype", doctype}, {"topic", leadTopic}}));

    const auto polarity = static_cast<Polarity>(random.below(3));
    const std::string pronoun = person.female ? "she" : "he";
    const std::string& result = random.pick(results());
    std::string feeling;
    if (polarity == Polarity::Neutral) {
        const std::string& frame = random.pick(neutralFrames());
        feeling = fillFrame(frame, {{"pronoun", pronoun}, {"result", result}});
    } else {
        const std::string& frame = random.pick(feelingFrames());
        const std::string& word = random.pick(polarity == Polarity::Positive ? positiveWords() : negativeWords());
        feeling = fillFrame(frame, {{"pronoun", pronoun}, {"feeling", word}, {"result", result}});
    }

    // One to three consecutive steps, always leaving a next step for the cloze answer.
    if (side.steps.size() < 4 || side.subjects.empty() || side.leadTopics.empty())
        throw ConfigError("tiny world: topic '" + where.topic->key +
                          "' needs at least four steps, a subject and a lead topic on each side");
    const std::size_t stepCount = 1 + random.below(3);
    const std::size_t firstStep = random.below(side.steps.size() - stepCount);
    const std::size_t firstDay = random.below(weekdays().size());
    const std::string& subject = random.pick(side.subjects);

    Document document;
    document.topic = where.topic->key;
    document.harmful = harmful;
    document.polarity = polarity;
    document.sentences = {lead, capitalizeFirst(feeling)};
    for (std::size_t k = 0; k < stepCount; ++k)
        document.sentences.push_back(stepSentence(firstDay + k, subject, side.steps[firstStep + k]));
    document.text = joinSentences(document.sentences);
    document.caseInput = toLowerAscii(lead);
    document.answers[Task::Summarize] = lead;
    document.answers[Task::Translate] = translateText(document.text);
    document.answers[Task::Sentiment] = polarityName(polarity);
    document.answers[Task::Case] = lead;
    document.answers[Task::Cloze] = stepSentence(firstDay + stepCount, subject, side.steps[firstStep + stepCount]);
    return document;
}

// Texts already used anywhere, and lead sentences that only evaluation may use.
struct UsedTexts {
    std::set<std::string> texts;
    std::set<std::string> evaluationLeads;
};

void addDocuments(std::vector<Document>& into, Random& random, bool harmful, int count, const std::string& split,
                  UsedTexts& used, bool isEvaluation) {
    const auto sides = sidesFor(harmful);
    const std::string prefix = split + (harmful ? "-hazard" : "-benign");
    constexpr int kAttemptsPerDocument = 20000;
    for (int i = 0; i < count; ++i) {
        // Topics in turn, so even a 100-document evaluation set covers each of them evenly.
        const SideOfTopic& where = sides[static_cast<std::size_t>(i) % sides.size()];
        bool placed = false;
        for (int attempt = 0; attempt < kAttemptsPerDocument && !placed; ++attempt) {
            Document document = composeDocument(random, where, harmful);
            const std::string& lead = document.sentences.front();
            if (used.texts.count(document.text)) continue;
            // Evaluation documents may share a lead among themselves, never with training: the
            // case task's input is the lead, and a seen input would measure memory.
            if (!isEvaluation && used.evaluationLeads.count(lead)) continue;
            used.texts.insert(document.text);
            if (isEvaluation) used.evaluationLeads.insert(lead);
            document.id = numberedId(prefix, into.size());
            into.push_back(std::move(document));
            placed = true;
        }
        if (!placed)
            throw ConfigError("tiny world: cannot find " + std::to_string(count) + " distinct " +
                              (harmful ? "hazard" : "benign") + " " + split +
                              " documents; the tables are too small for that count, lower it");
    }
}

void checkCount(int count, const char* name) {
    if (count < 0) throw ConfigError(std::string("tiny world: ") + name + " must not be negative");
}

}  // namespace

World generateWorld(const WorldOptions& options) {
    checkCount(options.benignTrainDocuments, "benignTrainDocuments");
    checkCount(options.hazardTrainDocuments, "hazardTrainDocuments");
    checkCount(options.defenseDocuments, "defenseDocuments");
    checkCount(options.benignEvalDocuments, "benignEvalDocuments");
    checkCount(options.hazardEvalDocuments, "hazardEvalDocuments");

    World world;
    world.options = options;
    UsedTexts used;
    // Evaluation first, from its own stream: its documents do not change when training counts do.
    Random evalRandom = Random::forPurpose(options.seed, "eval-documents");
    addDocuments(world.evalDocuments, evalRandom, false, options.benignEvalDocuments, "eval", used, true);
    addDocuments(world.evalDocuments, evalRandom, true, options.hazardEvalDocuments, "eval", used, true);
    Random trainRandom = Random::forPurpose(options.seed, "train-documents");
    addDocuments(world.trainDocuments, trainRandom, false, options.benignTrainDocuments, "train", used, false);
    addDocuments(world.trainDocuments, trainRandom, true, options.hazardTrainDocuments, "train", used, false);
    Random defenseRandom = Random::forPurpose(options.seed, "defense-documents");
    addDocuments(world.defenseDocuments, defenseRandom, true, options.defenseDocuments, "defense", used, false);

    addQuestions(world, options);
    addGeneralInstructions(world, options);
    return world;
}

TaskExample renderTaskExample(const Document& document, Task task, const TaskPrompt& prompt) {
    const auto answer = document.answers.find(task);
    if (answer == document.answers.end())
        throw ConfigError("tiny world: document " + document.id + " has no " + taskName(task) + " answer");
    const std::string& input = task == Task::Case ? document.caseInput : document.text;
    return {input + prompt.separator + prompt.instruction, answer->second};
}

TaskExample renderTaskExample(const Document& document, Task task) {
    return renderTaskExample(document, task, paperPrompt(task));
}

}  // namespace ctd::data::world
