// `sextant predict train` and `sextant predict score` as a user runs them, on a customer table
// drawn from a known logistic model: the model's ranking of new customers is compared with the
// ranking by the true probabilities (the best any model can do), and every refusal is one line.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "sextant/predict/metrics.h"
#include "test_util.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;
using testing::make_temp_dir;
using testing::read_file;

struct Result {
    int rc = -1;
    std::string output;
};

Result sextant(const std::string& args) {
    Result r;
    r.rc = testing::run_command(testing::sextant_binary() + " " + args, &r.output);
    return r;
}

struct Customer {
    std::string id;
    std::string cells;  // the feature cells, comma-separated
    double truth = 0;   // the probability the table was drawn from
    bool churned = false;
};

// Churn rises with monthly charges and a monthly contract and falls with tenure and a support
// plan; region is noise with 40 values; a tenth of the ages and a twentieth of the charges are
// missing in the four spellings a user's export has.
std::vector<Customer> customers(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const char* contracts[] = {"month", "one_year", "two_year"};
    const char* missing[] = {"NA", "", " ", "null"};
    std::vector<Customer> out;
    for (std::size_t i = 0; i < n; ++i) {
        int tenure = 1 + static_cast<int>(u(rng) * 72);
        int contract = u(rng) < 0.55 ? 0 : (u(rng) < 0.55 ? 1 : 2);
        double charges = std::round((20 + 100 * u(rng)) * 100) / 100;
        bool support = u(rng) < 0.5;
        int region = 1 + static_cast<int>(u(rng) * 40);
        int age = 18 + static_cast<int>(u(rng) * 62);
        double z = -0.5 - 0.05 * tenure + 0.03 * (charges - 70) +
                   (contract == 0   ? 1.3
                    : contract == 2 ? -1.0
                                    : 0.0) +
                   (support ? -0.8 : 0.3);
        Customer c;
        char id[16];
        std::snprintf(id, sizeof id, "C%zu", 10000 + i);  // "C" + to_string: GCC 12 -Wrestrict
        c.id = id;
        c.truth = 1 / (1 + std::exp(-z));
        c.churned = u(rng) < c.truth;
        std::ostringstream cells;
        cells << tenure << ',' << contracts[contract] << ',';
        if (u(rng) < 0.05) {
            cells << "NA";
        } else {
            cells << charges;
        }
        cells << ',' << (support ? "yes" : "no") << ",r" << region << ',';
        if (u(rng) < 0.1) {
            cells << missing[i % 4];
        } else {
            cells << age;
        }
        c.cells = cells.str();
        out.push_back(c);
    }
    return out;
}

const char* kHeader = "customer_id,tenure_months,contract,monthly_charges,support_plan,region,age";

void write_table(const fs::path& path, const std::vector<Customer>& rows, bool with_target) {
    std::ofstream out(path);
    out << kHeader << (with_target ? ",churned" : "") << "\n";
    for (const Customer& c : rows) {
        out << c.id << ',' << c.cells;
        if (with_target) {
            out << ',' << (c.churned ? "yes" : "no");
        }
        out << "\n";
    }
}

// id -> probability from a scores file (its first two columns; ids hold no commas here).
std::map<std::string, double> read_scores(const fs::path& path) {
    std::map<std::string, double> out;
    std::istringstream in(read_file(path.string()));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "customer_id,probability,risk_band,reason_1,reason_2,reason_3");
    while (std::getline(in, line)) {
        std::size_t a = line.find(',');
        std::size_t b = line.find(',', a + 1);
        out[line.substr(0, a)] = std::stod(line.substr(a + 1, b - a - 1));
    }
    return out;
}

TEST(PredictCli, TrainsOnACustomerTableAndRanksNewCustomersNearlyAsWellAsTheTruth) {
    fs::path dir = make_temp_dir("predict_cli");
    std::vector<Customer> known = customers(3000, 1);
    std::vector<Customer> fresh = customers(1500, 2);
    write_table(dir / "customers.csv", known, true);
    write_table(dir / "new.csv", fresh, false);

    Result train =
        sextant("predict train --table " + (dir / "customers.csv").string() +
                " --target churned --id customer_id --out " + (dir / "model").string() + " -q");
    ASSERT_EQ(train.rc, 0) << train.output;
    // The choices are reported: types as inferred, the missing values and how they were filled.
    EXPECT_NE(train.output.find("contract: feature, categorical"), std::string::npos);
    EXPECT_NE(train.output.find("support_plan: feature, boolean"), std::string::npos);
    EXPECT_NE(train.output.find("filled with median"), std::string::npos) << train.output;
    EXPECT_NE(train.output.find("<- chosen"), std::string::npos);

    nlohmann::json meta = nlohmann::json::parse(read_file((dir / "model/meta.json").string()));
    EXPECT_EQ(meta["source"], "customer_table");
    EXPECT_EQ(meta["calibration"]["method"], "platt");
    const nlohmann::json& split = meta["training"]["split"];
    EXPECT_EQ(split["train"].get<int>() + split["valid"].get<int>() + split["test"].get<int>(),
              3000);
    // The age column has 10% missing in four spellings: all are read as missing.
    for (const auto& c : meta["training"]["columns"]) {
        if (c["name"] == "age") {
            EXPECT_EQ(c["type"], "numeric");
            EXPECT_TRUE(c["missing_indicator"].get<bool>());
        }
    }

    Result score =
        sextant("predict score --model " + (dir / "model").string() + " --table " +
                (dir / "new.csv").string() + " --out " + (dir / "scores.csv").string() + " -q");
    ASSERT_EQ(score.rc, 0) << score.output;
    std::map<std::string, double> p = read_scores(dir / "scores.csv");
    ASSERT_EQ(p.size(), fresh.size());
    std::vector<std::uint8_t> labels;
    std::vector<double> model, truth;
    double mean_p = 0, rate = 0;
    for (const Customer& c : fresh) {
        labels.push_back(c.churned ? 1 : 0);
        model.push_back(p.at(c.id));
        truth.push_back(c.truth);
        mean_p += p.at(c.id);
        rate += c.churned ? 1 : 0;
    }
    double model_auc = *roc_auc(labels, model).value;
    double best_auc = *roc_auc(labels, truth).value;
    EXPECT_GT(model_auc, best_auc - 0.03) << "model " << model_auc << ", truth " << best_auc;
    // Calibrated: the mean probability is close to the churn rate of the new customers.
    EXPECT_NEAR(mean_p / fresh.size(), rate / fresh.size(), 0.04);
}

TEST(PredictCli, UnseenCategoryIsScoredAsUnknownAndSaidSo) {
    fs::path dir = make_temp_dir("predict_cli_unseen");
    std::vector<Customer> known = customers(1200, 3);
    write_table(dir / "customers.csv", known, true);
    std::vector<Customer> fresh = customers(3, 4);
    fresh[1].cells.replace(
        fresh[1].cells.find(',') + 1,
        fresh[1].cells.find(',', fresh[1].cells.find(',') + 1) - fresh[1].cells.find(',') - 1,
        "three_year");
    write_table(dir / "new.csv", fresh, false);
    ASSERT_EQ(sextant("predict train --table " + (dir / "customers.csv").string() +
                      " --target churned --id customer_id --models logistic --out " +
                      (dir / "model").string() + " -q")
                  .rc,
              0);
    Result score = sextant("predict score --model " + (dir / "model").string() + " --table " +
                           (dir / "new.csv").string() + " --out " + (dir / "scores.csv").string());
    ASSERT_EQ(score.rc, 0) << score.output;
    EXPECT_NE(score.output.find("column \"contract\": 1 value(s) of the scored rows were not seen"),
              std::string::npos)
        << score.output;
    EXPECT_EQ(read_scores(dir / "scores.csv").size(), 3u);
}

TEST(PredictCli, AnIdColumnNotNamedIsLeftOutAndSaidOnce) {
    fs::path dir = make_temp_dir("predict_cli_id");
    write_table(dir / "customers.csv", customers(600, 6), true);
    Result train = sextant("predict train --table " + (dir / "customers.csv").string() +
                           " --target churned --models logistic --out " + (dir / "model").string());
    ASSERT_EQ(train.rc, 0) << train.output;
    EXPECT_EQ(testing::count_of(train.output,
                                "column \"customer_id\" has a different value on "
                                "every row, like an id: left out"),
              1u)
        << train.output;
    EXPECT_NE(train.output.find("customer_id: left out, a different value on every row"),
              std::string::npos);
    nlohmann::json meta = nlohmann::json::parse(read_file((dir / "model/meta.json").string()));
    for (const auto& name : meta["feature_names"]) {
        EXPECT_EQ(name.get<std::string>().find("customer_id"), std::string::npos) << name;
    }
}

TEST(PredictCli, BadInputGetsOneLineAndWritesNothing) {
    fs::path dir = make_temp_dir("predict_cli_bad");
    std::vector<Customer> known = customers(600, 5);
    write_table(dir / "customers.csv", known, true);
    std::string table = " --table " + (dir / "customers.csv").string() + " --id customer_id";
    std::string out = " --out " + (dir / "model").string();
    struct Case {
        std::string args;
        std::string needle;
        int rc = 2;  // bad input; 3: not found
    };
    std::vector<Case> cases = {
        {"predict train" + table + " --target nope" + out, "unknown target column \"nope\""},
        {"predict train" + table + " --target churned --impute age=magic" + out,
         "--impute: unknown imputation \"magic\""},
        {"predict train" + table + " --target churned --type contract=numeric" + out,
         "column \"contract\": cannot read \"month\" as a number"},
        {"predict train" + table + " --target churned --models svm" + out,
         "--models: unknown model \"svm\""},
        {"predict train" + table + " --target churned --balance lots" + out, "--balance:"},
        {"predict train" + table + " --target churned --ignore churned" + out,
         "column \"churned\" is the target"},
        {"predict train --table " + (dir / "absent.csv").string() + " --target churned" + out,
         "absent.csv", 3},
        {"predict score --model " + (dir / "no-model").string() + " --table x.csv", "no-model", 3},
    };
    for (const Case& c : cases) {
        Result r = sextant(c.args);
        EXPECT_EQ(r.rc, c.rc) << c.args << "\n" << r.output;
        EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.args << "\n" << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    }
    EXPECT_FALSE(fs::exists(dir / "model"));

    // A single-class target, an entirely missing column.
    {
        std::ofstream f(dir / "one_class.csv");
        f << "id,x,y\n1,3,yes\n2,4,yes\n3,5,yes\n";
    }
    Result one =
        sextant("predict train --table " + (dir / "one_class.csv").string() + " --target y" + out);
    EXPECT_EQ(one.rc, 2);
    EXPECT_NE(one.output.find("single class"), std::string::npos) << one.output;
    {
        std::ofstream f(dir / "empty_column.csv");
        f << "id,x,blank,y\n";
        for (int i = 0; i < 40; ++i) {
            f << i << ',' << i % 7 << ",NA," << (i % 3 == 0 ? "yes" : "no") << "\n";
        }
    }
    Result blank = sextant("predict train --table " + (dir / "empty_column.csv").string() +
                           " --target y --id id" + out);
    EXPECT_EQ(blank.rc, 2);
    EXPECT_NE(blank.output.find("\"blank\""), std::string::npos) << blank.output;
    EXPECT_FALSE(fs::exists(dir / "model"));

    // A scoring file with a bad cell stores no scores file.
    ASSERT_EQ(sextant("predict train" + table +
                      " --target churned --models "
                      "logistic" +
                      out + " -q")
                  .rc,
              0);
    {
        std::ofstream f(dir / "bad.csv");
        f << kHeader << "\nC1,12,month,50,yes,r1,40\nC2,abc,month,50,yes,r1,40\n";
    }
    Result bad = sextant("predict score --model " + (dir / "model").string() + " --table " +
                         (dir / "bad.csv").string() + " --out " + (dir / "s.csv").string());
    EXPECT_EQ(bad.rc, 2);
    EXPECT_NE(bad.output.find("bad.csv:3: column \"tenure_months\""), std::string::npos)
        << bad.output;
    EXPECT_FALSE(fs::exists(dir / "s.csv"));
}

}  // namespace
}  // namespace sextant
