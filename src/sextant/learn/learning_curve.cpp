#include "sextant/learn/learning_curve.h"

#include <limits>
#include <type_traits>

#include "sextant/core/error.h"

namespace sextant {
namespace {

const nlohmann::json& field(const nlohmann::json& j, const char* key, const std::string& source) {
    if (!j.is_object() || !j.contains(key)) {
        throw_invalid(source + ": learning curve has no field \"" + key + "\"");
    }
    return j.at(key);
}

double real_field(const nlohmann::json& j, const char* key, const std::string& source) {
    const nlohmann::json& v = field(j, key, source);
    if (v.is_null()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (!v.is_number()) {
        throw_invalid(source + ": learning curve field \"" + key + "\" is not a number");
    }
    return v.get<double>();
}

template <typename Int>
Int int_field(const nlohmann::json& j, const char* key, const std::string& source) {
    const nlohmann::json& v = field(j, key, source);
    bool ok = false;
    if (v.is_number_unsigned()) {
        ok = v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<Int>::max());
    } else if (v.is_number_integer()) {
        auto n = v.get<std::int64_t>();
        ok = std::is_signed_v<Int> &&
             n >= static_cast<std::int64_t>(std::numeric_limits<Int>::min());
    }
    if (!ok) {
        throw_invalid(source + ": learning curve field \"" + key + "\" is not an integer in range");
    }
    return v.get<Int>();
}

StopReason stop_reason_from(const std::string& name, const std::string& source) {
    for (StopReason r : {StopReason::kMaxEpochs, StopReason::kEarlyStopping,
                         StopReason::kTimeBudget, StopReason::kDiverged}) {
        if (to_string(r) == name) {
            return r;
        }
    }
    throw_invalid(source + ": learning curve has an unknown stop_reason \"" + name + "\"");
}

}  // namespace

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
                          {"complete", e.complete},
                          {"learning_rate", e.learning_rate}});
    }
    return {{"epochs", std::move(epochs)},
            {"best_epoch", curve.best_epoch},
            {"best_metric", curve.best_metric},
            {"stop_reason", to_string(curve.stop_reason)},
            {"stop_message", curve.stop_message},
            {"seconds", curve.seconds},
            {"samples_per_second", curve.samples_per_second()}};
}

LearningCurve learning_curve_from_json(const nlohmann::json& j, const std::string& source) {
    LearningCurve curve;
    const nlohmann::json& epochs = field(j, "epochs", source);
    if (!epochs.is_array()) {
        throw_invalid(source + ": learning curve field \"epochs\" is not an array");
    }
    for (const nlohmann::json& e : epochs) {
        EpochRecord r;
        r.epoch = int_field<int>(e, "epoch", source);
        r.train_loss = real_field(e, "train_loss", source);
        r.valid_metric = real_field(e, "valid_metric", source);
        r.seconds = real_field(e, "seconds", source);
        r.epoch_seconds = real_field(e, "epoch_seconds", source);
        r.n_samples = int_field<std::uint64_t>(e, "n_samples", source);
        const nlohmann::json& complete = field(e, "complete", source);
        if (!complete.is_boolean()) {
            throw_invalid(source + ": learning curve field \"complete\" is not a boolean");
        }
        r.complete = complete.get<bool>();
        r.learning_rate = real_field(e, "learning_rate", source);
        curve.epochs.push_back(r);
    }
    curve.best_epoch = int_field<int>(j, "best_epoch", source);
    curve.best_metric = real_field(j, "best_metric", source);
    const nlohmann::json& reason = field(j, "stop_reason", source);
    const nlohmann::json& message = field(j, "stop_message", source);
    if (!reason.is_string() || !message.is_string()) {
        throw_invalid(source + ": learning curve stop fields are not strings");
    }
    curve.stop_reason = stop_reason_from(reason.get<std::string>(), source);
    curve.stop_message = message.get<std::string>();
    curve.seconds = real_field(j, "seconds", source);
    return curve;
}

}  // namespace sextant
