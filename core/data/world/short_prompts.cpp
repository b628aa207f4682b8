// Short prompts of the tiny world. Harmful and benign questions share their frames and askers, so
// only the action tells them apart; general instructions come in families whose answers are rules
// over the tables. Everything is enumerated, shuffled with the seed and cut into disjoint splits.
#include "core/data/world/short_prompts.h"

#include "core/data/world/frames.h"
#include "core/data/world/random.h"
#include "core/data/world/vocabulary.h"
#include "core/util/error.h"

#include <algorithm>
#include <set>

namespace ctd::data::world {
namespace {

void checkSplit(int train, int eval, std::size_t available, const std::string& what) {
    if (train < 0 || eval < 0) throw ConfigError("tiny world: counts of " + what + " must not be negative");
    if (static_cast<std::size_t>(train) + static_cast<std::size_t>(eval) > available)
        throw ConfigError("tiny world: " + std::to_string(train) + " training and " + std::to_string(eval) +
                          " evaluation " + what + " requested, but the tables hold only " +
                          std::to_string(available) + " distinct ones");
}

std::vector<QaPair> enumerateQuestions(bool harmful) {
    std::vector<QaPair> all;
    std::set<std::string> seen;
    for (const auto& topic : topics()) {
        std::vector<std::pair<std::string, std::string>> actions;
        if (harmful)
            for (const auto& action : topic.harmfulActions) actions.emplace_back(action, kRefusal);
        else
            for (const auto& ask : topic.benignAsks) actions.emplace_back(ask.action, ask.answer);
        for (const auto& [action, answer] : actions)
            for (const auto& frame : questionFrames())
                for (const auto& asker : askers()) {
                    // Frames without an asker give the same question for every asker: keep one.
                    std::string question =
                        fillFrame(frame, {{"who", asker.who}, {"whom", asker.whom}, {"action", action}});
                    if (seen.insert(question).second) all.push_back({"", topic.key, harmful, question, answer});
                }
    }
    return all;
}

void splitQuestions(bool harmful, int train, int eval, std::uint64_t seed, std::vector<QaPair>& trainOut,
                    std::vector<QaPair>& evalOut) {
    auto all = enumerateQuestions(harmful);
    const std::string kind = harmful ? "harmful" : "benign";
    checkSplit(train, eval, all.size(), kind + " questions");
    Random random = Random::forPurpose(seed, kind + "-questions");
    random.shuffle(all);
    for (int i = 0; i < train + eval; ++i) {
        auto& into = i < train ? trainOut : evalOut;
        QaPair pair = std::move(all[static_cast<std::size_t>(i)]);
        pair.id = numberedId(kind + "-question-" + (i < train ? "train" : "eval"), into.size());
        into.push_back(std::move(pair));
    }
}

std::string withArticle(const std::string& noun) {
    const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + noun;
}

std::string joinList(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

struct Family {
    explicit Family(std::string familyName) : name(std::move(familyName)) {}
    std::string name;
    std::vector<Instruction> items;
    void add(std::string instruction, std::string input, std::string output) {
        items.push_back({"", name, std::move(instruction), std::move(input), std::move(output)});
    }
};

std::vector<Family> enumerateGeneral() {
    const auto& frames = generalFrames();
    std::vector<Family> families;
    Family list{"list"}, member{"member"}, opposite{"opposite"}, days{"days"}, plus{"plus"}, sort{"sort"},
        greeting{"greeting"}, bigger{"bigger"};
    for (const auto& category : categories())
        for (std::size_t k = 0; k < countWords().size(); ++k) {
            const std::vector<std::string> items(category.listed.begin(), category.listed.begin() + 2 + k);
            const FrameValues values{{"count", countWords()[k]}, {"plural", category.plural}, {"items", joinList(items)}};
            list.add(fillFrame(frames.listInstruction, values), "", fillFrame(frames.listAnswer, values));
        }
    for (const auto& category : categories())
        for (const auto& item : category.members)
            for (const auto& other : categories()) {
                if (&other == &category) continue;
                const std::string right = withArticle(category.singular), wrong = withArticle(other.singular);
                const std::string answer =
                    capitalizeFirst(fillFrame(frames.memberAnswer, {{"member", item}, {"category", right}}));
                member.add(fillFrame(frames.memberInstruction, {{"member", item}, {"category", right}, {"other", wrong}}),
                           "", answer);
                member.add(fillFrame(frames.memberInstruction, {{"member", item}, {"category", wrong}, {"other", right}}),
                           "", answer);
            }
    for (const auto& [word, other] : opposites()) {
        opposite.add(fillFrame(frames.oppositeInstruction, {{"word", word}}), "",
                     fillFrame(frames.oppositeAnswer, {{"word", word}, {"other", other}}));
        opposite.add(fillFrame(frames.oppositeInstruction, {{"word", other}}), "",
                     fillFrame(frames.oppositeAnswer, {{"word", other}, {"other", word}}));
    }
    const auto& week = weekdays();
    for (std::size_t d = 0; d < week.size(); ++d) {
        const std::string& next = week[(d + 1) % week.size()];
        const std::string& previous = week[(d + week.size() - 1) % week.size()];
        days.add(fillFrame(frames.afterInstruction, {{"day", week[d]}}), "",
                 fillFrame(frames.afterAnswer, {{"day", week[d]}, {"other", next}}));
        days.add(fillFrame(frames.beforeInstruction, {{"day", week[d]}}), "",
                 fillFrame(frames.beforeAnswer, {{"day", week[d]}, {"other", previous}}));
    }
    for (int a = 0; a <= 9; ++a)
        for (int b = 0; b <= 9; ++b) {
            const FrameValues values{{"a", std::to_string(a)}, {"b", std::to_string(b)}, {"sum", std::to_string(a + b)}};
            plus.add(fillFrame(frames.plusInstruction, values), "", fillFrame(frames.plusAnswer, values));
        }
    for (int a = 1; a <= 9; ++a)
        for (int b = 1; b <= 9; ++b)
            for (int c = 1; c <= 9; ++c) {
                if (a == b || b == c || a == c) continue;
                std::vector<int> sorted{a, b, c};
                std::sort(sorted.begin(), sorted.end());
                const auto text = [](const std::vector<int>& numbers) {
                    std::vector<std::string> parts;
                    for (int n : numbers) parts.push_back(std::to_string(n));
                    return joinList(parts);
                };
                sort.add(frames.sortInstruction, text({a, b, c}), text(sorted));
            }
    for (const auto& person : people())
        greeting.add(fillFrame(frames.greetingInstruction, {{"name", person.name}}), "",
                     fillFrame(frames.greetingAnswer, {{"name", person.name}}));
    const auto& animals = animalsBySize();
    for (std::size_t i = 0; i < animals.size(); ++i)
        for (std::size_t j = 0; j < animals.size(); ++j) {
            if (i == j) continue;
            const FrameValues values{{"first", animals[i]}, {"second", animals[j]},
                                     {"big", animals[std::max(i, j)]}, {"small", animals[std::min(i, j)]}};
            bigger.add(fillFrame(frames.biggerInstruction, values), "",
                       capitalizeFirst(fillFrame(frames.biggerAnswer, values)));
        }
    for (auto* family : {&list, &member, &opposite, &days, &plus, &sort, &greeting, &bigger})
        families.push_back(std::move(*family));
    return families;
}

// Takes one item from each family in turn, so a small family is not drowned by a large one.
std::vector<Instruction> roundRobin(std::vector<std::vector<Instruction>>& pools, int count) {
    std::vector<Instruction> out;
    std::vector<std::size_t> next(pools.size(), 0);
    bool progress = true;
    while (static_cast<int>(out.size()) < count && progress) {
        progress = false;
        for (std::size_t f = 0; f < pools.size() && static_cast<int>(out.size()) < count; ++f) {
            if (next[f] >= pools[f].size()) continue;
            out.push_back(std::move(pools[f][next[f]++]));
            progress = true;
        }
    }
    return out;
}

}  // namespace

void addQuestions(World& world, const WorldOptions& options) {
    splitQuestions(true, options.harmfulQuestionsTrain, options.harmfulQuestionsEval, options.seed,
                   world.harmfulQuestionsTrain, world.harmfulQuestionsEval);
    splitQuestions(false, options.benignQuestionsTrain, options.benignQuestionsEval, options.seed,
                   world.benignQuestionsTrain, world.benignQuestionsEval);
}

void addGeneralInstructions(World& world, const WorldOptions& options) {
    auto families = enumerateGeneral();
    std::size_t available = 0;
    for (const auto& family : families) available += family.items.size();
    checkSplit(options.generalTrain, options.generalEval, available, "general instructions");

    // Each family is cut in the train:eval proportion, so both splits see every family.
    Random random = Random::forPurpose(options.seed, "general-instructions");
    const double trainShare = options.generalTrain + options.generalEval == 0
                                  ? 1.0
                                  : double(options.generalTrain) / double(options.generalTrain + options.generalEval);
    std::vector<std::vector<Instruction>> trainPools, evalPools;
    for (auto& family : families) {
        random.shuffle(family.items);
        const auto cut = static_cast<std::size_t>(double(family.items.size()) * trainShare);
        trainPools.emplace_back(family.items.begin(), family.items.begin() + static_cast<std::ptrdiff_t>(cut));
        evalPools.emplace_back(family.items.begin() + static_cast<std::ptrdiff_t>(cut), family.items.end());
    }
    world.generalTrain = roundRobin(trainPools, options.generalTrain);
    world.generalEval = roundRobin(evalPools, options.generalEval);
    if (static_cast<int>(world.generalTrain.size()) < options.generalTrain ||
        static_cast<int>(world.generalEval.size()) < options.generalEval)
        throw ConfigError("tiny world: the general-instruction families cannot fill " +
                          std::to_string(options.generalTrain) + " training and " +
                          std::to_string(options.generalEval) + " evaluation items in that proportion; lower them");
    for (std::size_t i = 0; i < world.generalTrain.size(); ++i) world.generalTrain[i].id = numberedId("general-train", i);
    for (std::size_t i = 0; i < world.generalEval.size(); ++i) world.generalEval[i].id = numberedId("general-eval", i);
}

}  // namespace ctd::data::world
