#include "sextant/learn/learning_curve.h"

namespace sextant {

double LearningCurve::samples_per_second() const {
    std::uint64_t n = 0;
    double s = 0;
    for (const EpochRecord& e : epochs) {
        n += e.n_samples;
        s += e.epoch_seconds;
    }
    return s > 0 ? static_cast<double>(n) / s : 0.0;
}

std::string to_string(StopReason reason) {
    switch (reason) {
        case StopReason::kMaxEpochs:
            return "max_epochs";
        case StopReason::kEarlyStopping:
            return "early_stopping";
        case StopReason::kTimeBudget:
            return "time_budget";
        case StopReason::kDiverged:
            return "diverged";
    }
    return "unknown";
}

nlohmann::json to_json(const LearningCurve& curve) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const EpochRecord& e : curve.epochs) {
        epochs.push_back({{"epoch", e.epoch},
                          {"train_loss", e.train_loss},
                          {"valid_metric", e.valid_metric},
                          {"seconds", e.seconds},
                          {"epoch_seconds", e.epoch_seconds},
                          {"n_samples", e.n_samples},
                          {"complete", e.complete}});
    }
    return {{"epochs", std::move(epochs)},
            {"best_epoch", curve.best_epoch},
            {"best_metric", curve.best_metric},
            {"stop_reason", to_string(curve.stop_reason)},
            {"stop_message", curve.stop_message},
            {"seconds", curve.seconds},
            {"samples_per_second", curve.samples_per_second()}};
}

}  // namespace sextant
