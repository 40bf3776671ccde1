// What a training run did, epoch by epoch, and why it stopped.
//
// Filled by the trainer (trainer.h); models expose it so that the report can draw the curve and
// summary.json can say how a model was trained. Plain data: copy it freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sextant {

// One finished (or budget-interrupted) epoch.
struct EpochRecord {
    int epoch = 0;                // 1-based
    double train_loss = 0;        // mean training loss per sample over the batches that ran
    double valid_metric = 0;      // validation metric after the epoch; higher is better
    double seconds = 0;           // seconds since training started, at the end of validation
    double epoch_seconds = 0;     // seconds this epoch took, validation included
    std::uint64_t n_samples = 0;  // samples trained on in this epoch
    bool complete = true;         // false when the time budget cut the epoch short
    double learning_rate = 0;     // the learning rate of the epoch's last step
};

enum class StopReason {
    kMaxEpochs,      // ran every epoch it was allowed
    kEarlyStopping,  // the metric did not improve for `patience` epochs
    kTimeBudget,     // the wall-clock budget was spent (or the next epoch would overrun it)
    kDiverged,       // the training loss became NaN or infinite
};

struct LearningCurve {
    std::vector<EpochRecord> epochs;
    int best_epoch = 0;      // epoch whose weights were kept; 0 when no epoch ran
    double best_metric = 0;  // its validation metric
    StopReason stop_reason = StopReason::kMaxEpochs;
    std::string stop_message;  // e.g. "early stopping after epoch 7", "time budget of 60 s spent"
    double seconds = 0;        // total wall-clock seconds of the run

    // Samples per second over all epochs, validation time included; 0 when nothing ran.
    double samples_per_second() const;
};

// Returns a short stable name of the reason ("max_epochs", "early_stopping", "time_budget",
// "diverged") for summary.json.
std::string to_string(StopReason reason);

// The curve as JSON: {"epochs": [{"epoch", "train_loss", "valid_metric", "seconds",
// "epoch_seconds", "n_samples", "complete", "learning_rate"}], "best_epoch", "best_metric",
// "stop_reason", "stop_message", "seconds", "samples_per_second"}. A NaN metric becomes null.
nlohmann::json to_json(const LearningCurve& curve);

// The curve back from to_json()'s document (null reads as NaN; samples_per_second is ignored).
// Every double that to_json() wrote round-trips exactly. Throws sextant::Error (kInvalidInput)
// naming `source` and the field when one is missing or of the wrong type.
LearningCurve learning_curve_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace sextant
