// Refusal detection: a named, versioned list of refusal markers (substring match) and optional
// regular expressions. Presets reproduce the authors' marker list and add Chinese markers, since
// the English list cannot see refusals written in Chinese for the translate task.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::eval {

struct RefusalResult {
    bool refused = false;
    // The marker or the regular expression (its source text) that matched; empty when not refused.
    std::string matched;
    bool matchedRegex = false;
};

class RefusalScorer {
public:
    // Regular expressions are matched on the response's UTF-8 bytes with ECMAScript syntax. A
    // non-ASCII character in a pattern is treated as one unit ("对不起+" repeats the last character,
    // not its last byte); non-ASCII characters inside [...] are refused, as are back-references.
    // Only the first kRegexWindowBytes of a response are searched by regexes (markers see all of
    // it): responses are short, and this bounds the time a careless pattern can take.
    static constexpr std::size_t kRegexWindowBytes = 16384;

    // ConfigError for an empty name or version, no marker and no regex, an empty marker, or an
    // invalid regex (the message names the pattern).
    RefusalScorer(std::string name, std::string version, std::vector<std::string> markers,
                  std::vector<std::string> patterns = {}, bool caseSensitive = true);

    // Built-in presets: "authors" (the marker list of the authors' evaluation) and "authors+zh"
    // (the same plus Chinese refusal markers). ConfigError lists the presets for an unknown name.
    static RefusalScorer preset(std::string_view name);
    static std::vector<std::string> presetNames();

    // {"name", "version", "markers": [...], "regex": [...], "case_sensitive"?, "description"?}.
    // FormatError names `source` and the offending field (e.g. `regex[1]`); unknown fields are
    // refused so that a misspelt "marker" does not silently drop every marker.
    static RefusalScorer fromJson(const nlohmann::json& json, const std::string& source);
    static RefusalScorer fromJsonFile(const std::filesystem::path& path);
    // A preset name, or else the path of a JSON scorer file.
    static RefusalScorer resolve(const std::string& presetOrPath);

    // The JSON form fromJson reads (what a run stores to record which scorer judged it).
    nlohmann::json toJson() const;
    // "name@version", e.g. "authors@1".
    std::string identifier() const;
    // SHA-256 of toJson(): two scorers with the same hash judge every text alike.
    std::string contentHash() const;

    RefusalResult score(std::string_view response) const;
    bool isRefusal(std::string_view response) const { return score(response).refused; }
    // Fraction of responses judged refusals; 0 for an empty list.
    double refusalRate(const std::vector<std::string>& responses) const;

    const std::string& name() const { return m_name; }
    const std::string& version() const { return m_version; }
    const std::string& description() const { return m_description; }
    const std::vector<std::string>& markers() const { return m_markers; }
    const std::vector<std::string>& patterns() const { return m_patterns; }
    bool caseSensitive() const { return m_caseSensitive; }

    void setDescription(std::string description) { m_description = std::move(description); }

private:
    std::string m_name;
    std::string m_version;
    std::string m_description;
    std::vector<std::string> m_markers;
    std::vector<std::string> m_patterns;
    bool m_caseSensitive = true;
    std::vector<std::string> m_foldedMarkers;  // ASCII-lowercased markers when case-insensitive
    std::vector<std::regex> m_compiled;
};

// The language a task's responses are written in when none is given: "zh" for translate (the
// paper translates English to Chinese), "en" otherwise.
std::string defaultResponseLanguage(std::string_view task);

// The preset to judge responses of `task` written in `language` ("" = the task's default): the
// Chinese-aware preset for Chinese ("zh", "zh-CN", ...), the authors' list otherwise.
RefusalScorer presetForTask(std::string_view task, std::string_view language = "");

}  // namespace ctd::eval
