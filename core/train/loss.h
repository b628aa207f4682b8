// Training losses, selected per run. With per-token negative log-likelihoods nll[i,t] over the
// tokens whose label is not -100, and a "window" = the examples of one optimizer step (micro-batch
// x gradient-accumulation steps):
//   token_mean     (the authors' code, HF Trainer): each micro-batch's mean over its labelled
//                  tokens, divided by the accumulation steps. With train_on_inputs the whole
//                  sequence is labelled.
//   response_only  the same mean, but the prompt is always masked (only response tokens count).
//   single_task    the paper's L = -(1/N) sum_i log p(y_i | a, x_i): each example's response
//                  log-likelihood (a sum over its tokens), averaged over the N examples of the window.
//   mixed_task     sum over tasks t of (1/N_t) sum_{i in t} -log p(y_i | a_t, x_i): each task's
//                  mean, so a task with few examples is not drowned by one with many.
// single_task and mixed_task always mask the prompt (the formula conditions on it).
#pragma once
#include "core/train/trainer_settings.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ctd::train {

// What the loss needs to know about the whole window of the current optimizer step.
struct LossWindow {
    int64_t examples = 0;
    int64_t accumulationSteps = 1;
    std::map<std::string, int64_t> examplesPerTask;
};

// Per-token negative log-likelihood (B, T-1): logits (B, T, V) predict labels shifted by one;
// zero where the label is -100.
at::Tensor tokenNll(const at::Tensor& logits, const at::Tensor& labels);

// The micro-batch's contribution to the window loss (summing the contributions of every
// micro-batch in the window gives the loss defined above). `tasks` tags each row.
at::Tensor microBatchLoss(LossType type, const at::Tensor& logits, const at::Tensor& labels,
                          const std::vector<std::string>& tasks, const LossWindow& window);

}  // namespace ctd::train
