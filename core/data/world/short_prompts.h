// Tiny-world short prompts: harmful and benign questions, and general benign instructions.
#pragma once
#include "core/data/world/world.h"

namespace ctd::data::world {

// Fill the question and general-instruction lists of `world` from the counts in `options`.
// ConfigError when a count is negative or more than the tables hold distinct texts for.
void addQuestions(World& world, const WorldOptions& options);
void addGeneralInstructions(World& world, const WorldOptions& options);

}  // namespace ctd::data::world
