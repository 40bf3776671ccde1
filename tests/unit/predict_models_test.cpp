// Tests of the classifiers (predict/classifier.h and one header per kind): right values from
// independent methods (a Newton fit of the logistic likelihood, rules the trees must learn
// exactly, known properties of SHAP and integrated gradients), exact split and resampling
// counts, selection on a planted case, persistence identity and refusals with clear messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <set>

#include "sextant/core/error.h"
#include "sextant/predict/classifier.h"
#include "sextant/predict/dense_net.h"
#include "sextant/predict/ensemble.h"
#include "sextant/predict/gbdt.h"
#include "sextant/predict/logistic.h"
#include "test_util.h"

namespace sextant {
namespace {

Dataset make_dataset(std::size_t n_cols) {
    Dataset d;
    d.n_cols = n_cols;
    for (std::size_t c = 0; c < n_cols; ++c) {
        d.feature_names.push_back(std::string(1, 'f').append(std::to_string(c)));
    }
    return d;
}

void add_row(Dataset& d, std::vector<float> values, std::uint8_t label) {
    d.values.insert(d.values.end(), values.begin(), values.end());
    d.labels.push_back(label);
    ++d.n_rows;
}

// Rows drawn from a logistic model: log-odds = intercept + sum coef_j x_j, x_j ~ N(0, 1) scaled.
Dataset logistic_data(std::size_t n, const std::vector<double>& coef, double intercept,
                      std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Dataset d = make_dataset(coef.size());
    for (std::size_t r = 0; r < n; ++r) {
        std::vector<float> x(coef.size());
        double z = intercept;
        for (std::size_t c = 0; c < coef.size(); ++c) {
            x[c] = static_cast<float>(normal(rng) * (1.0 + c) + 0.5 * c);
            z += coef[c] * x[c];
        }
        add_row(d, x, uniform(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1 : 0);
    }
    return d;
}

// The weighted maximum-likelihood logistic fit by Newton's method (IRLS), independent of the
// model under test: returns {intercept, coef...}.
std::vector<double> newton_logistic(const Dataset& d) {
    std::size_t p = d.n_cols + 1;
    std::vector<double> beta(p, 0.0);
    for (int iter = 0; iter < 50; ++iter) {
        std::vector<double> grad(p, 0.0);
        std::vector<double> hess(p * p, 0.0);
        for (std::size_t r = 0; r < d.n_rows; ++r) {
            std::vector<double> x(p, 1.0);
            for (std::size_t c = 0; c < d.n_cols; ++c) {
                x[c + 1] = d.at(r, c);
            }
            double z = std::inner_product(x.begin(), x.end(), beta.begin(), 0.0);
            double mu = 1.0 / (1.0 + std::exp(-z));
            double w = d.weight(r);
            for (std::size_t i = 0; i < p; ++i) {
                grad[i] += w * (d.labels[r] - mu) * x[i];
                for (std::size_t j = 0; j < p; ++j) {
                    hess[i * p + j] += w * mu * (1 - mu) * x[i] * x[j];
                }
            }
        }
        // Solve hess * step = grad by Gaussian elimination with partial pivoting.
        std::vector<double> step = grad;
        for (std::size_t k = 0; k < p; ++k) {
            std::size_t pivot = k;
            for (std::size_t i = k + 1; i < p; ++i) {
                if (std::abs(hess[i * p + k]) > std::abs(hess[pivot * p + k])) {
                    pivot = i;
                }
            }
            for (std::size_t j = 0; j < p; ++j) {
                std::swap(hess[k * p + j], hess[pivot * p + j]);
            }
            std::swap(step[k], step[pivot]);
            for (std::size_t i = k + 1; i < p; ++i) {
                double f = hess[i * p + k] / hess[k * p + k];
                for (std::size_t j = k; j < p; ++j) {
                    hess[i * p + j] -= f * hess[k * p + j];
                }
                step[i] -= f * step[k];
            }
        }
        for (std::size_t k = p; k-- > 0;) {
            for (std::size_t j = k + 1; j < p; ++j) {
                step[k] -= hess[k * p + j] * step[j];
            }
            step[k] /= hess[k * p + k];
        }
        for (std::size_t i = 0; i < p; ++i) {
            beta[i] += step[i];
        }
    }
    return beta;
}

// Options that let AdamW converge to the likelihood's optimum: full batches, no decay, no early
// stop before the end.
LogisticOptions converging_logistic(std::size_t n_rows) {
    LogisticOptions o;
    o.train.max_epochs = 400;
    o.train.batch_size = n_rows;
    o.train.learning_rate = 0.1;
    o.train.min_lr_fraction = 0.01;
    o.train.weight_decay = 0;
    o.train.patience = 400;
    return o;
}

// Two features uniform on [0, 1] and a noise one; label = x0 > 0.5 and x1 > 0.3.
Dataset and_rule_data(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Dataset d = make_dataset(3);
    for (std::size_t r = 0; r < n; ++r) {
        float a = u(rng);
        float b = u(rng);
        add_row(d, {a, b, u(rng)}, a > 0.5f && b > 0.3f ? 1 : 0);
    }
    return d;
}

DenseNetOptions small_dense_net() {
    DenseNetOptions o;
    o.hidden1 = 16;
    o.hidden2 = 8;
    o.train.max_epochs = 20;
    o.train.batch_size = 64;
    o.train.learning_rate = 1e-2;
    return o;
}

GbdtOptions small_gbdt() {
    GbdtOptions o;
    o.max_rounds = 60;
    o.learning_rate = 0.3;
    o.max_depth = 3;
    return o;
}

// A model whose probability is one feature's value: lets a test plant which model is best.
class ColumnModel : public Classifier {
public:
    ColumnModel(std::string name, std::size_t column) : name_(std::move(name)), column_(column) {}
    std::string name() const override { return name_; }
    void fit(const Dataset& train, const Dataset&) override { n_features_ = train.n_cols; }
    std::vector<double> predict_proba(const Dataset& x) const override {
        std::vector<double> p(x.n_rows);
        for (std::size_t r = 0; r < x.n_rows; ++r) {
            p[r] = x.at(r, column_);
        }
        return p;
    }
    std::vector<Attribution> explain(const Dataset& x) const override {
        std::vector<Attribution> out(x.n_rows);
        for (std::size_t r = 0; r < x.n_rows; ++r) {
            out[r].values.assign(x.n_cols, 0.0);
            out[r].values[column_] = x.at(r, column_);
        }
        return out;
    }
    nlohmann::json config() const override { return {}; }
    void save(Weights&) const override {}
    void load(const Weights&) override {}
    std::size_t n_features() const override { return n_features_; }

private:
    std::string name_;
    std::size_t column_;
    std::size_t n_features_ = 0;
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// ---- Dataset, splits, imbalance -------------------------------------------------------------

TEST(PredictModelsDataset, RejectsNonFiniteValuesAndBadLabels) {
    Dataset d = make_dataset(2);
    add_row(d, {1.0f, std::nanf("")}, 0);
    EXPECT_EQ(error_of([&] { validate_dataset(d, "input", true); }),
              "input: row 0, feature \"f1\": value nan is not finite");
    d.values[1] = 0;
    d.labels[0] = 2;
    EXPECT_EQ(error_of([&] { validate_dataset(d, "input", true); }),
              "input: row 0: label 2 is neither 0 nor 1");
}

TEST(PredictModelsSplit, StratifiedKeepsTheClassRatioExactly) {
    // 100 positives and 400 negatives: 60/20/20 of each class, by hand.
    Dataset d = make_dataset(1);
    for (int r = 0; r < 500; ++r) {
        add_row(d, {static_cast<float>(r)}, r % 5 == 0 ? 1 : 0);
    }
    DataSplit s = stratified_split(d, {}, 7);
    auto positives = [](const Dataset& part) {
        return std::count(part.labels.begin(), part.labels.end(), std::uint8_t{1});
    };
    EXPECT_EQ(s.train.n_rows, 300u);
    EXPECT_EQ(positives(s.train), 60);
    EXPECT_EQ(s.valid.n_rows, 100u);
    EXPECT_EQ(positives(s.valid), 20);
    EXPECT_EQ(s.test.n_rows, 100u);
    EXPECT_EQ(positives(s.test), 20);

    // The parts are disjoint and cover every row; a row keeps its label.
    std::set<float> seen;
    for (const Dataset* part : {&s.train, &s.valid, &s.test}) {
        for (std::size_t r = 0; r < part->n_rows; ++r) {
            EXPECT_TRUE(seen.insert(part->at(r, 0)).second);
            EXPECT_EQ(part->labels[r], static_cast<int>(part->at(r, 0)) % 5 == 0 ? 1 : 0);
        }
    }
    EXPECT_EQ(seen.size(), 500u);

    // Repeatable with a seed, different with another.
    EXPECT_EQ(stratified_split(d, {}, 7).test.values, s.test.values);
    EXPECT_NE(stratified_split(d, {}, 8).test.values, s.test.values);
}

TEST(PredictModelsSplit, ByTimePutsEarlierRowsFirstAndKeepsTiesTogether) {
    Dataset d = make_dataset(1);
    // Times 9, 8, ..., 0 for rows 0..9.
    for (int r = 0; r < 10; ++r) {
        add_row(d, {static_cast<float>(r)}, r % 2);
        d.times.push_back(9 - r);
    }
    DataSplit s = split_by_time(d, {0.6, 0.2, 0.2});
    // Earliest six (times 0..5) train, the next two valid, the latest two test.
    EXPECT_EQ(s.train.times, (std::vector<std::int64_t>{5, 4, 3, 2, 1, 0}));
    EXPECT_EQ(s.valid.times, (std::vector<std::int64_t>{7, 6}));
    EXPECT_EQ(s.test.times, (std::vector<std::int64_t>{9, 8}));

    d.times[4] = 6;  // now rows 3 and 4 both at time 6, straddling the train/valid boundary
    s = split_by_time(d, {0.6, 0.2, 0.2});
    EXPECT_EQ(s.train.n_rows, 7u);
    EXPECT_EQ(s.valid.times, (std::vector<std::int64_t>{7}));
    EXPECT_EQ(s.test.n_rows, 2u);

    d.times.clear();
    EXPECT_NE(error_of([&] { split_by_time(d, {}); }).find("no times"), std::string::npos);
}

TEST(PredictModelsImbalance, ResamplingCountsAreExact) {
    Dataset d = make_dataset(1);
    for (int r = 0; r < 50; ++r) {
        add_row(d, {static_cast<float>(r)}, r < 10 ? 1 : 0);  // 10 positives, 40 negatives
    }
    ClassBalance b = class_balance(d);
    EXPECT_EQ(b.n_positives, 10u);
    EXPECT_EQ(b.n_negatives, 40u);
    EXPECT_DOUBLE_EQ(*b.negatives_per_positive, 4.0);

    Dataset over = rebalance(d, Imbalance::kOversample, 3);
    EXPECT_EQ(class_balance(over).n_positives, 40u);
    EXPECT_EQ(class_balance(over).n_negatives, 40u);
    // The 50 originals come first, unchanged; the 30 drawn rows are positives.
    EXPECT_TRUE(std::equal(d.values.begin(), d.values.end(), over.values.begin()));
    for (std::size_t r = 50; r < over.n_rows; ++r) {
        EXPECT_LT(over.at(r, 0), 10.0f);
    }

    Dataset under = rebalance(d, Imbalance::kUndersample, 3);
    EXPECT_EQ(class_balance(under).n_positives, 10u);
    EXPECT_EQ(class_balance(under).n_negatives, 10u);
    std::set<float> kept(under.values.begin(), under.values.end());
    EXPECT_EQ(kept.size(), 20u);  // drawn without replacement
    for (float v = 0; v < 10; ++v) {
        EXPECT_TRUE(kept.count(v));  // every positive kept
    }

    Dataset weighted = rebalance(d, Imbalance::kClassWeights, 3);
    for (std::size_t r = 0; r < weighted.n_rows; ++r) {
        EXPECT_FLOAT_EQ(weighted.weights[r], r < 10 ? 4.0f : 1.0f);
    }
    EXPECT_EQ(rebalance(d, Imbalance::kOversample, 3).values, over.values);
}

// ---- Logistic regression --------------------------------------------------------------------

TEST(PredictModelsLogistic, MatchesAnIndependentNewtonFit) {
    Dataset d = logistic_data(2000, {1.5, -0.8}, -0.5, 11);
    std::vector<double> newton = newton_logistic(d);
    LogisticRegression model(converging_logistic(d.n_rows));
    model.fit(d, d);
    std::vector<double> coef = model.coefficients();
    EXPECT_NEAR(model.intercept(), newton[0], 0.01);
    EXPECT_NEAR(coef[0], newton[1], 0.01);
    EXPECT_NEAR(coef[1], newton[2], 0.01);
    // And the Newton fit is near the generating model (a check on the check).
    EXPECT_NEAR(newton[1], 1.5, 0.2);

    // Attributions are coefficient x standardised value: base + sum = the log-odds exactly.
    for (std::size_t r = 0; r < 20; ++r) {
        Attribution a = model.contributions(d, r);
        double sum = std::accumulate(a.values.begin(), a.values.end(), a.base);
        EXPECT_NEAR(sum, a.output, 1e-5);
        double raw = model.intercept() + coef[0] * d.at(r, 0) + coef[1] * d.at(r, 1);
        EXPECT_NEAR(a.output, raw, 1e-4);
    }
}

TEST(PredictModelsLogistic, ClassWeightsRaiseTheInterceptAsNewtonSays) {
    // About 10% positives: weighting positives by n_neg / n_pos moves the intercept up.
    Dataset d = logistic_data(2000, {1.0, 0.5}, -3.0, 5);
    Dataset weighted = rebalance(d, Imbalance::kClassWeights, 1);
    LogisticRegression plain(converging_logistic(d.n_rows));
    plain.fit(d, d);
    LogisticRegression balanced(converging_logistic(d.n_rows));
    balanced.fit(weighted, weighted);

    double expected = newton_logistic(weighted)[0];
    EXPECT_GT(balanced.intercept(), plain.intercept() + 1.0);
    EXPECT_NEAR(balanced.intercept(), expected, 0.02);
    EXPECT_NEAR(plain.intercept(), newton_logistic(d)[0], 0.02);
}

// ---- Gradient-boosted trees -----------------------------------------------------------------

TEST(PredictModelsGbdt, LearnsAnAndRuleExactly) {
    Dataset train = and_rule_data(600, 1);
    Dataset valid = and_rule_data(200, 2);
    Gbdt model(small_gbdt());
    model.fit(train, valid);
    EXPECT_GT(model.n_rounds(), 0);

    // Points away from the rule's edges (a margin of 0.03) are all classified right.
    Dataset grid = make_dataset(3);
    for (float a = 0.01f; a < 1.0f; a += 0.02f) {
        for (float b = 0.01f; b < 1.0f; b += 0.02f) {
            if (std::abs(a - 0.5f) > 0.03f && std::abs(b - 0.3f) > 0.03f) {
                add_row(grid, {a, b, 0.5f}, a > 0.5f && b > 0.3f ? 1 : 0);
            }
        }
    }
    std::vector<double> p = model.predict_proba(grid);
    std::size_t wrong = 0;
    for (std::size_t r = 0; r < grid.n_rows; ++r) {
        wrong += (p[r] >= 0.5) != (grid.labels[r] == 1);
    }
    EXPECT_EQ(wrong, 0u);
}

TEST(PredictModelsGbdt, ShapValuesSumToTheMargin) {
    Dataset train = and_rule_data(400, 3);
    Gbdt model(small_gbdt());
    model.fit(train, and_rule_data(100, 4));
    Dataset x = and_rule_data(50, 5);
    std::vector<Attribution> a = model.explain(x);
    std::vector<double> z = model.margins(x);
    std::vector<double> p = model.predict_proba(x);
    for (std::size_t r = 0; r < x.n_rows; ++r) {
        double sum = std::accumulate(a[r].values.begin(), a[r].values.end(), a[r].base);
        EXPECT_NEAR(sum, z[r], 1e-4);
        EXPECT_NEAR(1.0 / (1.0 + std::exp(-z[r])), p[r], 1e-6);
    }
    // The noise feature explains less than each feature of the rule, on average.
    std::vector<double> importance = feature_importance(model, x);
    EXPECT_LT(importance[2], importance[0]);
    EXPECT_LT(importance[2], importance[1]);
}

TEST(PredictModelsGbdt, StopsEarlyWhenLabelsAreNoise) {
    // Labels independent of the features: validation loss stops improving within a few rounds,
    // and the model is cut back to its best round count.
    std::mt19937_64 rng(6);
    Dataset train = and_rule_data(400, 7);
    Dataset valid = and_rule_data(200, 8);
    for (auto* d : {&train, &valid}) {
        for (auto& y : d->labels) {
            y = rng() % 2;
        }
    }
    GbdtOptions o = small_gbdt();
    o.max_rounds = 200;
    o.early_stopping_rounds = 10;
    Gbdt model(o);
    model.fit(train, valid);
    EXPECT_GE(model.n_rounds(), 1);
    EXPECT_LT(model.n_rounds(), 50);
}

// ---- Dense network --------------------------------------------------------------------------

TEST(PredictModelsDenseNet, IntegratedGradientsAreComplete) {
    Dataset train = logistic_data(600, {1.5, -1.0, 0.0}, 0.0, 21);
    DenseNetOptions o = small_dense_net();
    o.ig_steps = 256;
    DenseNet model(o);
    model.fit(train, logistic_data(200, {1.5, -1.0, 0.0}, 0.0, 22));

    // The baseline is the training mean: its logit is the base of every attribution.
    Dataset mean_row = make_dataset(3);
    std::vector<float> mean(3, 0.0f);
    for (std::size_t r = 0; r < train.n_rows; ++r) {
        for (std::size_t c = 0; c < 3; ++c) {
            mean[c] += train.at(r, c) / static_cast<float>(train.n_rows);
        }
    }
    mean_row.values = mean;
    mean_row.n_rows = 1;
    double base = model.logits(mean_row)[0];

    Dataset x = logistic_data(30, {1.5, -1.0, 0.0}, 0.0, 23);
    std::vector<Attribution> a = model.explain(x);
    std::vector<double> z = model.logits(x);
    for (std::size_t r = 0; r < x.n_rows; ++r) {
        EXPECT_NEAR(a[r].base, base, 1e-4);
        EXPECT_DOUBLE_EQ(a[r].output, z[r]);
        double sum = std::accumulate(a[r].values.begin(), a[r].values.end(), 0.0);
        double gap = z[r] - a[r].base;
        EXPECT_NEAR(sum, gap, 0.01 * std::max(1.0, std::abs(gap))) << "row " << r;
    }
}

// ---- Every model ----------------------------------------------------------------------------

std::vector<std::unique_ptr<Classifier>> every_model(DenseNetOptions dense = small_dense_net()) {
    std::vector<std::unique_ptr<Classifier>> out;
    out.push_back(std::make_unique<LogisticRegression>());
    out.push_back(std::make_unique<DenseNet>(dense));
    out.push_back(std::make_unique<Gbdt>(small_gbdt()));
    std::vector<std::shared_ptr<Classifier>> members;
    members.push_back(std::make_shared<LogisticRegression>());
    members.push_back(std::make_shared<Gbdt>(small_gbdt()));
    out.push_back(std::make_unique<Ensemble>(members));
    return out;
}

TEST(PredictModelsAll, SaveAndLoadPredictIdentically) {
    Dataset train = logistic_data(300, {1.0, -1.0}, 0.0, 41);
    Dataset valid = logistic_data(100, {1.0, -1.0}, 0.0, 42);
    std::string dir = testing::make_temp_dir("predict_models");
    for (auto& model : every_model()) {
        SCOPED_TRACE(model->name());
        model->fit(train, valid);
        std::vector<double> p = model->predict_proba(valid);

        // Through the bytes of weights.bin.
        Weights w;
        model->save(w);
        Weights parsed = Weights::parse(w.serialize(), "test");
        auto again = make_classifier(model->name(), model->config());
        again->load(parsed);
        EXPECT_EQ(again->predict_proba(valid), p);

        // Through a model directory.
        auto path = std::filesystem::path(dir) / model->name();
        save_classifier(path, *model, train.feature_names, 0.37);
        LoadedClassifier loaded = load_classifier(path);
        EXPECT_EQ(loaded.model->predict_proba(valid), p);
        EXPECT_EQ(loaded.feature_names, train.feature_names);
        EXPECT_DOUBLE_EQ(loaded.threshold, 0.37);
    }
    std::filesystem::remove_all(dir);
}

TEST(PredictModelsAll, RepeatWithASeed) {
    Dataset train = logistic_data(300, {1.0, -1.0}, 0.0, 31);
    Dataset valid = logistic_data(100, {1.0, -1.0}, 0.0, 32);
    std::vector<std::unique_ptr<Classifier>> first = every_model();
    std::vector<std::unique_ptr<Classifier>> second = every_model();
    for (std::size_t m = 0; m < first.size(); ++m) {
        SCOPED_TRACE(first[m]->name());
        first[m]->fit(train, valid);
        second[m]->fit(train, valid);
        EXPECT_EQ(first[m]->predict_proba(valid), second[m]->predict_proba(valid));
    }
}

TEST(PredictModelsAll, RefuseASingleClassTrainingPart) {
    Dataset train = make_dataset(2);
    for (int r = 0; r < 10; ++r) {
        add_row(train, {static_cast<float>(r), 1.0f}, 0);
    }
    for (auto& model : every_model()) {
        std::string message = error_of([&] { model->fit(train, train); });
        EXPECT_NE(message.find("the training part holds only negatives (10 rows)"),
                  std::string::npos)
            << model->name() << ": " << message;
    }
    EXPECT_NE(
        error_of([&] { rebalance(train, Imbalance::kClassWeights, 1); }).find("only negatives"),
        std::string::npos);
}

TEST(PredictModelsAll, ConstantZeroColumnsAndTinySetsGiveFiniteProbabilities) {
    // Four rows; column 1 constant, column 2 all zeros. The batch norm sees a lone row too
    // (batch size 3 over 4 rows).
    Dataset train = make_dataset(3);
    add_row(train, {0.0f, 5.0f, 0.0f}, 0);
    add_row(train, {1.0f, 5.0f, 0.0f}, 1);
    add_row(train, {2.0f, 5.0f, 0.0f}, 0);
    add_row(train, {3.0f, 5.0f, 0.0f}, 1);
    DenseNetOptions dense = small_dense_net();
    dense.train.batch_size = 3;
    Dataset no_validation = make_dataset(3);
    for (auto& model : every_model(dense)) {
        SCOPED_TRACE(model->name());
        model->fit(train, no_validation);
        for (double p : model->predict_proba(train)) {
            EXPECT_TRUE(std::isfinite(p) && p >= 0 && p <= 1);
        }
        for (const Attribution& a : model->explain(train)) {
            for (double v : a.values) {
                EXPECT_TRUE(std::isfinite(v));
            }
        }
    }
}

TEST(PredictModelsAll, PredictRefusesOtherColumns) {
    Dataset train = logistic_data(100, {1.0, -1.0}, 0.0, 51);
    LogisticRegression model;
    model.fit(train, train);
    Dataset other = logistic_data(5, {1.0, -1.0, 0.0}, 0.0, 52);
    EXPECT_EQ(error_of([&] { model.predict_proba(other); }),
              "logistic: the input has 3 features, the model was fitted on 2");
}

// ---- Selection ------------------------------------------------------------------------------

TEST(PredictModelsSelection, PicksTheBestValidationFigureOnAPlantedCase) {
    // Column 0 is a noisy score, column 1 ranks every positive first, column 2 is reversed.
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Dataset d = make_dataset(3);
    for (int r = 0; r < 400; ++r) {
        std::uint8_t y = r % 4 == 0 ? 1 : 0;
        float perfect = y ? 0.6f + 0.4f * u(rng) : 0.5f * u(rng);
        add_row(d, {0.5f * u(rng) + 0.3f * y, perfect, 1.0f - perfect}, y);
    }
    DataSplit split = stratified_split(d, {}, 1);
    std::vector<std::unique_ptr<Classifier>> candidates;
    candidates.push_back(std::make_unique<ColumnModel>("noisy", 0));
    candidates.push_back(std::make_unique<ColumnModel>("perfect", 1));
    candidates.push_back(std::make_unique<ColumnModel>("reversed", 2));
    SelectionOptions options;
    options.add_ensemble = false;
    options.calibrate = false;  // the threshold below is on the column's own scale
    SelectionResult result = select_classifier(std::move(candidates), split, options);

    ASSERT_EQ(result.candidates.size(), 3u);
    EXPECT_EQ(result.chosen, "perfect");
    EXPECT_DOUBLE_EQ(*result.candidates[1].average_precision.value, 1.0);
    EXPECT_LT(*result.candidates[0].average_precision.value, 1.0);
    EXPECT_EQ(result.why.rfind("best validation average precision 1.0000", 0), 0u);
    // Max F1 on validation: the lowest positive score separates the classes, F1 = 1 there.
    EXPECT_DOUBLE_EQ(*result.threshold_choice.at_choice.f1.value, 1.0);
    EXPECT_GE(result.threshold, 0.6);
    // The test part was scored at that threshold.
    EXPECT_DOUBLE_EQ(result.test.at_threshold.threshold, result.threshold);
    EXPECT_EQ(result.test.n_samples, split.test.n_rows);
    EXPECT_EQ(result.train_balance.n_positives, 60u);
    EXPECT_EQ(result.importance.size(), 3u);
    EXPECT_EQ(to_json(result, d.feature_names)["chosen"], "perfect");
    // A perfect test score is suspicious: the warning names the strongest feature.
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_EQ(result.warnings[0],
              "test ROC-AUC 1.0000 is almost perfect: check for a leak, a column known only after "
              "the outcome or an id in file order (the strongest feature is \"f1\")");
}

TEST(PredictModelsSelection, FewPositivesAndChanceScoresAreWarnedAbout) {
    // 7 positives in 200 rows of noise (rows 0, 33, ..., 198), split 60/20/20 by the rounding
    // rule: round(4.2) = 4 to train, round(5.6) - 4 = 2 to validation, 1 to test.
    std::mt19937_64 rng(12);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Dataset d = make_dataset(2);
    for (int r = 0; r < 200; ++r) {
        add_row(d, {u(rng), u(rng)}, r % 33 == 0 ? 1 : 0);
    }
    DataSplit split = stratified_split(d, {}, 3);
    std::vector<std::unique_ptr<Classifier>> candidates;
    candidates.push_back(std::make_unique<ColumnModel>("noise", 0));
    SelectionOptions options;
    options.add_ensemble = false;
    SelectionResult result = select_classifier(std::move(candidates), split, options);
    ASSERT_FALSE(result.warnings.empty());
    EXPECT_EQ(result.warnings[0].rfind("only 2 positives in validation and 1 in test", 0), 0u)
        << result.warnings[0];
}

// An AUC of 0.28 was once called "close to chance"; below 0.45 it is said to be below it.
TEST(PredictModelsSelection, ABelowChanceTestScoreIsCalledSo) {
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Dataset d = make_dataset(1);
    for (int r = 0; r < 400; ++r) {
        std::uint8_t y = r % 4 == 0 ? 1 : 0;
        add_row(d, {y ? 0.5f + 0.5f * u(rng) : 0.5f * u(rng)}, y);
    }
    DataSplit split = stratified_split(d, {}, 1);
    // The pattern reverses in the test part: perfect on validation, perfectly wrong on test.
    for (float& v : split.test.values) {
        v = 1.0f - v;
    }
    std::vector<std::unique_ptr<Classifier>> candidates;
    candidates.push_back(std::make_unique<ColumnModel>("column", 0));
    SelectionOptions options;
    options.add_ensemble = false;
    options.calibrate = false;
    SelectionResult result = select_classifier(std::move(candidates), split, options);
    EXPECT_DOUBLE_EQ(*result.test.roc_auc.value, 0.0);
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_EQ(result.warnings[0],
              "test ROC-AUC 0.0000 is below chance (0.5): the model ranks the test part worse "
              "than a coin would; the pattern it learnt does not hold there");
}

TEST(PredictModelsSelection, RealModelsEndToEnd) {
    Dataset d = logistic_data(1500, {1.2, -0.8, 0.0}, -1.5, 61);
    DataSplit split = stratified_split(d, {}, 2);
    std::vector<std::unique_ptr<Classifier>> candidates;
    candidates.push_back(std::make_unique<LogisticRegression>());
    candidates.push_back(std::make_unique<DenseNet>(small_dense_net()));
    candidates.push_back(std::make_unique<Gbdt>(small_gbdt()));
    SelectionResult result = select_classifier(std::move(candidates), split);

    ASSERT_EQ(result.candidates.size(), 4u);
    EXPECT_EQ(result.candidates[3].name, "ensemble");
    // The chosen one has the highest validation average precision.
    for (const CandidateReport& c : result.candidates) {
        EXPECT_LE(*c.average_precision.value,
                  *std::find_if(result.candidates.begin(), result.candidates.end(),
                                [&](const CandidateReport& x) { return x.name == result.chosen; })
                       ->average_precision.value);
    }
    // The data is a logistic model: every candidate ranks well above chance.
    EXPECT_GT(*result.test.roc_auc.value, 0.75);
    EXPECT_EQ(result.fitted_balance.n_rows, result.train_balance.n_rows);
}

}  // namespace
}  // namespace sextant
