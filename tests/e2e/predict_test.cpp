// Churn prediction end to end: the real binary on the real Online Retail file, and on a synthetic
// log whose churners are planted (slow: about a minute each).
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sextant/sim/simulate.h"
#include "test_util.h"

namespace sextant {
namespace {

using json = nlohmann::json;

// The rows of a scores file: user -> probability (a reader of the test's own).
std::map<std::string, double> read_scores(const std::string& path, std::size_t* rows_with_reason) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "user,probability,risk_band,reason_1,reason_2,reason_3");
    std::map<std::string, double> scores;
    *rows_with_reason = 0;
    while (std::getline(in, line)) {
        std::stringstream fields(line);
        std::string user, probability, band, reason;
        std::getline(fields, user, ',');
        std::getline(fields, probability, ',');
        std::getline(fields, band, ',');
        std::getline(fields, reason, ',');
        scores[user] = std::stod(probability);
        EXPECT_TRUE(band == "high" || band == "medium" || band == "low" || band == "lapsed")
            << line;
        if (reason.rfind("raises: ", 0) == 0 || reason.rfind("lowers: ", 0) == 0) {
            ++*rows_with_reason;
        }
    }
    return scores;
}

// ROC-AUC by counting pairs (ties count 1/2): independent of the library's metrics.
double pairwise_auc(const std::vector<double>& positives, const std::vector<double>& negatives) {
    double wins = 0;
    for (double p : positives) {
        for (double n : negatives) {
            wins += p > n ? 1.0 : (p == n ? 0.5 : 0.0);
        }
    }
    return wins / (static_cast<double>(positives.size()) * static_cast<double>(negatives.size()));
}

TEST(PredictE2e, OnlineRetailChurnOver90DaysBeatsRecency) {
    SEXTANT_REQUIRE_DATA(retail, "online-retail/online_retail.csv");
    std::string out = testing::make_temp_dir("predict-retail");
    std::string output;
    int rc = testing::run_command(
        testing::sextant_binary() + " run " + retail +
            " --map user=CustomerID,item=StockCode,time=InvoiceDate,value=Quantity*UnitPrice"
            " --on-bad-row=skip --tz Europe/London --budget 0 --horizon 90 -q --out " +
            out,
        &output);
    ASSERT_EQ(rc, 0) << output;
    json s = json::parse(testing::read_file(out + "/summary.json"));
    const json& churn = s["predict"]["churn"];
    ASSERT_FALSE(churn.contains("skipped")) << churn.dump();
    double auc = churn["selection"]["test"]["roc_auc"];
    double recency = churn["recency_baseline"]["roc_auc"];
    std::cout << "[ figures  ] Online Retail churn, 90 days: test ROC-AUC " << auc << " ("
              << churn["selection"]["chosen"] << "), recency rule " << recency << "\n";
    EXPECT_GT(auc, 0.70);
    EXPECT_GT(auc, recency);
    EXPECT_EQ(churn["horizon_days"], 90);

    // One score per customer (4,372 with a CustomerID), most with a reason in plain words.
    std::size_t with_reason = 0;
    auto scores = read_scores(churn["scores_file"], &with_reason);
    EXPECT_EQ(scores.size(), 4372u);
    EXPECT_GT(with_reason, scores.size() * 9 / 10);
    EXPECT_TRUE(std::filesystem::exists(churn["model_dir"].get<std::string>() + "/meta.json"));
    std::filesystem::remove_all(out);
}

TEST(PredictE2e, PlantedChurnersAreRecovered) {
    std::string dir = testing::make_temp_dir("predict-sim");
    SimulateOptions sim;
    sim.n_users = 2000;
    sim.days = 120;
    sim.seed = 5;
    SimulateResult truth = simulate_to_file(sim, dir + "/events.csv");
    std::string output;
    int rc = testing::run_command(testing::sextant_binary() + " run " + dir +
                                      "/events.csv --budget 0 -q --out " + dir + "/out",
                                  &output);
    ASSERT_EQ(rc, 0) << output;
    json s = json::parse(testing::read_file(dir + "/out/summary.json"));
    const json& churn = s["predict"]["churn"];
    ASSERT_FALSE(churn.contains("skipped")) << churn.dump();
    // The log has purchases, so propensity is trained too.
    EXPECT_EQ(s["predict"]["propensity"]["target_event"], "purchase");

    std::size_t with_reason = 0;
    auto scores = read_scores(churn["scores_file"], &with_reason);
    std::vector<double> churners, stayers;
    for (const SimulatedUser& u : truth.users) {
        auto it = scores.find(u.id);
        ASSERT_NE(it, scores.end()) << u.id;
        (u.churned ? churners : stayers).push_back(it->second);
    }
    double auc = pairwise_auc(churners, stayers);
    std::cout << "[ figures  ] planted churners: " << churners.size() << " of "
              << truth.users.size() << ", ROC-AUC of the churn scores " << auc << "\n";
    EXPECT_GT(auc, 0.85);

    // The at-risk list holds only users still active: an event in the last 30 days (the
    // horizon). Each user's last event, read from the log itself (ISO times sort as text).
    std::map<std::string, std::string> last_seen;
    std::string end;
    {
        std::ifstream log(dir + "/events.csv");
        std::string line;
        while (std::getline(log, line)) {
            if (line.empty() || line[0] == '#' || line.rfind("user_id,", 0) == 0) {
                continue;
            }
            std::stringstream fields(line);
            std::string user, item, event, time;
            std::getline(fields, user, ',');
            std::getline(fields, item, ',');
            std::getline(fields, event, ',');
            std::getline(fields, time, ',');
            last_seen[user] = std::max(last_seen[user], time);
            end = std::max(end, time);
        }
    }
    auto days_before_end = [&](const std::string& iso) {
        auto seconds = [](const std::string& t) {
            std::tm tm{};
            std::istringstream(t) >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
            return static_cast<double>(timegm(&tm));
        };
        return (seconds(end) + 1 - seconds(iso)) / 86400.0;
    };
    std::size_t lapsed = 0;
    for (const auto& [user, time] : last_seen) {
        lapsed += days_before_end(time) >= 30 ? 1 : 0;
    }
    EXPECT_EQ(churn["lapsed"]["users"].get<std::size_t>(), lapsed);
    ASSERT_FALSE(churn["top_at_risk"].empty());
    for (const json& user : churn["top_at_risk"]) {
        EXPECT_LT(days_before_end(last_seen.at(user["user"].get<std::string>())), 30)
            << user.dump();
    }
    std::filesystem::remove_all(dir);
}

// --balance and --min-precision reach the main job's churn selection, and a bad --balance is
// refused before anything is stored.
TEST(PredictE2e, RunTakesBalanceAndMinPrecision) {
    std::string dir = testing::make_temp_dir("predict-flags");
    SimulateOptions sim;
    sim.n_users = 600;
    sim.days = 90;
    sim.seed = 11;
    simulate_to_file(sim, dir + "/events.csv");
    std::string output;
    int rc = testing::run_command(testing::sextant_binary() + " run " + dir +
                                      "/events.csv --budget 0 -q --balance sometimes --out " + dir +
                                      "/bad",
                                  &output);
    EXPECT_EQ(rc, 2) << output;
    EXPECT_NE(output.find("--balance: "), std::string::npos) << output;
    EXPECT_FALSE(std::filesystem::exists(dir + "/bad/sextant.db"));

    rc = testing::run_command(testing::sextant_binary() + " run " + dir +
                                  "/events.csv --budget 0 -q --horizon 14 --balance undersample"
                                  " --min-precision 0.7 --out " +
                                  dir + "/out",
                              &output);
    ASSERT_EQ(rc, 0) << output;
    json s = json::parse(testing::read_file(dir + "/out/summary.json"));
    const json& selection = s["predict"]["churn"]["selection"];
    ASSERT_TRUE(selection.is_object()) << s["predict"].dump();
    EXPECT_EQ(selection["imbalance"], "undersample");
    // Undersampling leaves as many negatives as positives to fit on.
    EXPECT_EQ(selection["fitted_balance"]["n_positives"],
              selection["fitted_balance"]["n_negatives"]);
    // When the recency rule ranks the test part better than the model, a warning says so.
    const double model_auc = selection["test"]["roc_auc"];
    const double rule_auc = s["predict"]["churn"]["recency_baseline"]["roc_auc"];
    bool warned = false;
    for (const json& w : selection["warnings"]) {
        warned = warned || w.get<std::string>().find(
                               "the recency rule alone ranks the test part "
                               "better") != std::string::npos;
    }
    EXPECT_EQ(warned, rule_auc > model_auc) << selection["warnings"].dump();
    const json& choice = selection["threshold_choice"];
    if (choice["fell_back"].get<bool>()) {
        EXPECT_NE(choice["reason"].get<std::string>().find("no threshold reaches precision 0.7"),
                  std::string::npos)
            << choice.dump();
    } else {
        EXPECT_GE(choice["at_choice"]["precision"].get<double>(), 0.7 - 1e-9) << choice.dump();
        EXPECT_NE(choice["reason"].get<std::string>().find("with precision >= 0.7"),
                  std::string::npos)
            << choice.dump();
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sextant
