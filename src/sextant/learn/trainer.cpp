#include "sextant/learn/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/core/progress.h"
#include "sextant/learn/model_dir.h"

namespace sextant {
namespace {

void check_inputs(const TrainCallbacks& cb, const TrainOptions& options) {
    if (!cb.begin_epoch || !cb.train_batch || !cb.validate || !cb.keep_best || !cb.restore_best) {
        throw_invalid(
            "trainer: every callback but `clock`, `set_learning_rate` and `end_epoch` "
            "is required");
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
    if (!(options.learning_rate >= 0) || !std::isfinite(options.learning_rate)) {
        throw_invalid("trainer: learning_rate must be a number >= 0");
    }
    if (!(options.weight_decay >= 0) || !std::isfinite(options.weight_decay)) {
        throw_invalid("trainer: weight_decay must be a number >= 0");
    }
    if (options.warmup_steps < -1) {
        throw_invalid("trainer: warmup_steps must be >= 0, or -1 for the default");
    }
    if (!(options.min_lr_fraction >= 0 && options.min_lr_fraction <= 1)) {
        throw_invalid("trainer: min_lr_fraction must be in [0, 1]");
    }
    const TrainingState& start = cb.start;
    if (start.epoch < 0 || start.n_steps < 0 || start.since_best < 0 ||
        start.curve.epochs.size() != static_cast<std::size_t>(start.epoch)) {
        throw_invalid("trainer: the start state is inconsistent (" +
                      std::to_string(start.curve.epochs.size()) + " epochs recorded, epoch " +
                      std::to_string(start.epoch) + ")");
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

// Trains the batches of one epoch into `record`, advancing state.n_steps; returns false when
// the loss diverged. `planned` is the epoch count the schedule aims at. With a budget, the
// first epoch of a call re-plans from the pace of its second 1% of batches (at least one), as
// the plan made before any timing (max_epochs) is far too long for a run that fits few epochs.
bool train_epoch(const TrainCallbacks& cb, const TrainOptions& options,
                 const std::function<double()>& elapsed, int epoch, bool first_of_call,
                 int& planned, TrainingState& state, EpochRecord& record) {
    std::size_t n_batches = cb.begin_epoch(epoch);
    const auto steps_per_epoch = static_cast<std::int64_t>(n_batches);
    const double epoch_start = elapsed();
    const std::size_t probe = std::max<std::size_t>(1, n_batches / 100);
    bool pacing = options.budget_seconds > 0 && first_of_call && n_batches >= 2;
    double probe_start = epoch_start;
    LrPlan plan;
    plan.planned_steps = static_cast<std::int64_t>(planned) * steps_per_epoch;
    if (state.warmup_steps < 0 && !pacing) {
        // Fixed once, from the first trusted plan, so that later re-plans keep the ramp.
        state.warmup_steps = resolve_warmup_steps(options, plan.planned_steps, steps_per_epoch);
    }

    Progress progress(cb.what + " epoch " + std::to_string(epoch), "samples",
                      cb.n_samples_per_epoch);
    double loss_sum = 0;
    for (std::size_t b = 0; b < n_batches; ++b) {
        if (options.budget_seconds > 0 && elapsed() >= options.budget_seconds) {
            record.complete = false;
            break;
        }
        plan.warmup_steps =
            state.warmup_steps >= 0
                ? state.warmup_steps
                : resolve_warmup_steps(options, plan.planned_steps, steps_per_epoch);
        record.learning_rate = lr_at(state.n_steps, plan, options);
        if (cb.set_learning_rate) {
            cb.set_learning_rate(record.learning_rate);
        }
        BatchResult batch = cb.train_batch(b);
        ++state.n_steps;
        if (!std::isfinite(batch.loss)) {
            record.train_loss = batch.loss;
            return false;
        }
        loss_sum += batch.loss * static_cast<double>(batch.n_samples);
        record.n_samples += batch.n_samples;
        record.train_loss = record.n_samples > 0 ? loss_sum / record.n_samples : 0.0;
        progress.update(record.n_samples, format("loss %.4f", record.train_loss));

        if (pacing && b + 1 == probe) {
            probe_start = elapsed();
        }
        if (pacing && b + 1 == 2 * probe) {
            // The pace of the second 1% of batches: the first pay for the first allocations
            // and page faults, which made a slow start plan a three-epoch run into one.
            pacing = false;
            double seconds_left = options.budget_seconds - epoch_start;
            double batch_seconds = (elapsed() - probe_start) / static_cast<double>(probe);
            planned = planned_epochs(options, epoch - 1, seconds_left,
                                     batch_seconds * static_cast<double>(n_batches));
            std::int64_t epoch_first_step = state.n_steps - static_cast<std::int64_t>(b + 1);
            plan.planned_steps = static_cast<std::int64_t>(planned) * steps_per_epoch;
            if (planned < epoch && batch_seconds > 0) {
                // Not even this epoch fits: plan for the steps the budget will let it run.
                plan.planned_steps =
                    epoch_first_step + static_cast<std::int64_t>(seconds_left / batch_seconds);
            }
            if (state.warmup_steps < 0) {
                state.warmup_steps =
                    resolve_warmup_steps(options, plan.planned_steps, steps_per_epoch);
            }
        }
    }
    // The progress line is cleared when `progress` goes; run_training logs the epoch's summary.
    return true;
}

void log_epoch(const TrainCallbacks& cb, const EpochRecord& record, bool improved) {
    const TrainLogStyle& style = cb.log_style;
    char line[240];
    std::snprintf(
        line, sizeof line, "%s epoch %d: loss %.4f, %s %.4f%s, lr %.3g, %.1f s, %s samples/s",
        cb.what.c_str(), record.epoch, record.train_loss, style.metric.c_str(),
        style.metric_sign * record.valid_metric, improved ? " (best)" : "", record.learning_rate,
        record.epoch_seconds,
        with_commas(static_cast<std::uint64_t>(
                        record.epoch_seconds > 0 ? record.n_samples / record.epoch_seconds : 0))
            .c_str());
    if (style.epochs_at_info) {
        log::info(line);
    } else {
        log::debug(line);
    }
}

}  // namespace

double lr_at(std::int64_t step, const LrPlan& plan, const TrainOptions& options) {
    const double peak = options.learning_rate;
    if (options.schedule == LrSchedule::kConstant) {
        return peak;
    }
    const double floor = options.min_lr_fraction * peak;
    const std::int64_t t = step + 1;
    const std::int64_t w = plan.warmup_steps;
    const std::int64_t p = plan.planned_steps;
    if (t >= p) {
        return floor;
    }
    if (t <= w) {
        return peak * static_cast<double>(t) / static_cast<double>(w);
    }
    double progress = static_cast<double>(t - w) / static_cast<double>(p - w);
    return floor + (peak - floor) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

std::int64_t resolve_warmup_steps(const TrainOptions& options, std::int64_t planned_steps,
                                  std::int64_t steps_per_epoch) {
    if (options.warmup_steps >= 0) {
        return options.warmup_steps;
    }
    return std::min(planned_steps / 20, steps_per_epoch);
}

int planned_epochs(const TrainOptions& options, int epochs_done, double seconds_left,
                   double epoch_seconds) {
    if (!(options.budget_seconds > 0) || !(epoch_seconds > 0)) {
        return options.max_epochs;
    }
    double fit = std::floor(std::max(0.0, seconds_left) / epoch_seconds);
    double room = static_cast<double>(std::max(0, options.max_epochs - epochs_done));
    return epochs_done + static_cast<int>(std::min(fit, room));
}

LearningCurve run_training(const TrainCallbacks& cb, const TrainOptions& given) {
    check_inputs(cb, given);
    // A resumed run has the budget that was left at its checkpoint, so that an interrupted run
    // trains about as long as the uninterrupted one would have.
    TrainOptions options = given;
    if (given.budget_seconds > 0 && cb.start.curve.seconds > 0) {
        options.budget_seconds =
            std::max(given.budget_seconds * 1e-6, given.budget_seconds - cb.start.curve.seconds);
    }
    auto steady_now = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    const std::function<double()> now = cb.clock ? cb.clock : steady_now;
    const double start = now();
    const std::function<double()> elapsed = [&] { return now() - start; };

    TrainingState state = cb.start;
    LearningCurve& curve = state.curve;
    // Seconds of the calls before this one, so the curve's clock runs on across a resume.
    const double seconds_before = curve.seconds;
    if (state.finished) {
        log::info(cb.what + ": the checkpointed run had finished (" + curve.stop_message +
                  "); nothing to resume");
        if (curve.best_epoch > 0) {
            cb.restore_best();
        }
        return curve;
    }
    if (state.epoch > 0) {
        log::info(cb.what + ": resuming after epoch " + std::to_string(state.epoch));
    }

    curve.stop_reason = StopReason::kMaxEpochs;
    curve.stop_message = "max epochs (" + std::to_string(options.max_epochs) + ") reached";
    // A resumed run plans with the last epoch's length; a fresh one plans for max_epochs.
    double last_epoch_seconds = curve.epochs.empty() ? 0.0 : curve.epochs.back().epoch_seconds;
    int planned = planned_epochs(options, state.epoch, options.budget_seconds, last_epoch_seconds);
    bool first_of_call = true;
    bool replanned = false;
    // A budget-cut epoch may also have spent the patience: a resume then trains no more.
    bool patience_spent = state.since_best >= options.patience;
    if (patience_spent) {
        curve.stop_reason = StopReason::kEarlyStopping;
        curve.stop_message = "early stopping after epoch " + std::to_string(state.epoch);
    }
    for (int epoch = state.epoch + 1; !patience_spent && epoch <= options.max_epochs; ++epoch) {
        // Assume the next epoch lasts as long as the last one.
        if (options.budget_seconds > 0 && !first_of_call &&
            elapsed() + last_epoch_seconds > options.budget_seconds) {
            curve.stop_reason = StopReason::kTimeBudget;
            curve.stop_message = budget_message(given.budget_seconds);
            break;
        }

        double epoch_start = elapsed();
        EpochRecord record;
        record.epoch = epoch;
        if (!train_epoch(cb, options, elapsed, epoch, first_of_call, planned, state, record)) {
            curve.stop_reason = StopReason::kDiverged;
            curve.stop_message = "training loss diverged in epoch " + std::to_string(epoch);
            break;
        }
        first_of_call = false;

        record.valid_metric = cb.validate();
        double epoch_end = elapsed();
        record.seconds = seconds_before + epoch_end;
        record.epoch_seconds = epoch_end - epoch_start;
        last_epoch_seconds = record.epoch_seconds;
        curve.epochs.push_back(record);
        if (options.budget_seconds > 0 && !replanned) {
            // The first epoch's whole length is a truer pace than its first batches, which pay
            // for the first allocations (a slow start planned GRU4Rec's decay into one epoch of
            // three). Plan once more from it, then keep the plan.
            planned = planned_epochs(options, epoch, options.budget_seconds - elapsed(),
                                     last_epoch_seconds);
            replanned = true;
        }

        bool improved = curve.best_epoch == 0 ? !std::isnan(record.valid_metric)
                                              : record.valid_metric > curve.best_metric;
        if (improved) {
            curve.best_epoch = epoch;
            curve.best_metric = record.valid_metric;
            state.since_best = 0;
            cb.keep_best();
        } else {
            ++state.since_best;
        }
        log_epoch(cb, record, improved);

        bool stop = true;
        if (!record.complete) {
            curve.stop_reason = StopReason::kTimeBudget;
            curve.stop_message = budget_message(given.budget_seconds);
        } else if (state.since_best >= options.patience) {
            curve.stop_reason = StopReason::kEarlyStopping;
            curve.stop_message = "early stopping after epoch " + std::to_string(epoch);
            state.finished = true;
        } else {
            stop = false;
            state.finished = epoch == options.max_epochs;
        }
        // After the first epoch the plan stays: re-planning every epoch would make the learning
        // rate jump back and forth as epoch times vary.
        state.epoch = epoch;
        curve.seconds = seconds_before + elapsed();
        if (cb.end_epoch) {
            cb.end_epoch(state);
        }
        if (stop) {
            break;
        }
    }

    if (curve.best_epoch > 0) {
        cb.restore_best();
    }
    curve.seconds = seconds_before + elapsed();
    if (!state.finished && curve.stop_reason != StopReason::kDiverged) {
        // Stopped by the budget (or max epochs): the run is over, and a resume must not train
        // it again. The checkpoint is rewritten to say so.
        state.finished = true;
        if (cb.end_epoch) {
            cb.end_epoch(state);
        }
    }
    log::info(cb.what + ": " + curve.stop_message + "; kept epoch " +
              std::to_string(curve.best_epoch) + " (" + cb.log_style.metric +
              format(" %.4f)", cb.log_style.metric_sign * curve.best_metric) +
              format(", %.1f s", curve.seconds));
    return curve;
}

nlohmann::json train_options_json(const TrainOptions& o) {
    return {{"max_epochs", o.max_epochs},
            {"batch_size", o.batch_size},
            {"learning_rate", o.learning_rate},
            {"weight_decay", o.weight_decay},
            {"clip_grad_norm", o.clip_grad_norm},
            {"patience", o.patience},
            {"budget_seconds", o.budget_seconds},
            {"seed", o.seed},
            {"threads", o.threads}};
}

void read_train_options(const nlohmann::json& json, const std::string& source, TrainOptions& o) {
    if (!json.is_object()) {
        throw_invalid(source + ": field \"train\": expected an object");
    }
    const std::string file = source + " train";
    auto field = [&](const char* key, auto& target) {
        read_field_if_present(json, key, file, target);
    };
    field("max_epochs", o.max_epochs);
    std::uint64_t batch_size = o.batch_size;
    field("batch_size", batch_size);
    o.batch_size = static_cast<std::size_t>(batch_size);
    field("learning_rate", o.learning_rate);
    field("weight_decay", o.weight_decay);
    field("clip_grad_norm", o.clip_grad_norm);
    field("patience", o.patience);
    field("budget_seconds", o.budget_seconds);
    field("seed", o.seed);
    field("threads", o.threads);
}

}  // namespace sextant
