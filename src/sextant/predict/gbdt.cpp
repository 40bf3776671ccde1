#include "sextant/predict/gbdt.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include <xgboost/c_api.h>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/predict/classifier_util.h"

namespace sextant {
namespace {

void check(int rc, const char* what) {
    if (rc != 0) {
        throw Error(ErrorKind::kInternal,
                    std::string("gbdt: xgboost ") + what + " failed: " + XGBGetLastError());
    }
}

// XGBoost prints its warnings itself unless given a callback; the library never prints.
void route_xgboost_logs() {
    static std::once_flag once;
    std::call_once(once, [] {
        XGBRegisterLogCallback(
            [](const char* message) { log::debug(std::string("xgboost: ") + message); });
    });
}

class DMatrix {
public:
    // Rows of x without missing values (NaN would mean missing; validated data has none), with
    // its labels and weights when it has them.
    explicit DMatrix(const Dataset& x) {
        check(XGDMatrixCreateFromMat(x.values.data(), x.n_rows, x.n_cols,
                                     std::numeric_limits<float>::quiet_NaN(), &handle_),
              "DMatrix creation");
        if (!x.labels.empty()) {
            std::vector<float> labels(x.labels.begin(), x.labels.end());
            check(XGDMatrixSetFloatInfo(handle_, "label", labels.data(), labels.size()),
                  "setting labels");
        }
        if (!x.weights.empty()) {
            check(XGDMatrixSetFloatInfo(handle_, "weight", x.weights.data(), x.weights.size()),
                  "setting weights");
        }
    }
    ~DMatrix() {
        if (handle_ != nullptr) {
            XGDMatrixFree(handle_);
        }
    }
    DMatrix(const DMatrix&) = delete;
    DMatrix& operator=(const DMatrix&) = delete;

    DMatrixHandle get() const { return handle_; }

private:
    DMatrixHandle handle_ = nullptr;
};

std::string number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return buffer;
}

// Prediction types of XGBoosterPredictFromDMatrix.
constexpr int kProbability = 0;
constexpr int kMargin = 1;
constexpr int kContributions = 2;

}  // namespace

struct Gbdt::Booster {
    BoosterHandle handle = nullptr;
    mutable std::mutex mutex;

    Booster(const DMatrixHandle* cache, bst_ulong n_cache) {
        route_xgboost_logs();
        check(XGBoosterCreate(cache, n_cache, &handle), "booster creation");
    }
    // Takes ownership of a handle XGBoost made (a slice).
    explicit Booster(BoosterHandle owned) : handle(owned) {}
    ~Booster() {
        if (handle != nullptr) {
            XGBoosterFree(handle);
        }
    }
    Booster(const Booster&) = delete;
    Booster& operator=(const Booster&) = delete;

    void set(const char* key, const std::string& value) {
        check(XGBoosterSetParam(handle, key, value.c_str()), "parameter setting");
    }

    // Predictions of type `type` for dmat, copied out of XGBoost's buffer under the lock: that
    // buffer lives until the booster's next call, and the lock makes concurrent predictions safe
    // whatever XGBoost's own guarantees.
    std::vector<float> predict(DMatrixHandle dmat, int type) const {
        std::lock_guard<std::mutex> lock(mutex);
        std::string config = "{\"type\": " + std::to_string(type) +
                             ", \"training\": false, \"iteration_begin\": 0, "
                             "\"iteration_end\": 0, \"strict_shape\": false}";
        const bst_ulong* shape = nullptr;
        bst_ulong dim = 0;
        const float* result = nullptr;
        check(XGBoosterPredictFromDMatrix(handle, dmat, config.c_str(), &shape, &dim, &result),
              "prediction");
        std::size_t n = 1;
        for (bst_ulong k = 0; k < dim; ++k) {
            n *= shape[k];
        }
        return std::vector<float>(result, result + n);
    }

    std::vector<std::uint8_t> to_bytes() const {
        bst_ulong length = 0;
        const char* data = nullptr;
        check(XGBoosterSaveModelToBuffer(handle, "{\"format\": \"ubj\"}", &length, &data),
              "model saving");
        return std::vector<std::uint8_t>(data, data + length);
    }
};

Gbdt::Gbdt(GbdtOptions options) : options_(options) {
    const GbdtOptions& o = options_;
    bool ok = o.max_rounds >= 1 && o.early_stopping_rounds >= 0 && o.learning_rate > 0 &&
              o.max_depth >= 1 && o.min_child_weight >= 0 && o.subsample > 0 && o.subsample <= 1 &&
              o.colsample_bytree > 0 && o.colsample_bytree <= 1 && o.reg_lambda >= 0 &&
              o.max_bin >= 2;
    if (!ok) {
        throw_invalid(
            "gbdt: options out of range (max_rounds >= 1, early_stopping_rounds >= 0, "
            "learning_rate > 0, max_depth >= 1, min_child_weight >= 0, subsample and "
            "colsample_bytree in (0, 1], reg_lambda >= 0, max_bin >= 2)");
    }
}

Gbdt::~Gbdt() = default;

void Gbdt::fit(const Dataset& train, const Dataset& valid) {
    detail::check_fit_inputs(name(), train, valid);
    const Dataset& check_set = valid.n_rows > 0 ? valid : train;
    DMatrix dtrain(train);
    DMatrix dcheck(check_set);

    // Both matrices in the booster's cache, so each round's validation prediction adds only
    // the new tree instead of running all of them again.
    DMatrixHandle cache[] = {dtrain.get(), dcheck.get()};
    Booster booster(cache, 2);
    booster.set("objective", "binary:logistic");
    booster.set("tree_method", "hist");
    booster.set("eta", number(options_.learning_rate));
    booster.set("max_depth", std::to_string(options_.max_depth));
    booster.set("min_child_weight", number(options_.min_child_weight));
    booster.set("subsample", number(options_.subsample));
    booster.set("colsample_bytree", number(options_.colsample_bytree));
    booster.set("lambda", number(options_.reg_lambda));
    booster.set("max_bin", std::to_string(options_.max_bin));
    booster.set("seed", std::to_string(options_.seed));
    booster.set("nthread", "1");
    booster.set("verbosity", "1");

    double best_loss = std::numeric_limits<double>::infinity();
    int best_rounds = 0;
    for (int round = 0; round < options_.max_rounds; ++round) {
        check(XGBoosterUpdateOneIter(booster.handle, round, dtrain.get()), "boosting");
        std::vector<float> margin = booster.predict(dcheck.get(), kMargin);
        std::vector<double> z(margin.begin(), margin.end());
        double loss = detail::log_loss_of_logits(check_set.labels, z, check_set.weights);
        if (loss < best_loss) {
            best_loss = loss;
            best_rounds = round + 1;
        } else if (options_.early_stopping_rounds > 0 &&
                   round + 1 - best_rounds >= options_.early_stopping_rounds) {
            break;
        }
    }
    log::debug("gbdt: " + std::to_string(best_rounds) + " rounds, validation log loss " +
               std::to_string(best_loss));

    // The kept model goes through its own bytes, so a fitted model and a reloaded one are the
    // same object and predict the same.
    int n_done = 0;
    check(XGBoosterBoostedRounds(booster.handle, &n_done), "round count");
    std::vector<std::uint8_t> bytes;
    if (best_rounds < n_done) {
        BoosterHandle sliced = nullptr;
        check(XGBoosterSlice(booster.handle, 0, best_rounds, 1, &sliced), "slicing");
        bytes = Booster(sliced).to_bytes();
    } else {
        bytes = booster.to_bytes();
    }
    adopt(std::move(bytes), train.n_cols);
}

void Gbdt::adopt(std::vector<std::uint8_t> model_bytes, std::size_t n_features) {
    auto booster = std::make_unique<Booster>(nullptr, 0);
    check(XGBoosterLoadModelFromBuffer(booster->handle, model_bytes.data(), model_bytes.size()),
          "model loading");
    booster->set("nthread", "1");
    bst_ulong n_model_features = 0;
    check(XGBoosterGetNumFeature(booster->handle, &n_model_features), "feature count");
    if (n_model_features != n_features) {
        throw_invalid("gbdt: the model bytes describe " + std::to_string(n_model_features) +
                      " features, not " + std::to_string(n_features));
    }
    int n_rounds = 0;
    check(XGBoosterBoostedRounds(booster->handle, &n_rounds), "round count");
    booster_ = std::move(booster);
    model_bytes_ = std::move(model_bytes);
    n_features_ = n_features;
    n_rounds_ = n_rounds;
}

std::vector<float> Gbdt::predict(const Dataset& x, int type, std::size_t per_row) const {
    detail::check_predict_input(name(), x, n_features_);
    if (x.n_rows == 0) {
        return {};
    }
    DMatrix dx(x);
    std::vector<float> result = booster_->predict(dx.get(), type);
    if (result.size() != x.n_rows * per_row) {
        throw Error(ErrorKind::kInternal, "gbdt: xgboost returned " +
                                              std::to_string(result.size()) + " values for " +
                                              std::to_string(x.n_rows) + " rows");
    }
    return result;
}

std::vector<double> Gbdt::predict_proba(const Dataset& x) const {
    std::vector<float> p = predict(x, kProbability, 1);
    return std::vector<double>(p.begin(), p.end());
}

std::vector<double> Gbdt::margins(const Dataset& x) const {
    std::vector<float> z = predict(x, kMargin, 1);
    return std::vector<double>(z.begin(), z.end());
}

std::vector<Attribution> Gbdt::explain(const Dataset& x) const {
    std::size_t width = n_features_ + 1;  // one column per feature, then the bias
    std::vector<float> shap = predict(x, kContributions, width);
    std::vector<double> z = margins(x);
    std::vector<Attribution> out(x.n_rows);
    for (std::size_t r = 0; r < x.n_rows; ++r) {
        const float* row = shap.data() + r * width;
        out[r].values.assign(row, row + n_features_);
        out[r].base = row[n_features_];
        out[r].output = z[r];
    }
    return out;
}

nlohmann::json Gbdt::config() const {
    return {{"max_rounds", options_.max_rounds},
            {"early_stopping_rounds", options_.early_stopping_rounds},
            {"learning_rate", options_.learning_rate},
            {"max_depth", options_.max_depth},
            {"min_child_weight", options_.min_child_weight},
            {"subsample", options_.subsample},
            {"colsample_bytree", options_.colsample_bytree},
            {"reg_lambda", options_.reg_lambda},
            {"max_bin", options_.max_bin},
            {"seed", options_.seed}};
}

void Gbdt::save(Weights& out) const {
    if (!booster_) {
        throw Error(ErrorKind::kInternal, "gbdt: save() before fit()");
    }
    // The Weights format has no byte arrays: the bytes go in u32 words, zero-padded, with the
    // exact length beside them.
    std::vector<std::uint32_t> words((model_bytes_.size() + 3) / 4, 0);
    std::memcpy(words.data(), model_bytes_.data(), model_bytes_.size());
    std::uint64_t sizes[] = {model_bytes_.size(), n_features_};
    out.add("gbdt.model", std::span<const std::uint32_t>(words));
    out.add("gbdt.sizes", std::span<const std::uint64_t>(sizes));
}

void Gbdt::load(const Weights& in) {
    std::vector<std::uint64_t> sizes = in.u64("gbdt.sizes", {2});
    std::vector<std::uint32_t> words = in.u32("gbdt.model");
    if (sizes[0] > words.size() * 4 || sizes[0] + 3 < words.size() * 4 || sizes[1] == 0) {
        throw_invalid(in.source() + ": array gbdt.sizes does not match gbdt.model");
    }
    std::vector<std::uint8_t> bytes(sizes[0]);
    std::memcpy(bytes.data(), words.data(), bytes.size());
    try {
        adopt(std::move(bytes), static_cast<std::size_t>(sizes[1]));
    } catch (const Error& e) {
        throw_invalid(in.source() + ": " + e.what());
    }
}

std::unique_ptr<Gbdt> Gbdt::from_config(const nlohmann::json& config, const std::string& source) {
    GbdtOptions o;
    auto read = [&](const char* key, auto& target) {
        read_field_if_present(config, key, source, target);
    };
    read("max_rounds", o.max_rounds);
    read("early_stopping_rounds", o.early_stopping_rounds);
    read("learning_rate", o.learning_rate);
    read("max_depth", o.max_depth);
    read("min_child_weight", o.min_child_weight);
    read("subsample", o.subsample);
    read("colsample_bytree", o.colsample_bytree);
    read("reg_lambda", o.reg_lambda);
    read("max_bin", o.max_bin);
    read("seed", o.seed);
    try {
        return std::make_unique<Gbdt>(o);
    } catch (const Error& e) {
        throw_invalid(source + ": " + e.what());
    }
}

}  // namespace sextant
