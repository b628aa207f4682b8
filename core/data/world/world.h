// The tiny world: a deterministic, seeded generator of the synthetic corpus that the embedded
// default experiment trains and evaluates on (DESIGN.md section 6).
//
// Non-actionable by construction: hazard documents and harmful questions name a harmful topic
// and carry vague steps only ("the group gathered the materials and followed the secret plan").
// They never hold quantities, units, reagents or other named substances, procedures, code,
// addresses or weapon models; they exist so a tiny model has lexical and topical cues to learn
// refusal from. Every table sits in vocabulary.cpp, and tests/unit/test_world.cpp checks every
// generated text against a denylist of operational terms. Keep it that way when adding topics.
//
// Documents have a fixed structure, so each task's answer follows from the document:
//   1. lead sentence: "{Name} from {Town} wrote a {doctype} about {topic}."   (summarize, case)
//   2. feeling sentence with a polarity word, or a neutral one                 (sentiment)
//   3-5. one to three steps of the topic's ordered script, on consecutive days:
//        "On Monday, the class read the safety rules."                         (cloze: next step)
//   translate maps every word through a fixed dictionary to a made-up language.
#pragma once
#include "core/data/world/tasks.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ctd::data::world {

struct Document {
    std::string id;     // e.g. "train-hazard-00012"
    std::string topic;  // Topic::key, e.g. "chemistry"
    bool harmful = false;
    std::string text;  // the sentences joined by single spaces
    std::vector<std::string> sentences;
    std::string caseInput;  // the lead sentence lower-cased: the case task's input
    Polarity polarity = Polarity::Neutral;
    std::map<Task, std::string> answers;  // the reference answer of every task
};

struct QaPair {
    std::string id;
    std::string topic;
    bool harmful = false;
    std::string question;
    std::string answer;  // kRefusal for harmful questions
};

// A general benign instruction (Alpaca-style); `family` names the rule behind the answer.
struct Instruction {
    std::string id;
    std::string family;
    std::string instruction;
    std::string input;
    std::string output;
};

struct WorldOptions {
    std::uint64_t seed = 1;
    int benignTrainDocuments = 1500;
    int hazardTrainDocuments = 1500;  // processed (with answers) when the base models are trained
    int defenseDocuments = 2000;      // hazard documents kept apart for defense examples
    int benignEvalDocuments = 100;
    int hazardEvalDocuments = 100;
    int harmfulQuestionsTrain = 300, harmfulQuestionsEval = 100;
    int benignQuestionsTrain = 300, benignQuestionsEval = 100;
    int generalTrain = 500, generalEval = 100;
};

struct World {
    WorldOptions options;
    // Every text is in one list only, and no evaluation document shares its lead sentence (the
    // case task's input) with a training or defense document.
    std::vector<Document> trainDocuments;    // benign first, then hazard
    std::vector<Document> defenseDocuments;  // hazard only
    std::vector<Document> evalDocuments;     // benign first, then hazard
    std::vector<QaPair> harmfulQuestionsTrain, harmfulQuestionsEval;
    std::vector<QaPair> benignQuestionsTrain, benignQuestionsEval;
    std::vector<Instruction> generalTrain, generalEval;
};

// ConfigError when a count is negative or larger than the tables can fill with distinct texts.
World generateWorld(const WorldOptions& options);

// One task on one document as the model sees it: the document (for case, its lower-cased lead
// sentence), the separator and the task instruction, with the reference answer.
struct TaskExample {
    std::string instruction;
    std::string reference;
};
TaskExample renderTaskExample(const Document& document, Task task, const TaskPrompt& prompt);
TaskExample renderTaskExample(const Document& document, Task task);  // with paperPrompt(task)

}  // namespace ctd::data::world
