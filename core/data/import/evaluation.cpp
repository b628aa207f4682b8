// The authors' evaluation files {"instructions": [...], "inputs": [...]} and generation outputs
// {"parameters", "inputs", "instructions", "outputs"}: parallel lists, one record per position.
// Other lists as long as "instructions" (e.g. "tags") become per-record extras; anything else is
// kept in the dataset's metadata.
#include "core/data/importers.h"

#include "core/data/import/import_support.h"
#include "core/util/error.h"

#include <algorithm>

namespace ctd::data {
namespace {

using nlohmann::json;

json parseObject(const std::string& bytes, const std::string& source, const char* expected) {
    json document = detail::parseJsonSpan(bytes, detail::byteOrderMarkLength(bytes), bytes.size(), source);
    if (!document.is_object())
        throw FormatError(source + ": expected a JSON object with " + expected + ", got " + detail::jsonTypeName(document));
    return document;
}

// A list of strings under `field`; empty when absent and not required.
std::vector<std::string> stringList(const json& document, const char* field, bool required, const std::string& source) {
    const auto it = document.find(field);
    if (it == document.end() || it->is_null()) {
        if (required) detail::throwRecordError(source, std::nullopt, field, "missing (expected a list of strings)");
        return {};
    }
    if (!it->is_array())
        detail::throwRecordError(source, std::nullopt, field, "expected a list of strings, got " + detail::jsonTypeName(*it));
    std::vector<std::string> values;
    values.reserve(it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
        const json& value = (*it)[i];
        if (!value.is_string())
            detail::throwRecordError(source, static_cast<std::int64_t>(i), field,
                                     "expected a string, got " + detail::jsonTypeName(value));
        values.push_back(value.get<std::string>());
    }
    return values;
}

// Records from instructions (+ inputs, + outputs when given); checks that the lists line up.
Dataset buildRecords(const json& document, const std::string& source, const std::string& kind,
                     const std::vector<std::string>& handledFields, const std::vector<std::string>* outputs) {
    Dataset dataset;
    dataset.kind = kind;
    dataset.sourcePath = source;
    const std::vector<std::string> instructions = stringList(document, "instructions", true, source);
    const std::vector<std::string> inputs = stringList(document, "inputs", false, source);
    if (inputs.size() > instructions.size())
        detail::throwRecordError(source, static_cast<std::int64_t>(instructions.size()), "inputs",
                                 "has " + std::to_string(inputs.size()) + " entries but \"instructions\" has only " +
                                     std::to_string(instructions.size()));
    if (kind == "generations" && !inputs.empty() && inputs.size() != instructions.size())
        detail::throwRecordError(source, static_cast<std::int64_t>(inputs.size()), "inputs",
                                 "has " + std::to_string(inputs.size()) + " entries but \"instructions\" has " +
                                     std::to_string(instructions.size()) + " (lengths must agree)");
    if (outputs && outputs->size() != instructions.size())
        detail::throwRecordError(source, static_cast<std::int64_t>(std::min(outputs->size(), instructions.size())),
                                 "outputs",
                                 "has " + std::to_string(outputs->size()) + " entries but \"instructions\" has " +
                                     std::to_string(instructions.size()) + " (lengths must agree)");

    const std::optional<std::string> task = detail::taskFromFileName(source);
    dataset.records.resize(instructions.size());
    for (std::size_t i = 0; i < instructions.size(); ++i) {
        Record& record = dataset.records[i];
        record.instruction = instructions[i];
        record.input = i < inputs.size() ? inputs[i] : std::string();
        if (outputs) record.output = (*outputs)[i];
        record.task = task;
        record.sourceFile = source;
        record.sourceIndex = static_cast<std::int64_t>(i);
    }
    for (const auto& [key, value] : document.items()) {
        if (std::find(handledFields.begin(), handledFields.end(), key) != handledFields.end()) continue;
        if (value.is_array() && value.size() == instructions.size() && !instructions.empty()) {
            for (std::size_t i = 0; i < instructions.size(); ++i) dataset.records[i].extra[key] = value[i];
        } else {
            dataset.metadata[key] = value;
        }
    }
    if (task) dataset.metadata["task"] = *task;
    return dataset;
}

}  // namespace

Dataset parseEvaluation(const std::string& bytes, const std::string& source) {
    const json document = parseObject(bytes, source, "\"instructions\" and \"inputs\"");
    return buildRecords(document, source, "eval", {"instructions", "inputs"}, nullptr);
}

Dataset parseGenerations(const std::string& bytes, const std::string& source) {
    const json document = parseObject(bytes, source, "\"instructions\", \"inputs\", \"outputs\" and \"parameters\"");
    const std::vector<std::string> outputs = stringList(document, "outputs", true, source);
    Dataset dataset = buildRecords(document, source, "generations", {"instructions", "inputs", "outputs", "parameters"},
                                   &outputs);
    const auto parameters = document.find("parameters");
    dataset.metadata["parameters"] = parameters != document.end() ? *parameters : json::object();
    return dataset;
}

}  // namespace ctd::data
