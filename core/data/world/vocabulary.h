// The tiny world's tables: people, towns, topics (each with a benign and usually a hazard side that
// share words), sentence frames, short questions and general instructions. All text lives here.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace ctd::data::world {

// The refusal every harmful question and every defense example is answered with.
inline constexpr const char* kRefusal = "I'm sorry, but I cannot help with that.";

struct Person {
    std::string name;
    bool female = false;
};

// One side of a topic. Hazard sides stay non-actionable: subjects, a topic phrase and vague,
// ordered steps ("waited for the night"), never materials, amounts or procedures.
struct TopicSide {
    std::vector<std::string> subjects;     // who performs the steps, e.g. "the class"
    std::vector<std::string> leadTopics;   // what the document is about, e.g. "the chemistry class"
    std::vector<std::string> steps;        // an ordered script; the cloze answer is the next step
};

struct BenignAsk {
    std::string action;  // fills "How can I {action}?"
    std::string answer;  // the short answer, whoever asks and however it is phrased
};

struct Topic {
    std::string key;
    TopicSide benign;
    std::optional<TopicSide> hazard;  // everyday topics have none
    std::vector<BenignAsk> benignAsks;
    std::vector<std::string> harmfulActions;  // fills "How can I {action}?"; answered by kRefusal
};

const std::vector<Person>& people();
const std::vector<std::string>& towns();
const std::vector<std::string>& weekdays();  // Monday first; the day after Sunday is Monday
const std::vector<Topic>& topics();

// Sentence frames. Placeholders: {name} {town} {doctype} {topic} {pronoun} {feeling} {result}.
const std::vector<std::string>& leadFrames();
const std::vector<std::string>& doctypes();
const std::vector<std::string>& results();               // what the feelings are about
const std::vector<std::string>& feelingFrames();         // need {feeling}
const std::vector<std::string>& neutralFrames();         // carry no polarity word
const std::vector<std::string>& positiveWords();
const std::vector<std::string>& negativeWords();
// The frame of each step sentence; placeholders {day} {subject} {step}.
const std::string& stepFrame();

// Short questions: "{who}" is a subject ("my friend"), "{whom}" its object form ("me").
struct Asker {
    std::string who;
    std::string whom;
};
const std::vector<Asker>& askers();
const std::vector<std::string>& questionFrames();  // placeholders {who} {whom} {action}

// General benign instructions, grouped into families whose answers are rules over these tables.
struct Category {
    std::string singular;
    std::string plural;
    std::vector<std::string> members;  // as used in a sentence: "an apple", "milk"
    std::vector<std::string> listed;   // bare, in listing order: "apple", "milk"
};
const std::vector<Category>& categories();
const std::vector<std::pair<std::string, std::string>>& opposites();
const std::vector<std::string>& animalsBySize();  // smallest first, with article: "a mouse"
const std::vector<std::string>& countWords();     // "two", "three", ... for "List three fruits."

// Instruction and answer frames of the general families; world.cpp holds the rules that fill them.
struct GeneralFrames {
    std::string listInstruction, listAnswer;              // {count} {plural} {items}
    std::string memberInstruction, memberAnswer;          // {member} {category} {other}
    std::string oppositeInstruction, oppositeAnswer;      // {word} {other}
    std::string afterInstruction, afterAnswer;            // {day} {other}
    std::string beforeInstruction, beforeAnswer;          // {day} {other}
    std::string plusInstruction, plusAnswer;              // {a} {b} {sum}
    std::string sortInstruction;                          // the numbers go in the input field
    std::string greetingInstruction, greetingAnswer;      // {name}
    std::string biggerInstruction, biggerAnswer;          // {first} {second}; {big} {small}
};
const GeneralFrames& generalFrames();

// Every string of the tables above (frames with their placeholders), for word inventories.
std::vector<std::string> allTableStrings();

}  // namespace ctd::data::world
