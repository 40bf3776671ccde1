#include <xxhash.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sextant/core/error.h"
#include "sextant/predict/table.h"
#include "sextant/predict/table_impute.h"
#include "test_util.h"

namespace sextant {
namespace {

constexpr double kNa = std::numeric_limits<double>::quiet_NaN();

FittedTable fit_text(const std::string& csv, TableOptions options) {
    return fit_table(parse_table(csv, "t.csv"), options);
}

TableOptions target(const std::string& name) {
    TableOptions options;
    options.target = name;
    return options;
}

// The feature column `name` of a matrix, top to bottom.
std::vector<double> feature(const DesignMatrix& m, const std::string& name) {
    const auto f = m.feature_index(name);
    EXPECT_TRUE(f.has_value()) << "no feature " << name;
    std::vector<double> out;
    for (std::size_t r = 0; f && r < m.n_rows(); ++r) {
        out.push_back(m.at(r, *f));
    }
    return out;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-12) << "at " << i;
    }
}

const ColumnReport& column_report(const TableReport& report, const std::string& name) {
    for (const ColumnReport& c : report.columns) {
        if (c.name == name) {
            return c;
        }
    }
    ADD_FAILURE() << "no column " << name << " in the report";
    return report.columns.front();
}

// The message of the Error that `f` throws, or "" when it throws none.
template <typename F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        return e.what();
    }
    return "";
}

TEST(PredictTableCells, MissingBooleanAndNumberRules) {
    for (const char* missing : {"", " ", " \t ", "NA", "N/A", "null", "NULL", " NA ", "na", "#N/A",
                                "NaN", "nan", "None", "none", "?", " - "}) {
        EXPECT_TRUE(is_missing_cell(missing)) << '"' << missing << '"';
    }
    for (const char* present : {"0", "n.a.", "--", "nothing", "nana", "None yet"}) {
        EXPECT_FALSE(is_missing_cell(present)) << present;
    }
    EXPECT_EQ(parse_bool_cell("YES"), true);
    EXPECT_EQ(parse_bool_cell(" t "), true);
    EXPECT_EQ(parse_bool_cell("1"), true);
    EXPECT_EQ(parse_bool_cell("N"), false);
    EXPECT_EQ(parse_bool_cell("False"), false);
    EXPECT_EQ(parse_bool_cell("0"), false);
    EXPECT_FALSE(parse_bool_cell("2").has_value());
    EXPECT_FALSE(parse_bool_cell("1.0").has_value());

    EXPECT_EQ(parse_number_cell("+3.5"), 3.5);
    EXPECT_EQ(parse_number_cell(" 42 "), 42.0);
    EXPECT_EQ(parse_number_cell("-1e3"), -1000.0);
    EXPECT_EQ(parse_number_cell(".25"), 0.25);
    for (const char* text : {"inf", "nan", "1,5", "0x10", "++1", "12abc", "", "1e999"}) {
        EXPECT_FALSE(parse_number_cell(text).has_value()) << text;
    }
}

TEST(PredictTableImpute, MeanMedianModeByHand) {
    const std::vector<double> a = {1, kNa, 2, 6};
    EXPECT_DOUBLE_EQ(present_mean(a), 3.0);  // (1 + 2 + 6) / 3
    // Odd count {1, 3, 5}: the middle one; even count {1, 3, 4, 10}: (3 + 4) / 2.
    EXPECT_DOUBLE_EQ(present_median(std::vector<double>{5, kNa, 1, 3}), 3.0);
    EXPECT_DOUBLE_EQ(present_median(std::vector<double>{4, 1, kNa, 3, 10}), 3.5);
    // 2 and 7 both appear twice: the tie goes to the smaller.
    EXPECT_DOUBLE_EQ(present_mode(std::vector<double>{7, 2, 7, 2, kNa, 9}), 2.0);
    EXPECT_DOUBLE_EQ(present_mode(std::vector<double>{7, 2, 7, kNa, 9}), 7.0);
    // Population std of {1, 2, 6} around 3: sqrt((4 + 1 + 9) / 3).
    EXPECT_DOUBLE_EQ(present_std(a, 3.0), std::sqrt(14.0 / 3.0));
}

TEST(PredictTableImpute, ForwardAndBackwardFillWithLeadingAndTrailingGaps) {
    std::vector<double> f = {kNa, kNa, 4, kNa, 6, kNa};
    fill_forward(f, 99);
    // The two leading gaps have nothing above: they take the first value below (4).
    EXPECT_EQ(f, (std::vector<double>{4, 4, 4, 4, 6, 6}));

    std::vector<double> b = {kNa, kNa, 4, kNa, 6, kNa};
    fill_backward(b, 99);
    // The trailing gap has nothing below: it takes the last value above (6).
    EXPECT_EQ(b, (std::vector<double>{4, 4, 4, 6, 6, 6}));

    std::vector<double> none = {kNa, kNa};
    fill_forward(none, 99);
    EXPECT_EQ(none, (std::vector<double>{99, 99}));
}

TEST(PredictTableImpute, KnnWithTwoNeighboursByHand) {
    // Columns (x, a, b); x is imputed; unit stds so distances are plain.
    const std::vector<double> reference = {
        10,  0, 0,  // r0
        20,  1, 0,  // r1
        30,  4, 4,  // r2
        kNa, 0, 0,  // r3: no x, never a donor
    };
    const std::vector<double> means = {0, 0, 0};
    const std::vector<double> stds = {1, 1, 1};
    const KnnSpace space{3, means, stds};
    const std::vector<double> rows = {
        kNa, 1,   1,    // distances: r0 sqrt((1+1)/2) = 1, r1 sqrt((0+1)/2) = 0.71, r2 3
        kNa, 1,   kNa,  // only a is shared: r0 1, r1 0, r2 3
        kNa, kNa, kNa,  // nothing shared: the fallback
        7,   9,   9,    // present: kept
    };
    std::vector<double> out;
    EXPECT_EQ(fill_knn(rows, reference, space, 0, 2, -1, out), 1u);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_DOUBLE_EQ(out[0], 15.0);  // (r1 20 + r0 10) / 2
    EXPECT_DOUBLE_EQ(out[1], 15.0);  // r1 and r0 again
    EXPECT_DOUBLE_EQ(out[2], -1.0);
    EXPECT_DOUBLE_EQ(out[3], 7.0);

    // r0 and r1 are both at distance 0.5 from a = 0.5, b = 0: the tie goes to r0.
    const std::vector<double> tie = {kNa, 0.5, 0};
    EXPECT_EQ(fill_knn(tie, reference, space, 0, 1, -1, out), 0u);
    EXPECT_DOUBLE_EQ(out[0], 10.0);

    // A constant column (std 0) takes no part: with a left out and b missing, nothing is shared.
    const std::vector<double> stds_a_constant = {1, 0, 1};
    const KnnSpace no_a{3, means, stds_a_constant};
    const std::vector<double> only_a = {kNa, 1, kNa};
    EXPECT_EQ(fill_knn(only_a, reference, no_a, 0, 2, -1, out), 1u);
    EXPECT_DOUBLE_EQ(out[0], -1.0);
}

TEST(PredictTableTypes, InferenceAndReasons) {
    const std::string csv =
        "id,age,active,plan,score,churn\n"
        "1,34,1,basic,NA,0\n"
        "2,NA,0,premium,2.5,1\n"
        "3,41, ,basic,3,0\n"
        "4,29,1,3,null,1\n";
    TableOptions options = target("churn");
    options.id = "id";
    const FittedTable fit = fit_text(csv, options);
    const TableReport& r = fit.report;

    EXPECT_EQ(column_report(r, "age").type, ColumnType::kNumeric);
    EXPECT_EQ(column_report(r, "age").reason,
              "numeric: 3 of 4 values parse as numbers (1 missing)");
    EXPECT_EQ(column_report(r, "score").reason,
              "numeric: 2 of 4 values parse as numbers (2 missing)");
    // 0/1 is boolean, and the lone space is missing.
    EXPECT_EQ(column_report(r, "active").type, ColumnType::kBoolean);
    EXPECT_EQ(column_report(r, "active").n_missing, 1u);
    EXPECT_EQ(column_report(r, "active").reason,
              "boolean: all 3 present values are true/false, yes/no, y/n, t/f or 1/0 words (1 "
              "missing)");
    EXPECT_EQ(column_report(r, "plan").type, ColumnType::kCategorical);
    EXPECT_EQ(column_report(r, "plan").reason,
              "categorical: 3 of 4 present values are not numbers (first \"basic\" on line 2)");
    EXPECT_EQ(column_report(r, "id").role, "id");
    EXPECT_EQ(column_report(r, "churn").role, "target");

    EXPECT_EQ(fit.matrix.feature_names,
              (std::vector<std::string>{"age", "age_missing", "active", "active_missing", "plan=3",
                                        "plan=basic", "plan=premium", "plan=__unknown__", "score",
                                        "score_missing"}));
    EXPECT_EQ(fit.matrix.ids, (std::vector<std::string>{"1", "2", "3", "4"}));
    EXPECT_EQ(*fit.matrix.labels, (std::vector<std::uint8_t>{0, 1, 0, 1}));
    // active {1, 0, 1}: mode true fills line 4.
    EXPECT_EQ(feature(fit.matrix, "active"), (std::vector<double>{1, 0, 1, 1}));
    EXPECT_EQ(feature(fit.matrix, "active_missing"), (std::vector<double>{0, 0, 1, 0}));

    // An override wins: plan's "3" is then just another category, age becomes categorical.
    options.types["age"] = ColumnType::kCategorical;
    const FittedTable over = fit_text(csv, options);
    EXPECT_EQ(column_report(over.report, "age").reason, "categorical: set by the caller");
    EXPECT_TRUE(over.matrix.feature_index("age=34").has_value());
}

TEST(PredictTableImputation, EachStrategyThroughTheTable) {
    // x in file order: NA, 4, 1, NA, 3, NA (present {4, 1, 3}: mean 8/3, median 3, mode 1).
    const std::string csv = "x,y\nNA,0\n4,1\n1,0\nNA,1\n3,0\nNA,1\n";
    auto run = [&](Imputation imputation) {
        TableOptions options = target("y");
        options.imputation = imputation;
        options.scaling = Scaling::kMinMax;
        const FittedTable fit = fit_text(csv, options);
        // Undo min-max to read the imputed values.
        const TableEncoder::Column& c = fit.encoder.columns()[0];
        std::vector<double> x = feature(fit.matrix, "x");
        for (double& v : x) {
            v = v * c.divisor + c.offset;
        }
        return x;
    };
    const double mean = 8.0 / 3.0;
    expect_near(run(Imputation::kMean), {mean, 4, 1, mean, 3, mean});
    expect_near(run(Imputation::kMedian), {3, 4, 1, 3, 3, 3});
    // {4, 1, 3} has no repeat: every value ties, the smallest (1) wins.
    expect_near(run(Imputation::kMode), {1, 4, 1, 1, 3, 1});
    expect_near(run(Imputation::kForwardFill), {4, 4, 1, 1, 3, 3});
    expect_near(run(Imputation::kBackwardFill), {4, 4, 1, 3, 3, 3});
}

TEST(PredictTableImputation, KnnStandardisesAndBreaksTiesByFileOrder) {
    // a spans 0..3, b spans 0..3000. Line 6 (a 0, b 1400) is nearest to lines 2 and 3 (a 0)
    // once both are standardised: a's std is 1.47 and b's 1342 over all five rows, so line 4's
    // a difference of 3 is 2.04 stds while lines 2 and 3 differ in b by 1.04 and 1.19 stds.
    // Unscaled, b's 1400 and 1600 would pick lines 2 and 4 (x 10 and 30) instead.
    const std::string csv =
        "a,b,x,y\n"
        "0,0,10,0\n"
        "0,3000,20,1\n"
        "3,0,30,0\n"
        "3,3000,40,1\n"
        "0,1400,NA,0\n";
    TableOptions options = target("y");
    options.imputation = Imputation::kKnn;
    options.knn_k = 2;
    options.scaling = Scaling::kMinMax;
    const FittedTable fit = fit_text(csv, options);
    const TableEncoder::Column& x = fit.encoder.columns()[2];
    EXPECT_DOUBLE_EQ(fit.matrix.at(4, *fit.matrix.feature_index("x")) * x.divisor + x.offset,
                     15.0);  // (10 + 20) / 2
    EXPECT_EQ(column_report(fit.report, "x").imputation, "knn k=2 (fallback median 25)");
    EXPECT_EQ(column_report(fit.report, "x").n_knn_fallbacks, 0u);

    // A scoring row with neither a nor b has no usable donor: the median of x, 25.
    const RawTable score = parse_table("a,b,x\nNA,NA,NA\n", "s.csv");
    const EncodedTable applied = fit.encoder.apply(score);
    EXPECT_DOUBLE_EQ(
        applied.matrix.at(0, *applied.matrix.feature_index("x")) * x.divisor + x.offset, 25.0);
    EXPECT_EQ(column_report(applied.report, "x").n_knn_fallbacks, 1u);
    EXPECT_FALSE(applied.matrix.labels.has_value());
}

TEST(PredictTableScaling, ZScoreAndMinMaxByHand) {
    // x {1, 2, 3, 4, NA}: the median 2.5 fills the gap; the imputed column has mean 2.5 and
    // population std sqrt((2.25 + 0.25 + 0.25 + 2.25 + 0) / 5) = 1.
    const std::string csv = "x,y\n1,0\n2,1\n3,0\n4,1\nNA,0\n";
    const FittedTable z = fit_text(csv, target("y"));
    EXPECT_EQ(feature(z.matrix, "x"), (std::vector<double>{-1.5, -0.5, 0.5, 1.5, 0}));
    EXPECT_EQ(column_report(z.report, "x").encoding, "z-score (mean 2.5, std 1)");

    // Min-max over {2, 4, 10}: (x - 2) / 8; scoring values are not clipped.
    TableOptions options = target("y");
    options.scaling = Scaling::kMinMax;
    const FittedTable mm = fit_text("x,y\n2,0\n4,1\n10,0\n", options);
    EXPECT_EQ(feature(mm.matrix, "x"), (std::vector<double>{0, 0.25, 1}));
    const EncodedTable scored = mm.encoder.apply(parse_table("x\n12\n0\n", "s.csv"));
    EXPECT_EQ(feature(scored.matrix, "x"), (std::vector<double>{1.25, -0.25}));

    // A constant column only subtracts.
    const FittedTable flat = fit_text("x,y\n5,0\n5,1\n", target("y"));
    EXPECT_EQ(feature(flat.matrix, "x"), (std::vector<double>{0, 0}));
}

TEST(PredictTableEncoding, OneHotWithModeAndUnseenValues) {
    // b and g tie at two rows each; the mode is the one that sorts first, "b".
    const std::string csv = "plan,y\ng,0\nb,1\nNA,0\ng,1\nb,0\np,1\n";
    const FittedTable fit = fit_text(csv, target("y"));
    EXPECT_EQ(fit.matrix.feature_names,
              (std::vector<std::string>{"plan=b", "plan=g", "plan=p", "plan=__unknown__",
                                        "plan_missing"}));
    EXPECT_EQ(feature(fit.matrix, "plan=b"), (std::vector<double>{0, 1, 1, 0, 1, 0}));
    EXPECT_EQ(feature(fit.matrix, "plan=g"), (std::vector<double>{1, 0, 0, 1, 0, 0}));
    EXPECT_EQ(feature(fit.matrix, "plan=__unknown__"), (std::vector<double>(6, 0)));
    EXPECT_EQ(feature(fit.matrix, "plan_missing"), (std::vector<double>{0, 0, 1, 0, 0, 0}));
    EXPECT_EQ(column_report(fit.report, "plan").imputation, "mode \"b\"");
    EXPECT_EQ(column_report(fit.report, "plan").n_categories, 3u);

    const EncodedTable scored = fit.encoder.apply(parse_table("plan\nx\ng\nzz\n", "s.csv"));
    EXPECT_EQ(feature(scored.matrix, "plan=__unknown__"), (std::vector<double>{1, 0, 1}));
    EXPECT_EQ(feature(scored.matrix, "plan=g"), (std::vector<double>{0, 1, 0}));
    EXPECT_EQ(column_report(scored.report, "plan").n_unseen, 2u);
}

TEST(PredictTableEncoding, HashedBucketsAreXxh3ModBuckets) {
    const std::vector<std::string> zips = {"10115", "20095", "80331", "50667", "60311"};
    std::string csv = "zip,y\n";
    for (std::size_t i = 0; i < zips.size(); ++i) {
        csv += zips[i] + "," + std::to_string(i % 2) + "\n";
    }
    TableOptions options = target("y");
    options.types["zip"] = ColumnType::kCategorical;  // the codes parse as numbers
    options.max_onehot = 3;
    options.hash_buckets = 4;
    const FittedTable fit = fit_text(csv, options);
    EXPECT_EQ(fit.matrix.feature_names,
              (std::vector<std::string>{"zip#0", "zip#1", "zip#2", "zip#3", "zip#__unknown__"}));
    EXPECT_EQ(column_report(fit.report, "zip").encoding, "hashed (XXH3-64 mod 4 + unknown)");
    for (std::size_t r = 0; r < zips.size(); ++r) {
        const std::size_t bucket = XXH3_64bits(zips[r].data(), zips[r].size()) % 4;
        for (std::size_t b = 0; b < 5; ++b) {
            EXPECT_EQ(fit.matrix.at(r, b), b == bucket ? 1.0 : 0.0) << zips[r] << " bucket " << b;
        }
    }

    // A value first seen when scoring once took the bucket of whichever training values it
    // hashed with, and their effect; it gets the unknown slot, like one-hot's unknown level.
    const EncodedTable scored = fit.encoder.apply(parse_table("zip\n99999\n80331\n", "s.csv"));
    for (std::size_t b = 0; b < 5; ++b) {
        EXPECT_EQ(scored.matrix.at(0, b), b == 4 ? 1.0 : 0.0) << "bucket " << b;
    }
    const std::size_t known = XXH3_64bits("80331", 5) % 4;
    EXPECT_EQ(scored.matrix.at(1, known), 1.0);
    EXPECT_EQ(column_report(scored.report, "zip").n_unseen, 1u);
    EXPECT_TRUE(fit.encoder.columns()[0].has_seen("80331"));
    EXPECT_FALSE(fit.encoder.columns()[0].has_seen("99999"));
}

TEST(PredictTableTarget, PositiveClassRules) {
    const FittedTable yes = fit_text("x,churn\n1,no\n2,Yes\n3,no\n", target("churn"));
    EXPECT_EQ(yes.report.positive_label, "Yes");
    EXPECT_EQ(*yes.matrix.labels, (std::vector<std::uint8_t>{0, 1, 0}));

    const FittedTable minority = fit_text("x,status\n1,stay\n2,stay\n3,leave\n", target("status"));
    EXPECT_EQ(minority.report.positive_label, "leave");
    EXPECT_EQ(minority.report.positive_rule, "the minority class is positive");
    EXPECT_EQ(*minority.matrix.labels, (std::vector<std::uint8_t>{0, 0, 1}));

    const FittedTable even = fit_text("x,status\n1,active\n2,churned\n", target("status"));
    EXPECT_EQ(even.report.positive_label, "churned");

    TableOptions given = target("status");
    given.positive_label = "stay";
    const FittedTable chosen = fit_text("x,status\n1,stay\n2,stay\n3,leave\n", given);
    EXPECT_EQ(*chosen.matrix.labels, (std::vector<std::uint8_t>{1, 1, 0}));

    TableOptions zero = target("churn");
    zero.positive_label = "no";
    const FittedTable no = fit_text("x,churn\n1,no\n2,Yes\n3,no\n", zero);
    EXPECT_EQ(*no.matrix.labels, (std::vector<std::uint8_t>{1, 0, 1}));
    zero.positive_label = "maybe";
    EXPECT_EQ(error_of([&] { fit_text("x,churn\n1,no\n2,Yes\n", zero); }),
              "positive label \"maybe\" is not a class of target column \"churn\" (classes: "
              "\"Yes\", \"no\")");

    // Rows with a missing label are dropped and counted.
    const FittedTable dropped = fit_text("x,churn\n1,1\n2,NA\n3,0\n", target("churn"));
    EXPECT_EQ(dropped.report.n_dropped_missing_target, 1u);
    EXPECT_EQ(dropped.matrix.lines, (std::vector<std::uint64_t>{2, 4}));
    EXPECT_EQ(dropped.report.n_positive, 1u);
}

TEST(PredictTableTarget, SingleClassManyClassesAndNoLabelAreRefused) {
    EXPECT_EQ(error_of([] { fit_text("x,churn\n1,0\n2,0\n3,NA\n", target("churn")); }),
              "t.csv:1: target column \"churn\" has a single class \"0\" (2 rows); a binary "
              "target needs two");
    EXPECT_EQ(error_of([] { fit_text("x,plan\n1,a\n2,a\n", target("plan")); }),
              "t.csv:1: target column \"plan\" has a single class \"a\" (2 rows); a binary "
              "target needs two");
    EXPECT_EQ(error_of([] { fit_text("x,plan\n1,a\n2,b\n3,c\n", target("plan")); }),
              "t.csv:1: target column \"plan\" has 3 classes (\"a\", \"b\", \"c\"); a binary "
              "target needs two");
    EXPECT_EQ(error_of([] { fit_text("x,churn\n1,NA\n2,\n", target("churn")); }),
              "t.csv:1: target column \"churn\" is missing on every row (2 rows)");
}

TEST(PredictTableErrors, EntirelyMissingColumnIsRefused) {
    EXPECT_EQ(error_of([] { fit_text("x,fax,y\n1,NA,0\n2, ,1\n3,,0\n", target("y")); }),
              "t.csv:1: column \"fax\" is entirely missing (all 3 rows)");
}

TEST(PredictTableErrors, BadInputMessagesNameFileLineAndColumn) {
    EXPECT_EQ(error_of([] { parse_table("id,age,y\n1,30,0\n2,40\n", "t.csv"); }),
              "t.csv:3: row has 2 fields, the header has 3");
    EXPECT_EQ(error_of([] { parse_table("id,age,y\n1,\"30,0\n", "t.csv"); }),
              "t.csv:2: a quoted field is never closed");
    EXPECT_EQ(error_of([] { parse_table("id,age,id\n1,2,3\n", "t.csv"); }),
              "t.csv:1: column \"id\" appears twice (fields 1 and 3)");
    EXPECT_EQ(error_of([] { parse_table("id,age\n", "t.csv"); }),
              "t.csv: the file has no data rows");

    const std::string csv = "id,age,y\n7,30,0\n8,40,1\n7,50,0\n";
    TableOptions options = target("y");
    options.id = "id";
    EXPECT_EQ(error_of([&] { fit_text(csv, options); }),
              "t.csv:4: column \"id\": duplicate id \"7\" (first on line 2)");
    EXPECT_EQ(error_of([&] { fit_text("id,age,y\n7,30,0\n,40,1\n", options); }),
              "t.csv:3: column \"id\": the id is missing");

    TableOptions override = target("y");
    override.types["agee"] = ColumnType::kNumeric;
    EXPECT_EQ(error_of([&] { fit_text(csv, override); }),
              "t.csv:1: unknown type override column \"agee\" (columns: id, age, y)");
    EXPECT_EQ(error_of([&] { fit_text(csv, target("churn")); }),
              "t.csv:1: unknown target column \"churn\" (columns: id, age, y)");
    TableOptions bad_id = target("y");
    bad_id.id = "customer";
    EXPECT_EQ(error_of([&] { fit_text(csv, bad_id); }),
              "t.csv:1: unknown id column \"customer\" (columns: id, age, y)");

    TableOptions numeric = target("y");
    numeric.types["age"] = ColumnType::kNumeric;
    EXPECT_EQ(error_of([&] { fit_text("age,y\n30,0\nold,1\n", numeric); }),
              "t.csv:3: column \"age\": cannot read \"old\" as a number");
    TableOptions knn_plan = target("y");
    knn_plan.column_imputation["plan"] = Imputation::kKnn;
    EXPECT_EQ(error_of([&] { fit_text("plan,y\na,0\nb,1\n", knn_plan); }),
              "column \"plan\" is categorical: it can only be imputed with mode, not knn");

    // At scoring time: a missing feature column, a value of the wrong type, an unknown label.
    const FittedTable fit = fit_text("age,flag,y\n30,yes,0\n40,no,1\n", target("y"));
    EXPECT_EQ(error_of([&] { fit.encoder.apply(parse_table("flag\nyes\n", "s.csv")); }),
              "s.csv:1: feature column \"age\" is missing from the table (columns: flag)");
    EXPECT_EQ(error_of([&] { fit.encoder.apply(parse_table("age,flag\n3,maybe\n", "s.csv")); }),
              "s.csv:2: column \"flag\": cannot read \"maybe\" as a boolean (true/false, yes/no, "
              "y/n, t/f or 1/0)");
    EXPECT_EQ(error_of([&] { fit.encoder.apply(parse_table("age,flag,y\n3,no,2\n", "s.csv")); }),
              "s.csv:2: column \"y\": label \"2\" is neither class of the training target (\"1\", "
              "\"0\")");
}

TEST(PredictTableMissing, IndicatorsOnlyForColumnsMissingInTraining) {
    const FittedTable fit = fit_text("a,b,y\n1,5,0\nNA,6,1\n3,7,0\n", target("y"));
    EXPECT_EQ(fit.matrix.feature_names, (std::vector<std::string>{"a", "a_missing", "b"}));
    // b was never missing in training: a gap at scoring is imputed (median 6) and counted.
    const EncodedTable scored = fit.encoder.apply(parse_table("a,b\n2,NA\n", "s.csv"));
    EXPECT_EQ(scored.matrix.n_features(), 3u);
    EXPECT_EQ(column_report(scored.report, "b").n_missing, 1u);
    const TableEncoder::Column& b = fit.encoder.columns()[1];
    EXPECT_DOUBLE_EQ(scored.matrix.at(0, 2), (6.0 - b.offset) / b.divisor);
}

// A table with every kind of column and strategy, to check the round trip.
std::string mixed_csv() {
    std::string csv = "customer,age,income,plan,zip,vip,churn\n";
    const char* plans[] = {"basic", "premium", "gold"};
    for (int i = 0; i < 40; ++i) {
        csv += 'C';
        csv += std::to_string(i);
        csv += ',';
        csv += (i % 7 == 3 ? std::string("NA") : std::to_string(20 + (i * 13) % 50)) + ",";
        csv += (i % 5 == 1 ? std::string("") : std::to_string(1000 + (i * 37) % 900) + ".5") + ",";
        csv += (i % 11 == 4 ? std::string("null") : std::string(plans[i % 3])) + ",";
        csv += 'Z';
        csv += std::to_string(10000 + (i * 7919) % 30);  // repeats: all-distinct reads as an id
        csv += ',';
        csv += (i % 9 == 0 ? std::string(" ") : std::string(i % 2 ? "y" : "n")) + ",";
        csv += std::to_string((i * 5) % 3 == 0 ? 1 : 0) + "\n";
    }
    return csv;
}

TEST(PredictTableJson, EncoderRoundTripGivesIdenticalMatrices) {
    const RawTable table = parse_table(mixed_csv(), "mixed.csv");
    TableOptions options = target("churn");
    options.id = "customer";
    options.imputation = Imputation::kKnn;
    options.knn_k = 3;
    options.column_imputation["income"] = Imputation::kForwardFill;
    options.max_onehot = 5;
    options.hash_buckets = 8;
    const FittedTable fit = fit_table(table, options);
    EXPECT_EQ(column_report(fit.report, "zip").encoding, "hashed (XXH3-64 mod 8 + unknown)");
    EXPECT_EQ(column_report(fit.report, "plan").encoding, "one-hot (3 values + unknown)");

    const std::string text = fit.encoder.to_json().dump();
    const TableEncoder back = TableEncoder::from_json(nlohmann::json::parse(text));
    EXPECT_TRUE(back == fit.encoder);
    EXPECT_EQ(back.to_json().dump(), text);

    const EncodedTable again = back.apply(table);
    EXPECT_EQ(again.matrix.feature_names, fit.matrix.feature_names);
    EXPECT_EQ(again.matrix.values, fit.matrix.values);  // bit for bit
    EXPECT_EQ(again.matrix.ids, fit.matrix.ids);
    EXPECT_EQ(again.matrix.labels, fit.matrix.labels);
    for (double v : fit.matrix.values) {
        ASSERT_TRUE(std::isfinite(v));
    }
    EXPECT_EQ(fit.report.to_json()["columns"].size(), 7u);
}

TEST(PredictTableJson, MalformedEncoderIsRefusedWithTheField) {
    const FittedTable fit = fit_text("a,y\n1,0\n2,1\n", target("y"));
    nlohmann::json j = fit.encoder.to_json();
    j["columns"][0].erase("divisor");
    EXPECT_EQ(error_of([&] { TableEncoder::from_json(j); }),
              "table encoder: encoder.columns[0].divisor is missing");
    j = fit.encoder.to_json();
    j["columns"][0]["type"] = "text";
    EXPECT_EQ(error_of([&] { TableEncoder::from_json(j); }),
              "table encoder: encoder.columns[0].type is not valid: unknown column type \"text\" "
              "(expected numeric, boolean or categorical)");
    EXPECT_EQ(error_of([&] { TableEncoder::from_json(nlohmann::json::array()); }),
              "table encoder: not a Sextant table encoder (\"format\" is not "
              "\"sextant.table_encoder\")");
}

TEST(PredictTableRead, FileWithBomSemicolonsAndCrlf) {
    const std::string dir = testing::make_temp_dir("predict_table");
    const std::string path = dir + "/customers.csv";
    testing::write_file(path,
                        "\xEF\xBB\xBF"
                        "id;spend;churn\r\nA;1,5;0\r\nB;\"2\";1\r\n");
    const RawTable table = read_table(path);
    EXPECT_EQ(table.columns, (std::vector<std::string>{"id", "spend", "churn"}));
    EXPECT_EQ(table.lines, (std::vector<std::uint64_t>{2, 3}));
    // "1,5" is not a number here (no decimal commas), so spend is categorical.
    TableOptions options = target("churn");
    options.id = "id";
    const FittedTable fit = fit_table(table, options);
    EXPECT_EQ(column_report(fit.report, "spend").type, ColumnType::kCategorical);
}

TEST(PredictTableSmoke, MovieLensUsersAsACustomerTable) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/users.dat");
    TableReadOptions read;
    read.delimiter = ':';
    read.double_delimiter = true;
    read.column_names = {"user", "gender", "age", "occupation", "zip"};
    const RawTable table = read_table(path, read);
    TableOptions options = target("gender");
    options.id = "user";
    const FittedTable fit = fit_table(table, options);

    // An independent count of the file: genders and the mean age code.
    std::ifstream in(path);
    std::string line;
    std::size_t n = 0;
    std::size_t n_female = 0;
    double age_sum = 0;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        for (std::size_t b = 0, e; b <= line.size(); b = e + 2) {
            e = line.find("::", b);
            e = e == std::string::npos ? line.size() : e;
            f.push_back(line.substr(b, e - b));
        }
        ++n;
        n_female += f[1] == "F" ? 1 : 0;
        age_sum += std::stod(f[2]);
    }
    EXPECT_EQ(n, 6040u);
    EXPECT_EQ(fit.report.n_rows, n);
    EXPECT_EQ(fit.report.positive_label, "F");  // the minority: 1,709 of 6,040
    EXPECT_EQ(fit.report.n_positive, n_female);
    EXPECT_EQ(column_report(fit.report, "age").type, ColumnType::kNumeric);
    EXPECT_NEAR(fit.encoder.columns()[0].offset, age_sum / static_cast<double>(n), 1e-9);
    EXPECT_EQ(column_report(fit.report, "zip").n_categories, 3439u);
    // age, occupation, 32 zip buckets and the unknown one (empty on the training rows)
    EXPECT_EQ(fit.matrix.n_features(), 2u + 33u);
    for (std::size_t r = 0; r < fit.matrix.n_rows(); r += 997) {
        double buckets = 0;
        for (std::size_t b = 2; b < 34; ++b) {
            buckets += fit.matrix.at(r, b);
        }
        EXPECT_EQ(buckets, 1.0);
    }
}

}  // namespace
}  // namespace sextant

namespace sextant {
namespace {

std::string id_like_csv(bool huge) {
    std::string csv = "email,seq,plan,spend,y\n";
    for (int i = 0; i < 30; ++i) {
        csv += "user";
        csv += std::to_string(i);
        csv += "@x.org,";
        csv += std::to_string(100 + i);
        csv += i % 2 ? ",basic," : ",pro,";
        csv += huge && i == 7 ? std::string("1e308") : std::to_string(i % 9);
        csv += i % 3 ? ",no\n" : ",yes\n";
    }
    return csv;
}

TEST(PredictTableGuards, AnIdInDisguiseIsLeftOutAndIgnoredColumnsToo) {
    const RawTable table = parse_table(id_like_csv(false), "ids.csv");
    TableOptions options = target("y");
    FittedTable fit = fit_table(table, options);
    // email differs on every row: left out; seq rises with the rows: kept (with a warning).
    EXPECT_EQ(column_report(fit.report, "email").role, "ignored");
    EXPECT_FALSE(fit.matrix.feature_index("email#0").has_value());
    EXPECT_TRUE(fit.matrix.feature_index("seq").has_value());

    options.ignore = {"seq"};
    fit = fit_table(table, options);
    EXPECT_EQ(column_report(fit.report, "seq").role, "ignored");
    EXPECT_EQ(column_report(fit.report, "seq").reason, "left out as asked");
    EXPECT_FALSE(fit.matrix.feature_index("seq").has_value());
    EXPECT_EQ(fit.matrix.feature_names,
              (std::vector<std::string>{"plan=basic", "plan=pro", "plan=__unknown__", "spend"}));

    options.ignore = {"nope"};
    EXPECT_NE(error_of([&] { fit_table(table, options); }).find("nope"), std::string::npos);
    options.ignore = {"y"};
    EXPECT_NE(error_of([&] { fit_table(table, options); }).find("is the target"),
              std::string::npos);
}

TEST(PredictTableGuards, ValuesTooLargeToScaleAreRefusedNamingTheColumn) {
    const RawTable table = parse_table(id_like_csv(true), "huge.csv");
    EXPECT_EQ(error_of([&] { fit_table(table, target("y")); }),
              "huge.csv:9: column \"spend\": values too large to scale (up to 1e+308 here); "
              "rescale the column or leave it out with --ignore");
}

// One typo in a column of numbers once made it a column of categories, each number a level.
TEST(PredictTableGuards, AStrayWordInANumberColumnIsAnErrorNamingItsLine) {
    std::string csv = "spend,y\n";
    for (int i = 0; i < 300; ++i) {
        csv += i == 5 ? std::string("\"12,50\"") : std::to_string(i % 40);
        csv += i % 3 ? ",no\n" : ",yes\n";
    }
    const RawTable table = parse_table(csv, "typo.csv");
    EXPECT_EQ(error_of([&] { fit_table(table, target("y")); }),
              "typo.csv:7: column \"spend\": \"12,50\" is not a number, unlike 299 of the column's "
              "300 values; correct it, write it as missing (NA), or read the column as categories "
              "with --type spend=categorical");
    // Said to be categories, it is read as categories.
    TableOptions options = target("y");
    options.types["spend"] = ColumnType::kCategorical;
    EXPECT_EQ(column_report(fit_table(table, options).report, "spend").type,
              ColumnType::kCategorical);
}

}  // namespace
}  // namespace sextant
