// The kill driver behind tests/unit/test_kill_recovery.cpp: starts a real `ctd` process, SIGKILLs it
// after a seeded random delay, and compares what the project database held just before the kill
// (the child is SIGSTOPped while it is read) with what it holds afterwards. See docs/faults.md.
#pragma once
#include "test_support.h"

#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ctd::test::kill {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Trials per kind: CTD_KILL_TRIALS (default `fallback`, kept small for the default suite).
inline int trialCount(int fallback) {
    const char* text = std::getenv("CTD_KILL_TRIALS");
    return text && std::atoi(text) > 0 ? std::atoi(text) : fallback;
}

// CTD_KILL_SEED replays a run's delays (process timing still varies a little); random otherwise.
inline std::uint64_t baseSeed() {
    if (const char* text = std::getenv("CTD_KILL_SEED")) return std::strtoull(text, nullptr, 10);
    return std::random_device{}();
}

// What the database held: category -> rows rendered as text. Only results that must never
// disappear once committed are listed (finished datasets, metric points, completed runs and
// evaluations, responses, scores, finished experiment cells, suites, recorded checkpoints).
using Snapshot = std::map<std::string, std::set<std::string>>;

inline const std::vector<std::pair<std::string, std::string>>& snapshotQueries() {
    static const std::vector<std::pair<std::string, std::string>> queries = {
        {"datasets", "SELECT d.id || '|' || d.content_hash || '|' || d.record_count || '|' || "
                     "(SELECT COUNT(*) FROM records r WHERE r.dataset_id = d.id) FROM datasets d"},
        {"metrics", "SELECT run_id || '|' || step || '|' || printf('%.17g', loss) FROM run_metrics"},
        {"completed runs", "SELECT id || '|' || adapter_dir FROM runs WHERE state = 'completed'"},
        {"checkpoints", "SELECT id || '|' || last_checkpoint FROM runs WHERE last_checkpoint != ''"},
        {"completed evaluations", "SELECT id FROM evaluations WHERE state = 'completed'"},
        {"responses", "SELECT evaluation_id || '|' || item_key || '|' || response FROM responses"},
        {"scores", "SELECT response_id || '|' || scorer || '|' || scorer_version || '|' || metric || '|' || "
                   "printf('%.17g', value) FROM scores"},
        {"done cells", "SELECT experiment_id || '|' || cell_hash || '|' || run_id FROM experiment_cells "
                       "WHERE state = 'done'"},
        {"suites", "SELECT name || '|' || content_hash || '|' || item_count FROM suites"},
    };
    return queries;
}

// Reads with a plain SQLite connection (no migrations, never creates the file). A table that does
// not exist yet, or a read refused while the stopped child holds a lock, leaves that category
// empty: the comparison then checks less, never reports a false loss. `complete` says whether
// every category could be read.
inline Snapshot takeSnapshot(const fs::path& database, bool* complete = nullptr) {
    Snapshot snapshot;
    if (complete) *complete = false;
    sqlite3* handle = nullptr;
    if (!fs::exists(database) || sqlite3_open_v2(database.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close(handle);
        return snapshot;
    }
    sqlite3_busy_timeout(handle, 200);
    bool all = true;
    for (const auto& [category, sql] : snapshotQueries()) {
        auto& rows = snapshot[category];
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            all = all && std::string(sqlite3_errmsg(handle)).find("no such table") != std::string::npos;
            sqlite3_finalize(statement);
            continue;
        }
        int code;
        while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
            rows.insert(text ? text : "");
        }
        all = all && code == SQLITE_DONE;
        sqlite3_finalize(statement);
    }
    sqlite3_close(handle);
    if (complete) *complete = all;
    return snapshot;
}

// Rows of `before` missing from `after`, as "category: row" lines.
inline std::vector<std::string> lostRows(const Snapshot& before, const Snapshot& after) {
    std::vector<std::string> lost;
    for (const auto& [category, rows] : before) {
        const auto found = after.find(category);
        for (const auto& row : rows)
            if (found == after.end() || !found->second.count(row)) lost.push_back(category + ": " + row);
    }
    return lost;
}

// "ok" or SQLite's complaints (integrity and foreign keys), one per line.
inline std::string integrityCheck(const fs::path& database) {
    if (!fs::exists(database)) return "ok";
    sqlite3* handle = nullptr;
    if (sqlite3_open_v2(database.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        const std::string message = handle ? sqlite3_errmsg(handle) : "cannot open";
        sqlite3_close(handle);
        return message;
    }
    std::string report;
    for (const char* sql : {"PRAGMA integrity_check", "PRAGMA foreign_key_check"}) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(handle, sql, -1, &statement, nullptr) != SQLITE_OK) {
            report += std::string(sql) + ": " + sqlite3_errmsg(handle) + "\n";
            continue;
        }
        while (sqlite3_step(statement) == SQLITE_ROW) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
            const std::string row = text ? text : "";
            if (row != "ok") report += std::string(sql) + ": " + row + "\n";
        }
        sqlite3_finalize(statement);
    }
    sqlite3_close(handle);
    return report.empty() ? "ok" : report;
}

inline std::string readText(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `ctd args...` in `workDir` (so stray relative paths would show there), output in `log`, one
// libtorch thread so that trials on a shared machine time alike.
// CTD_KILL_CLI names another `ctd` binary (e.g. a copy, so a long run survives rebuilds).
inline pid_t spawnCtd(const std::vector<std::string>& args, const fs::path& workDir, const fs::path& log) {
    const char* cli = std::getenv("CTD_KILL_CLI");
    std::vector<std::string> all = {cli && *cli ? cli : CTD_CLI_PATH};
    all.insert(all.end(), args.begin(), args.end());
    const pid_t pid = fork();
    if (pid == 0) {
        if (chdir(workDir.c_str()) != 0) _exit(126);
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("OMP_NUM_THREADS", "1", 1);
        std::vector<char*> argv;
        for (auto& arg : all) argv.push_back(arg.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

// Exit code, or -signal.
inline int waitFor(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

struct RunOutcome {
    int exitCode = 0;
    double seconds = 0.0;
    std::string output;
};

// Runs `ctd args...` to the end.
inline RunOutcome runCtd(const std::vector<std::string>& args, const fs::path& workDir) {
    const fs::path log = workDir / "ctd.log";
    const auto start = Clock::now();
    RunOutcome outcome;
    outcome.exitCode = waitFor(spawnCtd(args, workDir, log));
    outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    outcome.output = readText(log);
    return outcome;
}

struct KillOutcome {
    bool killed = false;  // false: the child ended by itself before the delay
    int exitCode = 0;     // when not killed
    Snapshot before;      // the database while the child was stopped, just before the kill
    bool snapshotComplete = false;
    std::string output;
};

// Starts `ctd args...`, waits `delaySeconds`, stops it, snapshots `database`, SIGKILLs it.
inline KillOutcome runAndKill(const std::vector<std::string>& args, const fs::path& workDir,
                              const fs::path& database, double delaySeconds) {
    const fs::path log = workDir / "ctd.log";
    const pid_t pid = spawnCtd(args, workDir, log);
    const auto deadline = Clock::now() + std::chrono::duration<double>(delaySeconds);
    KillOutcome outcome;
    while (Clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            outcome.output = readText(log);
            return outcome;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    ::kill(pid, SIGSTOP);
    int status = 0;
    waitpid(pid, &status, WUNTRACED);
    if (WIFSTOPPED(status)) {
        outcome.before = takeSnapshot(database, &outcome.snapshotComplete);
        ::kill(pid, SIGKILL);
        waitFor(pid);
        outcome.killed = true;
    } else {  // it ended between the last poll and the stop
        outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    outcome.output = readText(log);
    return outcome;
}

// Tallies one kind of trial for the summary line (the numbers docs/faults.md reports).
struct Tally {
    std::string kind;
    std::uint64_t seed = 0;
    int trials = 0, killed = 0, finished = 0, partialSnapshots = 0;
    int lostRows = 0, corrupt = 0, failedResumes = 0;
    std::string summary() const {
        return "kill " + kind + ": " + std::to_string(trials) + " trials (" + std::to_string(killed) + " killed, " +
               std::to_string(finished) + " finished first), lost rows " + std::to_string(lostRows) +
               ", corrupt databases " + std::to_string(corrupt) + ", failed resumes " +
               std::to_string(failedResumes) + ", seed " + std::to_string(seed) +
               (partialSnapshots ? ", " + std::to_string(partialSnapshots) + " snapshots partial" : "");
    }
};

// Checks the database after a kill: integrity, and nothing stored before the kill went missing.
inline void checkAfterKill(const fs::path& database, const KillOutcome& outcome, Tally& tally,
                           const std::string& trialLabel) {
    const std::string integrity = integrityCheck(database);
    if (integrity != "ok") {
        ++tally.corrupt;
        ADD_FAILURE() << trialLabel << ": integrity check failed:\n" << integrity;
    }
    if (!outcome.snapshotComplete) ++tally.partialSnapshots;
    const auto lost = lostRows(outcome.before, takeSnapshot(database));
    tally.lostRows += static_cast<int>(lost.size());
    if (!lost.empty()) ADD_FAILURE() << trialLabel << ": " << lost.size() << " rows lost, first: " << lost.front();
}

}  // namespace ctd::test::kill
