// The scores file (app/scores_file.h): order, bands, quoting and the summary it returns, checked
// against values written out by hand.
#include <gtest/gtest.h>

#include <filesystem>

#include "sextant/app/scores_file.h"
#include "sextant/core/error.h"
#include "test_util.h"

namespace sextant {
namespace {

TEST(ScoresFile, RiskBandsFollowTheThreshold) {
    EXPECT_EQ(risk_band(0.40, 0.4), "high");
    EXPECT_EQ(risk_band(0.39, 0.4), "medium");
    EXPECT_EQ(risk_band(0.20, 0.4), "medium");
    EXPECT_EQ(risk_band(0.19, 0.4), "low");
}

TEST(ScoresFile, TopByMagnitudeSkipsZerosAndBreaksTiesByIndex) {
    EXPECT_EQ(top_by_magnitude({0.1, -0.5, 0.0, 0.5, 0.2}, 3), (std::vector<std::size_t>{1, 3, 4}));
    EXPECT_EQ(top_by_magnitude({0.0, 0.0, 0.3}, 3), (std::vector<std::size_t>{2}));
    EXPECT_TRUE(top_by_magnitude({}, 3).empty());
}

TEST(ScoresFile, RowsAreSortedQuotedAndCounted) {
    std::filesystem::path file =
        std::filesystem::path(testing::make_temp_dir("scores")) / "sub" / "s.csv";
    nlohmann::json r = write_scores(file, "customer", {"a", "b,c", "d"}, {0.1, 0.9, 0.3},
                                    {{"x"}, {"says \"hi\"", "y"}, {}}, 0.5, 2, "id");
    EXPECT_EQ(testing::read_file(file.string()),
              "customer,probability,risk_band,reason_1,reason_2,reason_3\n"
              "\"b,c\",0.9,high,\"says \"\"hi\"\"\",y,\n"
              "d,0.3,medium,,,\n"
              "a,0.1,low,x,,\n");
    EXPECT_EQ(r["rows"], 3);
    EXPECT_EQ(r["risk_bands"], (nlohmann::json{{"high", 1}, {"low", 1}, {"medium", 1}}));
    ASSERT_EQ(r["top"].size(), 2u);
    EXPECT_EQ(r["top"][0]["id"], "b,c");
    EXPECT_EQ(r["top"][1]["risk_band"], "medium");
}

// `predict score --out DIR` once said only "cannot write the scores file".
TEST(ScoresFile, AFolderAsTheFileIsRefusedNamingIt) {
    std::filesystem::path dir = testing::make_temp_dir("scores-dir");
    try {
        write_scores(dir, "id", {"a"}, {0.5}, {{}}, 0.5, 1);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        EXPECT_EQ(std::string(e.what()), dir.string() +
                                             ": is a folder; give the scores file a name, such "
                                             "as " +
                                             (dir / "scores.csv").string());
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace
}  // namespace sextant
