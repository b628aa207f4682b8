// Task prompts and the answer rules of the tiny world: lead sentence, word-map translation,
// polarity words, proper case and (in world.cpp) the next step of a topic's script.
#include "core/data/world/tasks.h"

#include "core/data/world/vocabulary.h"
#include "core/util/error.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

namespace ctd::data::world {
namespace {

bool isWordCharacter(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '\''; }

// Calls `onWord` for each maximal run of letters/apostrophes and `onOther` for everything else.
template <class OnWord, class OnOther>
void scanWords(std::string_view text, OnWord onWord, OnOther onOther) {
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = i;
        const bool word = isWordCharacter(text[i]);
        while (j < text.size() && isWordCharacter(text[j]) == word) ++j;
        if (word) onWord(text.substr(i, j - i));
        else onOther(text.substr(i, j - i));
        i = j;
    }
}

std::vector<std::string> lowerWordsOf(std::string_view text) {
    std::vector<std::string> words;
    scanWords(text, [&](std::string_view word) { words.push_back(toLowerAscii(word)); }, [](std::string_view) {});
    return words;
}

// Placeholders such as "{name}" are not words of the text.
std::string withoutPlaceholders(const std::string& frame) {
    std::string out;
    bool inside = false;
    for (char c : frame) {
        if (c == '{') {
            inside = true;
        } else if (c == '}') {
            inside = false;
            out += ' ';
        } else if (!inside) {
            out += c;
        }
    }
    return out;
}

const std::set<std::string>& properNouns() {
    static const std::set<std::string> nouns = [] {
        std::set<std::string> set;
        for (const auto& person : people()) set.insert(person.name);
        set.insert(towns().begin(), towns().end());
        set.insert(weekdays().begin(), weekdays().end());
        return set;
    }();
    return nouns;
}

constexpr std::string_view kConsonants = "klmnprst";
constexpr std::string_view kVowels = "aeiou";
constexpr std::size_t kSyllables = kConsonants.size() * kVowels.size();

std::string syllableWord(std::size_t slot) {
    const std::size_t first = slot / kSyllables, second = slot % kSyllables;
    return std::string{kConsonants[first / kVowels.size()], kVowels[first % kVowels.size()],
                       kConsonants[second / kVowels.size()], kVowels[second % kVowels.size()]};
}

std::size_t wordHash(std::string_view word) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : word) hash = (hash ^ c) * 0x100000001b3ULL;
    return static_cast<std::size_t>(hash % (kSyllables * kSyllables));
}

}  // namespace

const std::vector<Task>& allTasks() {
    static const std::vector<Task> tasks{Task::Summarize, Task::Translate, Task::Sentiment, Task::Case, Task::Cloze};
    return tasks;
}

std::string taskName(Task task) {
    switch (task) {
    case Task::Summarize: return "summarize";
    case Task::Translate: return "translate";
    case Task::Sentiment: return "sentiment";
    case Task::Case: return "case";
    case Task::Cloze: return "cloze";
    }
    return "unknown";
}

Task parseTask(std::string_view name) {
    for (Task task : allTasks())
        if (taskName(task) == name) return task;
    throw ConfigError("unknown task '" + std::string(name) +
                      "' (expected summarize, translate, sentiment, case or cloze)");
}

TaskPrompt paperPrompt(Task task) {
    switch (task) {
    case Task::Summarize: return {"", "Summarize the above article briefly in 3 sentences."};
    case Task::Translate: return {"", "Translate the above article from English to Chinese: "};
    case Task::Sentiment: return {"\n", "How would you describe the sentiment of this document?"};
    case Task::Case: return {"\n", "Write the above sentence using proper case."};
    case Task::Cloze: return {"\n\n", "Write the next sentence."};
    }
    throw ConfigError("paperPrompt: unknown task");
}

std::string polarityName(Polarity polarity) {
    switch (polarity) {
    case Polarity::Positive: return "positive";
    case Polarity::Negative: return "negative";
    case Polarity::Neutral: return "neutral";
    }
    return "neutral";
}

Polarity polarityOf(std::string_view text) {
    bool positive = false, negative = false;
    for (const auto& word : lowerWordsOf(text)) {
        const auto in = [&](const std::vector<std::string>& list) {
            return std::find(list.begin(), list.end(), word) != list.end();
        };
        positive = positive || in(positiveWords());
        negative = negative || in(negativeWords());
    }
    if (positive && negative)
        throw ConfigError("tiny world: text carries both positive and negative words: " + std::string(text));
    return positive ? Polarity::Positive : negative ? Polarity::Negative : Polarity::Neutral;
}

bool isProperNoun(std::string_view word) { return properNouns().count(std::string(word)) > 0; }

std::vector<std::string> documentWords() {
    std::vector<std::string> strings{stepFrame(), "he", "she"};
    auto add = [&](const std::vector<std::string>& more) { strings.insert(strings.end(), more.begin(), more.end()); };
    for (const auto& topic : topics()) {
        for (const TopicSide* side : {&topic.benign, topic.hazard ? &*topic.hazard : nullptr}) {
            if (!side) continue;
            add(side->subjects);
            add(side->leadTopics);
            add(side->steps);
        }
    }
    add(leadFrames());
    add(doctypes());
    add(results());
    add(feelingFrames());
    add(neutralFrames());
    add(positiveWords());
    add(negativeWords());
    std::set<std::string> words;
    for (const auto& text : strings)
        for (auto& word : lowerWordsOf(withoutPlaceholders(text)))
            if (!isProperNoun(capitalizeFirst(word))) words.insert(std::move(word));
    return {words.begin(), words.end()};
}

const std::map<std::string, std::string>& translationDictionary() {
    static const std::map<std::string, std::string> dictionary = [] {
        // A target word must never be an English word anywhere in the world, or text would mean
        // two things.
        std::set<std::string> english;
        for (const auto& text : allTableStrings())
            for (auto& word : lowerWordsOf(withoutPlaceholders(text))) english.insert(std::move(word));
        for (Task task : allTasks())
            for (auto& word : lowerWordsOf(paperPrompt(task).instruction)) english.insert(std::move(word));
        std::vector<bool> taken(kSyllables * kSyllables, false);
        std::map<std::string, std::string> map;
        // Sorted order plus linear probing: deterministic and one target word per English word.
        for (const auto& word : documentWords()) {
            std::size_t slot = wordHash(word);
            while (taken[slot] || english.count(syllableWord(slot))) slot = (slot + 1) % taken.size();
            taken[slot] = true;
            map.emplace(word, syllableWord(slot));
        }
        return map;
    }();
    return dictionary;
}

std::string translateWord(std::string_view lowerCaseWord) {
    const auto& dictionary = translationDictionary();
    const auto found = dictionary.find(std::string(lowerCaseWord));
    // Words outside the tables never occur in documents; they still get a fixed word.
    return found != dictionary.end() ? found->second : syllableWord(wordHash(lowerCaseWord));
}

std::string translateText(std::string_view text) {
    std::string out;
    scanWords(
        text,
        [&](std::string_view word) { out += isProperNoun(word) ? std::string(word) : translateWord(toLowerAscii(word)); },
        [&](std::string_view other) { out += other; });
    return out;
}

std::string toLowerAscii(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string capitalizeFirst(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            break;
        }
    }
    return out;
}

std::string properCase(std::string_view lowerCaseSentence) {
    std::string out;
    scanWords(
        lowerCaseSentence,
        [&](std::string_view word) {
            const std::string capital = capitalizeFirst(word);
            out += (isProperNoun(capital) || word == "i") ? capital : std::string(word);
        },
        [&](std::string_view other) { out += other; });
    return capitalizeFirst(out);
}

}  // namespace ctd::data::world
