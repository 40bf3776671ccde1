// The sextant command as a new user runs it: real binary, real files, real store, real browser.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "browser_check.h"
#include "sextant/learn/tensorboard.h"
#include "sextant/store/event_store.h"
#include "test_util.h"

namespace sextant {
namespace {

using nlohmann::json;
using testing::make_temp_dir;
using testing::read_file;
using testing::run_command;
using testing::write_file;

std::string sextant() {
    return testing::sextant_binary();
}

struct CommandResult {
    int rc = -1;
    std::string output;
};

CommandResult run(const std::string& args) {
    CommandResult r;
    r.rc = run_command(sextant() + " " + args, &r.output);
    return r;
}

std::size_t count_lines(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) {
        n += c == '\n' ? 1 : 0;
    }
    return n + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// A user-facing error is one line: no stack trace, no abort message.
void expect_one_clear_line(const CommandResult& r, const std::string& needle) {
    EXPECT_NE(r.rc, 0);
    EXPECT_LT(r.rc, 64) << "exit code of a user error, not a crash: " << r.output;
    EXPECT_EQ(count_lines(r.output), 1u) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
}

void expect_report_draws(const std::string& page) {
    if (!std::filesystem::exists(testing::kChromium)) {
        std::cout << "[  SKIP    ] " << testing::kChromium << " not found; report not opened\n";
        return;
    }
    testing::PageCheck check = testing::check_page_in_browser(page);
    EXPECT_EQ(check.status, "ok") << check.log;
    EXPECT_GT(check.n_canvases, 0);
    EXPECT_EQ(check.charts_drawn, check.n_canvases) << check.log;
}

// The items of MovieLens user `user` in the ratings file, read independently of Sextant.
std::set<std::string> movielens_items_of(const std::string& ratings, const std::string& user) {
    std::set<std::string> items;
    std::ifstream in(ratings);
    std::string line;
    std::string prefix = user + "::";
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            items.insert(
                line.substr(prefix.size(), line.find("::", prefix.size()) - prefix.size()));
        }
    }
    return items;
}

// `sextant recommend` and `sextant similar` on the models a run saved.
void expect_recommend_serves(const std::string& out, const std::string& ratings) {
    std::set<std::string> owned = movielens_items_of(ratings, "1");
    ASSERT_EQ(owned.size(), 53u);  // user 1 rated 53 movies
    CommandResult r = run("recommend --model " + out + "/models/best --user 1 -k 10 --json");
    ASSERT_EQ(r.rc, 0) << r.output;
    json j = json::parse(r.output);
    EXPECT_EQ(j["source"], "model");
    EXPECT_EQ(j["history_events"], 53);
    ASSERT_EQ(j["items"].size(), 10u);
    // A reason is an item the user had; a sequence model's score can also rest on no single
    // item (every removal raises it), which the reason then says.
    std::size_t with_item = 0;
    for (const json& item : j["items"]) {
        std::string id = item["item"];
        EXPECT_EQ(owned.count(id), 0u) << id << " is already the user's";
        if (!item.contains("because")) {
            EXPECT_EQ(item["reason"], "fits your history as a whole") << item.dump();
            continue;
        }
        ++with_item;
        EXPECT_EQ(owned.count(item["because"].get<std::string>()), 1u) << item.dump();
        EXPECT_EQ(item["reason"], "because you had " + item["because"].get<std::string>());
    }
    EXPECT_GE(with_item, 5u) << r.output;

    CommandResult stranger = run("recommend --model " + out + "/models/best --user nobody --json");
    ASSERT_EQ(stranger.rc, 0) << stranger.output;
    json fallback = json::parse(stranger.output);
    EXPECT_TRUE(fallback["source"] == "trending" || fallback["source"] == "popular");
    EXPECT_EQ(fallback["items"].size(), 10u);

    for (const char* model : {"sasrec", "gru4rec", "bpr", "item_knn", "ease"}) {
        // 2858 is American Beauty, the most rated movie of the file.
        CommandResult sim =
            run(std::string("similar --model ") + out + "/models/" + model + " --item 2858 --json");
        ASSERT_EQ(sim.rc, 0) << model << ": " << sim.output;
        json similar = json::parse(sim.output);
        EXPECT_EQ(similar["items"].size(), 10u) << model;
        for (const json& item : similar["items"]) {
            EXPECT_NE(item["item"], "2858") << model;
        }
    }
    expect_one_clear_line(run("similar --model " + out + "/models/sasrec --item 999999"),
                          "item \"999999\" not found");

    // A truncated copy of a model is refused with the file named.
    std::string broken = out + "/broken-model";
    std::filesystem::copy(out + "/models/sasrec", broken);
    std::filesystem::resize_file(broken + "/weights.bin",
                                 std::filesystem::file_size(broken + "/weights.bin") / 2);
    expect_one_clear_line(run("recommend --model " + broken + " --user 1"),
                          broken + "/weights.bin");
}

TEST(Cli, MovieLensEndToEnd) {
    SEXTANT_REQUIRE_DATA(ratings, "movielens-1m/ratings_users1-2999.dat");
    std::string out = make_temp_dir("cli-ml");
    CommandResult r = run("run " + ratings + " --out " + out + " --budget 120");
    ASSERT_EQ(r.rc, 0) << r.output;
    EXPECT_NE(r.output.find("report: " + out + "/report.html"), std::string::npos) << r.output;

    json s = json::parse(read_file(out + "/summary.json"));
    // SOURCE.md: 487,650 ratings of users 1-2999 over 3,615 movies, at least 20 per user.
    EXPECT_EQ(s["events"], 487650);
    EXPECT_EQ(s["users"], 2999);
    EXPECT_EQ(s["items"], 3615);
    EXPECT_EQ(s["rows_skipped"], 0);
    EXPECT_EQ(s["events_per_user"]["min"], 20);
    EXPECT_EQ(s["time_range"]["first"].get<std::string>().substr(0, 10), "2000-10-04");
    EXPECT_EQ(s["time_range"]["last"].get<std::string>().substr(0, 10), "2003-02-27");
    EXPECT_EQ(s["event_names"][0]["name"], "rating");
    EXPECT_FALSE(s["synthetic"].get<bool>());

    const json& rec = s["recommend"];
    EXPECT_EQ(rec["users_evaluated"], 2999);
    EXPECT_FALSE(rec["protocol"].get<std::string>().empty());
    double popular = rec["models"]["popular"]["hr@10"];
    double knn = rec["models"]["item_knn"]["hr@10"];
    double gru = rec["models"]["gru4rec"]["hr@10"];
    std::cout << "[ figures  ] MovieLens HR@10: popular " << popular << ", item_knn " << knn
              << ", gru4rec " << gru << "\n";
    EXPECT_GT(knn, popular);
    EXPECT_GT(gru, popular);
    EXPECT_FALSE(rec["models"]["gru4rec"]["learning_curve"].empty());
    expect_report_draws(out + "/report.html");
    expect_recommend_serves(out, ratings);

    // A second run on the same store ingests nothing and reads the cached table.
    CommandResult again = run("run " + ratings + " --out " + out + " --budget 5 -v");
    ASSERT_EQ(again.rc, 0) << again.output;
    EXPECT_NE(again.output.find("already ingested"), std::string::npos) << again.output;
    EXPECT_NE(again.output.find("read from cache"), std::string::npos) << again.output;
    json s2 = json::parse(read_file(out + "/summary.json"));
    EXPECT_EQ(s2["events"], 487650);
    std::filesystem::remove_all(out);
}

TEST(Cli, OnlineRetailIsRefusedWithoutSkipThenIngestedWithIt) {
    SEXTANT_REQUIRE_DATA(retail, "online-retail/online_retail.csv");
    std::string out = make_temp_dir("cli-retail");
    std::string map =
        " --map user=CustomerID,item=StockCode,time=InvoiceDate,value=Quantity*UnitPrice";

    CommandResult refused = run("run " + retail + map + " --out " + out);
    EXPECT_EQ(refused.rc, 2) << refused.output;
    // The first row without a customer is on line 624 of the file.
    EXPECT_NE(refused.output.find("online_retail.csv:624: column \"CustomerID\""),
              std::string::npos)
        << refused.output.substr(0, 2000);
    EXPECT_NE(refused.output.find("--on-bad-row=skip"), std::string::npos);
    EXPECT_LT(count_lines(refused.output), 12u) << refused.output;
    EXPECT_FALSE(std::filesystem::exists(out + "/summary.json"));
    // A refused first file stores nothing and leaves no empty store behind.
    EXPECT_FALSE(std::filesystem::exists(out + "/sextant.db"));

    CommandResult r =
        run("run " + retail + map + " --on-bad-row=skip --out " + out + " --budget 90");
    ASSERT_EQ(r.rc, 0) << r.output;
    json s = json::parse(read_file(out + "/summary.json"));
    // SOURCE.md: 541,909 rows, 135,080 without CustomerID, 4,372 customers, 5,268 duplicates.
    EXPECT_EQ(s["inputs"][0]["rows"], 541909);
    EXPECT_EQ(s["rows_skipped"], 135080);
    EXPECT_EQ(s["skip_reasons"]["missing user"], 135080);
    EXPECT_EQ(s["events"], 541909 - 135080);
    EXPECT_EQ(s["users"], 4372);
    EXPECT_EQ(s["exact_duplicates"], 5268);
    double popular = s["recommend"]["models"]["popular"]["hr@10"];
    double knn = s["recommend"]["models"]["item_knn"]["hr@10"];
    double gru = s["recommend"]["models"]["gru4rec"]["hr@10"];
    std::cout << "[ figures  ] Online Retail HR@10: popular " << popular << ", item_knn " << knn
              << ", gru4rec " << gru << "\n";
    EXPECT_GT(knn, popular);
    EXPECT_GT(gru, popular);
    std::string page = read_file(out + "/report.html");
    EXPECT_NE(page.find("135,080"), std::string::npos);
    expect_report_draws(out + "/report.html");
    std::filesystem::remove_all(out);
}

TEST(Cli, SyntheticLogIsLabelledSynthetic) {
    std::string dir = make_temp_dir("cli-sim");
    CommandResult sim = run("simulate --out " + dir + "/events.csv --users 300 --days 60 --seed 7");
    ASSERT_EQ(sim.rc, 0) << sim.output;
    CommandResult r = run("run " + dir + "/events.csv --out " + dir + "/out --budget 10 -q");
    ASSERT_EQ(r.rc, 0) << r.output;
    json s = json::parse(read_file(dir + "/out/summary.json"));
    EXPECT_TRUE(s["synthetic"].get<bool>());
    EXPECT_NE(read_file(dir + "/out/report.html").find("ynthetic"), std::string::npos);

    // The learning curve is also in a TensorBoard event file, every record's CRCs intact.
    std::string runs = dir + "/out/runs/gru4rec";
    ASSERT_TRUE(std::filesystem::is_directory(runs));
    auto file = std::filesystem::directory_iterator(runs)->path().string();
    EXPECT_NE(file.find("events.out.tfevents."), std::string::npos);
    TensorBoardFile tb = read_tensorboard_scalars(file);
    const json& curve = s["recommend"]["models"]["gru4rec"]["learning_curve"];
    ASSERT_FALSE(curve.empty());
    ASSERT_EQ(tb.scalars.size(), 4 * curve.size());
    EXPECT_EQ(tb.scalars[1].tag, "valid_ndcg@10");
    EXPECT_EQ(tb.scalars[1].step, 1);
    EXPECT_FLOAT_EQ(tb.scalars[1].value, curve[0]["valid_ndcg@10"].get<float>());
    std::filesystem::remove_all(dir);
}

TEST(Cli, BadInputGetsOneClearLine) {
    std::string dir = make_temp_dir("cli-bad");
    expect_one_clear_line(run("run " + dir + "/nope.csv --out " + dir + "/o"),
                          "cannot open \"" + dir + "/nope.csv\"");

    write_file(dir + "/empty.csv", "");
    expect_one_clear_line(run("ingest " + dir + "/empty.csv --store " + dir + "/s.db"), "empty");

    write_file(dir + "/a.csv", "who,what,when\nu1,x,2024-01-01\n");
    expect_one_clear_line(
        run("ingest " + dir + "/a.csv --store " + dir + "/s.db --map user=who,item=nope,time=when"),
        "nope");

    expect_one_clear_line(
        run("ingest " + dir + "/a.csv --store " + dir + "/s.db --encoding klingon"), "klingon");
    expect_one_clear_line(run("ingest " + dir + "/a.csv --store " + dir + "/s.db --tz Mars/Base"),
                          "Mars/Base");

    write_file(dir + "/latin.csv", "user,item,time\nu1,Mis\xe9rables,2024-01-01\n");
    CommandResult bad_utf8 = run("ingest " + dir + "/latin.csv --store " + dir + "/s.db");
    EXPECT_EQ(bad_utf8.rc, 2) << bad_utf8.output;
    EXPECT_NE(bad_utf8.output.find("latin.csv:2: "), std::string::npos) << bad_utf8.output;
    EXPECT_NE(bad_utf8.output.find("--encoding"), std::string::npos) << bad_utf8.output;
    CommandResult latin =
        run("ingest " + dir + "/latin.csv --store " + dir + "/s.db --encoding latin1");
    EXPECT_EQ(latin.rc, 0) << latin.output;

    write_file(dir + "/junk.db", std::string(5000, 'j'));
    expect_one_clear_line(run("analyze --store " + dir + "/junk.db --out " + dir + "/o"),
                          "junk.db");
    expect_one_clear_line(run("analyze --store " + dir + "/none.db"), "none.db");
    std::filesystem::remove_all(dir);
}

// A negative --budget was refused only after the ingest had written the store.
TEST(Cli, NegativeBudgetIsRefusedBeforeAnythingIsStored) {
    std::string dir = make_temp_dir("cli-budget");
    write_file(dir + "/a.csv", "user,item,time\nu1,x,2024-01-01\nu1,y,2024-01-02\n");
    expect_one_clear_line(run("run " + dir + "/a.csv --budget -5 --out " + dir + "/o"), "--budget");
    EXPECT_FALSE(std::filesystem::exists(dir + "/o/sextant.db"));
    // Argument errors are one line too, with the same exit status as other input errors.
    CommandResult parse = run("run " + dir + "/a.csv --budget abc");
    expect_one_clear_line(parse, "--budget");
    EXPECT_EQ(parse.rc, 2);
    std::filesystem::remove_all(dir);
}

// A log too small for the sequence models once ended the whole run at GRU4Rec's refusal, with
// no report; and a refused first file left an empty store behind.
TEST(Cli, TinyLogSkipsWhatItCannotTrainAndStillReports) {
    std::string dir = make_temp_dir("cli-tiny");
    write_file(dir + "/tiny.csv",
               "user_id,item_id,timestamp\nu1,a,2024-01-01\nu1,b,2024-01-02\nu1,c,2024-01-03\n"
               "u2,a,2024-01-01\nu2,b,2024-01-02\nu2,c,2024-01-05\n");
    CommandResult r = run("run " + dir + "/tiny.csv --budget 10 --out " + dir + "/o");
    ASSERT_EQ(r.rc, 0) << r.output;
    json s = json::parse(read_file(dir + "/o/summary.json"));
    for (const char* name : {"gru4rec", "sasrec", "bpr"}) {
        EXPECT_NE(s["recommend"]["skipped"][name].get<std::string>().find("no user has 2 or more"),
                  std::string::npos)
            << name;
        EXPECT_FALSE(s["recommend"]["models"].contains(name)) << name;
    }
    EXPECT_TRUE(s["recommend"]["models"].contains("ease"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/o/report.html"));

    write_file(dir + "/bad.csv", "user_id,item_id,timestamp\nu1,a,yesterday\n");
    CommandResult refused = run("run " + dir + "/bad.csv --out " + dir + "/b");
    EXPECT_EQ(refused.rc, 2) << refused.output;
    EXPECT_NE(refused.output.find("bad.csv:2: column \"timestamp\""), std::string::npos)
        << refused.output;
    EXPECT_FALSE(std::filesystem::exists(dir + "/b/sextant.db"));
    std::filesystem::create_directories(dir + "/folder");
    expect_one_clear_line(run("ingest " + dir + "/folder --store " + dir + "/y.db"), "is a folder");
    EXPECT_FALSE(std::filesystem::exists(dir + "/y.db"));
    std::filesystem::remove_all(dir);
}

// A copy of an ingested file was reported as "already ingested" under the copy's own name.
TEST(Cli, SameContentUnderAnotherNameNamesTheFirstFile) {
    std::string dir = make_temp_dir("cli-copy");
    std::string text = "user,item,time\nu1,x,2024-01-01\nu1,y,2024-01-02\nu1,z,2024-01-03\n";
    write_file(dir + "/first.csv", text);
    write_file(dir + "/copy.csv", text);
    ASSERT_EQ(run("ingest " + dir + "/first.csv --store " + dir + "/s.db").rc, 0);
    CommandResult again = run("ingest " + dir + "/copy.csv --store " + dir + "/s.db");
    EXPECT_EQ(again.rc, 0);
    EXPECT_NE(again.output.find("same content as \"" + dir + "/first.csv\""), std::string::npos)
        << again.output;
    EXPECT_NE(again.output.find("already holds 3 events"), std::string::npos) << again.output;

    // --budget 0 skips the deep model and says so in the summary.
    CommandResult r = run("analyze --store " + dir + "/s.db --out " + dir + "/o --budget 0");
    ASSERT_EQ(r.rc, 0) << r.output;
    json s = json::parse(read_file(dir + "/o/summary.json"));
    EXPECT_FALSE(s["recommend"]["models"].contains("gru4rec"));
    EXPECT_TRUE(s["recommend"]["models"].contains("ease"));
    EXPECT_TRUE(s["recommend"]["skipped"].contains("gru4rec"));
    std::filesystem::remove_all(dir);
}

// Ctrl-C ended a run without a word.
TEST(Cli, InterruptedRunSaysHowToGoOn) {
    std::string dir = make_temp_dir("cli-int");
    ASSERT_EQ(run("simulate --out " + dir + "/events.csv --users 300 --days 60 -q").rc, 0);
    std::string output;
    int rc = run_command("timeout --preserve-status -s INT 4 " + sextant() + " run " + dir +
                             "/events.csv --out " + dir + "/out --budget 60 -q",
                         &output);
    EXPECT_EQ(rc, 130) << output;
    EXPECT_NE(output.find("sextant: interrupted;"), std::string::npos) << output;
    EXPECT_NE(output.find("--resume"), std::string::npos) << output;
    std::filesystem::remove_all(dir);
}

TEST(Cli, KilledIngestLeavesTheStoreAsItWas) {
    SEXTANT_REQUIRE_DATA(retail, "online-retail/online_retail.csv");
    std::string dir = make_temp_dir("cli-kill");
    std::string store = dir + "/s.db";
    write_file(dir + "/first.csv", "user,item,time\nu1,x,2024-01-01\nu2,y,2024-01-02\n");
    ASSERT_EQ(run("ingest " + dir + "/first.csv --store " + store + " -q").rc, 0);

    // Kill the process half-way through a 48 MB ingest, several times at different moments.
    for (const char* after : {"0.3", "0.7", "1.2"}) {
        std::string cmd = "timeout -s KILL " + std::string(after) + " " + sextant() + " ingest " +
                          retail + " --on-bad-row=skip -q --store " + store;
        run_command(cmd, nullptr);
        EventStore s(store);
        std::uint64_t n = s.n_events();
        EXPECT_TRUE(n == 2 || n == 2 + 406829) << "half an ingest was stored: " << n;
        if (n != 2) {
            break;  // the ingest finished before the kill; nothing more to learn
        }
        EXPECT_EQ(s.ingests().size(), 1u);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sextant
