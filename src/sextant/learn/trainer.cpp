#include "sextant/learn/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/core/progress.h"

namespace sextant {
namespace {

void check_inputs(const TrainCallbacks& cb, const TrainOptions& options) {
    if (!cb.begin_epoch || !cb.train_batch || !cb.validate || !cb.keep_best || !cb.restore_best) {
        throw_invalid("trainer: every callback but `clock` is required");
    }
    if (options.max_epochs < 0) {
        throw_invalid("trainer: max_epochs must be >= 0, not " +
                      std::to_string(options.max_epochs));
    }
    if (options.batch_size == 0) {
        throw_invalid("trainer: batch_size must be >= 1");
    }
    if (options.patience < 1) {
        throw_invalid("trainer: patience must be >= 1, not " + std::to_string(options.patience));
    }
    if (!(options.budget_seconds >= 0)) {
        throw_invalid("trainer: budget_seconds must be >= 0");
    }
}

std::string format(const char* pattern, double a) {
    char buf[96];
    std::snprintf(buf, sizeof buf, pattern, a);
    return buf;
}

std::string budget_message(double budget) {
    return format("time budget of %g s spent", budget);
}

// Trains the batches of one epoch into `record`; returns false when the loss diverged.
bool train_epoch(const TrainCallbacks& cb, const TrainOptions& options,
                 const std::function<double()>& elapsed, int epoch, EpochRecord& record) {
    std::size_t n_batches = cb.begin_epoch(epoch);
    Progress progress(cb.what + " epoch " + std::to_string(epoch), "samples",
                      cb.n_samples_per_epoch);
    double loss_sum = 0;
    for (std::size_t b = 0; b < n_batches; ++b) {
        if (options.budget_seconds > 0 && elapsed() >= options.budget_seconds) {
            record.complete = false;
            break;
        }
        BatchResult batch = cb.train_batch(b);
        if (!std::isfinite(batch.loss)) {
            record.train_loss = batch.loss;
            return false;
        }
        loss_sum += batch.loss * static_cast<double>(batch.n_samples);
        record.n_samples += batch.n_samples;
        record.train_loss = record.n_samples > 0 ? loss_sum / record.n_samples : 0.0;
        progress.update(record.n_samples, format("loss %.4f", record.train_loss));
    }
    // The progress line is cleared when `progress` goes; run_training logs the epoch's summary.
    return true;
}

}  // namespace

LearningCurve run_training(const TrainCallbacks& cb, const TrainOptions& options) {
    check_inputs(cb, options);
    auto steady_now = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    const std::function<double()> now = cb.clock ? cb.clock : steady_now;
    const double start = now();
    const std::function<double()> elapsed = [&] { return now() - start; };

    LearningCurve curve;
    curve.stop_reason = StopReason::kMaxEpochs;
    curve.stop_message = "max epochs (" + std::to_string(options.max_epochs) + ") reached";
    int since_best = 0;
    double last_epoch_seconds = 0;
    for (int epoch = 1; epoch <= options.max_epochs; ++epoch) {
        // Assume the next epoch lasts as long as the last one.
        if (options.budget_seconds > 0 && epoch > 1 &&
            elapsed() + last_epoch_seconds > options.budget_seconds) {
            curve.stop_reason = StopReason::kTimeBudget;
            curve.stop_message = budget_message(options.budget_seconds);
            break;
        }

        double epoch_start = elapsed();
        EpochRecord record;
        record.epoch = epoch;
        if (!train_epoch(cb, options, elapsed, epoch, record)) {
            curve.stop_reason = StopReason::kDiverged;
            curve.stop_message = "training loss diverged in epoch " + std::to_string(epoch);
            break;
        }

        record.valid_metric = cb.validate();
        record.seconds = elapsed();
        record.epoch_seconds = record.seconds - epoch_start;
        last_epoch_seconds = record.epoch_seconds;
        curve.epochs.push_back(record);

        bool improved = curve.best_epoch == 0 ? !std::isnan(record.valid_metric)
                                              : record.valid_metric > curve.best_metric;
        if (improved) {
            curve.best_epoch = epoch;
            curve.best_metric = record.valid_metric;
            since_best = 0;
            cb.keep_best();
        } else {
            ++since_best;
        }
        char line[200];
        std::snprintf(
            line, sizeof line, "%s epoch %d: loss %.4f, valid %.4f%s, %.1f s, %s samples/s",
            cb.what.c_str(), epoch, record.train_loss, record.valid_metric,
            improved ? " (best)" : "", record.epoch_seconds,
            with_commas(static_cast<std::uint64_t>(
                            record.epoch_seconds > 0 ? record.n_samples / record.epoch_seconds : 0))
                .c_str());
        log::info(line);

        if (!record.complete) {
            curve.stop_reason = StopReason::kTimeBudget;
            curve.stop_message = budget_message(options.budget_seconds);
            break;
        }
        if (since_best >= options.patience) {
            curve.stop_reason = StopReason::kEarlyStopping;
            curve.stop_message = "early stopping after epoch " + std::to_string(epoch);
            break;
        }
    }

    if (curve.best_epoch > 0) {
        cb.restore_best();
    }
    curve.seconds = elapsed();
    log::info(cb.what + ": " + curve.stop_message + "; kept epoch " +
              std::to_string(curve.best_epoch) + format(" (valid %.4f)", curve.best_metric) +
              format(", %.1f s", curve.seconds));
    return curve;
}

}  // namespace sextant
