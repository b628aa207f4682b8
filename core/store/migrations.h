// The schema as an ordered list of migrations. Each runs once, in order, inside its own
// transaction, and is recorded in schema_version. To change the schema, append one entry to the
// list in migrations.cpp; never edit an entry that has shipped.
#pragma once
#include <string_view>
#include <vector>

namespace ctd::store {

class Database;

struct Migration {
    int version;            // 1, 2, 3... in list order, no gaps
    std::string_view name;  // short description, stored in schema_version
    std::string_view sql;   // one or more statements
};

const std::vector<Migration>& migrations();

// Applies the migrations newer than the database's version. ConfigError when the database was
// written by a newer ctd (a version this build does not know).
void applyMigrations(Database& database);

}  // namespace ctd::store
