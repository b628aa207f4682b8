// The five paper tasks on tiny-world documents: their prompts (the authors' wording and
// separators) and the rules that make every answer follow from the document alone.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::data::world {

enum class Task { Summarize, Translate, Sentiment, Case, Cloze };

const std::vector<Task>& allTasks();
// "summarize", "translate", "sentiment", "case", "cloze" (the names of the authors' files).
std::string taskName(Task task);
// ConfigError listing the known names when `name` is none of them.
Task parseTask(std::string_view name);

// The text between the document and the task instruction, and the instruction itself.
struct TaskPrompt {
    std::string separator;
    std::string instruction;
};
// DESIGN.md section 2: summarize and translate have no separator, sentiment and case "\n",
// cloze "\n\n".
TaskPrompt paperPrompt(Task task);

enum class Polarity { Positive, Negative, Neutral };
std::string polarityName(Polarity polarity);  // the sentiment answer: "positive", ...
// The polarity its explicit words give `text`: positive or negative when only words of that
// list occur, neutral when none does. ConfigError when both kinds occur (a generator bug).
Polarity polarityOf(std::string_view text);

// Proper nouns of the world (people, towns, weekdays): kept by translation, capitalised by case.
bool isProperNoun(std::string_view word);

// The made-up target language: every lower-case English word of the documents maps to its own
// two-syllable word (CV+CV), fixed by the word tables and independent of the seed. Syllable words
// tokenize compactly, so a tiny vocabulary covers both languages.
const std::map<std::string, std::string>& translationDictionary();
std::string translateWord(std::string_view lowerCaseWord);
// Word by word: words are lower-cased and mapped, proper nouns and punctuation stay as they are.
std::string translateText(std::string_view text);

std::string toLowerAscii(std::string_view text);
std::string capitalizeFirst(std::string_view text);
// The case task's answer from its lower-cased input: capital first letter, capitalised proper
// nouns and "I".
std::string properCase(std::string_view lowerCaseSentence);

// Every lower-case word a tiny-world document can contain (from the tables), sorted.
std::vector<std::string> documentWords();

}  // namespace ctd::data::world
