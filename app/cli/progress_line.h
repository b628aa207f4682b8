// A single, throttled progress line on stderr ("\r"-rewritten on a terminal, plain lines in logs).
#pragma once
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace ctd::cli {

inline std::string formatDuration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "?";
    const long total = static_cast<long>(seconds + 0.5);
    char buffer[32];
    if (total >= 3600) std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", total / 3600, (total / 60) % 60);
    else if (total >= 60) std::snprintf(buffer, sizeof buffer, "%ldm%02lds", total / 60, total % 60);
    else std::snprintf(buffer, sizeof buffer, "%lds", total);
    return buffer;
}

class ProgressLine {
public:
    explicit ProgressLine(double minimumIntervalSeconds = 0.25)
        : m_interval(minimumIntervalSeconds), m_terminal(isatty(STDERR_FILENO)) {
        // In logs (not a terminal) print a line at most every few seconds.
        if (!m_terminal) m_interval = std::max(m_interval, 5.0);
    }
    void update(const std::string& text, bool force = false) {
        const auto now = std::chrono::steady_clock::now();
        if (!force && std::chrono::duration<double>(now - m_last).count() < m_interval) return;
        m_last = now;
        if (m_terminal) std::fprintf(stderr, "\r\033[K%s", text.c_str());
        else std::fprintf(stderr, "%s\n", text.c_str());
        std::fflush(stderr);
        m_open = m_terminal;
    }
    void finish() {
        if (m_open) std::fprintf(stderr, "\n");
        m_open = false;
    }
    ~ProgressLine() { finish(); }

private:
    double m_interval;
    bool m_terminal;
    bool m_open = false;
    std::chrono::steady_clock::time_point m_last{};
};

}  // namespace ctd::cli
