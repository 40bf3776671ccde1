#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cycle_fixture.h"
#include "sextant/core/error.h"
#include "sextant/learn/model_dir.h"
#include "sextant/recommend/bpr.h"
#include "sextant/recommend/ease.h"
#include "sextant/recommend/gru4rec.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/model_io.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/sasrec.h"
#include "test_util.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

class ModelIo : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("sextant_model_io_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

// The message of the sextant::Error that f throws, and its kind; fails the test when none.
template <typename F>
std::pair<ErrorKind, std::string> error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return {e.kind(), e.what()};
    }
    ADD_FAILURE() << "no sextant::Error thrown";
    return {ErrorKind::kInternal, ""};
}

RecommenderInfo info_for(std::size_t n_items) {
    RecommenderInfo info;
    for (std::size_t j = 0; j < n_items; ++j) {
        info.items.push_back("item-" + std::to_string(j));
        info.popularity.push_back(j * 2);
        info.trending.push_back(j % 3);
    }
    info.metrics = {{"hr@10", 0.5}};
    info.data = {{"store", "/nowhere/sextant.db"}};
    return info;
}

// Fitted models of every kind on the cycle task, small and fast.
std::vector<std::unique_ptr<Recommender>> fitted_models(const Split& split) {
    TrainOptions quick;
    quick.max_epochs = 2;
    quick.batch_size = 32;
    std::vector<std::unique_ptr<Recommender>> models;
    models.push_back(std::make_unique<MostPopular>());
    models.push_back(std::make_unique<ItemKnn>(ItemKnnOptions{.neighbours = 10}));
    models.push_back(std::make_unique<Ease>());
    Gru4RecOptions gru;
    gru.embedding_dim = 8;
    gru.hidden_size = 8;
    gru.train = quick;
    models.push_back(std::make_unique<Gru4Rec>(gru));
    SasRecOptions sas;
    sas.max_len = 10;
    sas.hidden = 8;
    sas.n_heads = 2;
    sas.loss = SasRecLoss::kGbce;
    sas.n_negatives = 4;
    sas.train = quick;
    models.push_back(std::make_unique<SasRec>(sas));
    BprOptions bpr;
    bpr.embedding_dim = 8;
    bpr.train = quick;
    models.push_back(std::make_unique<Bpr>(bpr));
    for (auto& m : models) {
        m->fit(split);
    }
    return models;
}

TEST_F(ModelIo, SaveLoadRoundTripGivesIdenticalScoresForEveryKind) {
    Split split = testing::cycle_split(80);
    auto models = fitted_models(split);
    ASSERT_EQ(models.size(), recommender_kinds().size());
    const std::vector<std::vector<std::uint32_t>> histories = {
        {}, {3}, {7, 8, 9, 10}, {49, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
    for (const auto& model : models) {
        SCOPED_TRACE(model->name());
        fs::path dir = dir_ / model->name();
        save_recommender(dir, *model, info_for(split.n_items));
        LoadedRecommender loaded = load_recommender(dir);
        EXPECT_EQ(loaded.kind, model->name());
        EXPECT_EQ(loaded.model->name(), model->name());
        EXPECT_EQ(loaded.model->n_items(), split.n_items);
        // The training options are recorded for people; loading needs only the architecture.
        nlohmann::json saved = model->config(), back = loaded.model->config();
        saved.erase("train");
        back.erase("train");
        EXPECT_EQ(back, saved);
        EXPECT_EQ(loaded.info.items, info_for(split.n_items).items);
        EXPECT_EQ(loaded.info.popularity[5], 10u);
        EXPECT_EQ(loaded.info.trending[5], 2u);
        EXPECT_EQ(loaded.info.metrics["hr@10"], 0.5);
        for (const auto& h : histories) {
            std::vector<float> a(split.n_items), b(split.n_items);
            model->score(h, a);
            loaded.model->score(h, b);
            EXPECT_EQ(a, b) << "history of " << h.size();
        }
        ItemVectors va = model->item_vectors(), vb = loaded.model->item_vectors();
        EXPECT_EQ(va.values, vb.values);
        EXPECT_EQ(vb.n_items, vb.empty() ? 0 : split.n_items);
    }
}

TEST_F(ModelIo, ItemVectorsExistForEmbeddingModelsOnly) {
    Split split = testing::cycle_split(40);
    for (const auto& model : fitted_models(split)) {
        bool has =
            model->name() == "gru4rec" || model->name() == "sasrec" || model->name() == "bpr";
        ItemVectors v = model->item_vectors();
        EXPECT_EQ(!v.empty(), has) << model->name();
        if (has) {
            EXPECT_EQ(v.n_items, split.n_items);
            EXPECT_EQ(v.dim, 8u);
            EXPECT_EQ(v.values.size(), v.n_items * v.dim);
        }
    }
}

TEST_F(ModelIo, WeightsRoundTripKeepsTypesShapesAndValues) {
    Weights w;
    std::vector<float> f = {1.5f, -2.0f, 0.25f, 8.0f, 0.0f, -0.0f};
    std::vector<std::uint32_t> u = {7, 0, 4294967295u};
    std::vector<std::uint64_t> l = {1ull << 40};
    w.add("f", std::span<const float>(f), {2, 3});
    w.add("u", std::span<const std::uint32_t>(u));
    w.add("empty", std::span<const float>(), {0, 4});
    w.add("l", std::span<const std::uint64_t>(l), {1});
    std::vector<std::uint8_t> bytes = w.serialize();
    // 12 magic + 4 version + 4 count, then per array 4 + name + 1 + 1 + 8 x rank + data.
    EXPECT_EQ(bytes.size(), 20u + (4 + 1 + 2 + 16 + 24) + (4 + 1 + 2 + 8 + 12) +
                                (4 + 5 + 2 + 16 + 0) + (4 + 1 + 2 + 8 + 8));
    Weights back = Weights::parse(bytes, "x/weights.bin");
    EXPECT_EQ(back.f32("f", {2, 3}), f);
    EXPECT_EQ(back.u32("u"), u);
    EXPECT_EQ(back.u64("l"), l);
    EXPECT_EQ(back.shape("empty"), (std::vector<std::int64_t>{0, 4}));
    EXPECT_TRUE(back.f32("empty").empty());

    auto [kind, message] = error_of([&] { back.f32("f", {3, 2}); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_NE(message.find("x/weights.bin"), std::string::npos) << message;
    EXPECT_NE(message.find("[2, 3]"), std::string::npos) << message;
    EXPECT_NE(error_of([&] { back.u32("f"); }).second.find("is f32, expected u32"),
              std::string::npos);
    EXPECT_NE(error_of([&] { back.f32("nope"); }).second.find("no array \"nope\""),
              std::string::npos);
}

TEST_F(ModelIo, EveryTruncationOfWeightsIsAClearErrorNotACrash) {
    Weights w;
    std::vector<float> f = {1, 2, 3, 4};
    w.add("table", std::span<const float>(f), {2, 2});
    w.add("b", std::span<const float>(f));
    std::vector<std::uint8_t> bytes = w.serialize();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        std::vector<std::uint8_t> cut(bytes.begin(),
                                      bytes.begin() + static_cast<std::ptrdiff_t>(n));
        auto [kind, message] = error_of([&] { Weights::parse(cut, "m/weights.bin"); });
        EXPECT_EQ(kind, ErrorKind::kInvalidInput) << n;
        EXPECT_EQ(message.rfind("m/weights.bin: ", 0), 0u) << message;
    }
    bytes.push_back(0);
    EXPECT_NE(error_of([&] { Weights::parse(bytes, "m"); }).second.find("after the last array"),
              std::string::npos);
}

TEST_F(ModelIo, TruncatedWeightsFileIsNamed) {
    Split split = testing::cycle_split(40);
    MostPopular model;
    model.fit(split);
    fs::path dir = dir_ / "popular";
    save_recommender(dir, model, info_for(split.n_items));
    auto bytes = read_bytes(dir / "weights.bin");
    bytes.resize(bytes.size() - 9);
    write_bytes(dir / "weights.bin", bytes);
    auto [kind, message] = error_of([&] { load_recommender(dir); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_NE(message.find((dir / "weights.bin").string()), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST_F(ModelIo, EditedWeightsByteFailsTheChecksum) {
    Split split = testing::cycle_split(40);
    MostPopular model;
    model.fit(split);
    fs::path dir = dir_ / "popular";
    save_recommender(dir, model, info_for(split.n_items));
    auto bytes = read_bytes(dir / "weights.bin");
    bytes[bytes.size() / 2] ^= 0x01;
    write_bytes(dir / "weights.bin", bytes);
    auto [kind, message] = error_of([&] { load_recommender(dir); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(message, (dir / "weights.bin").string() +
                           ": checksum differs from meta.json (edited or damaged)");
}

TEST_F(ModelIo, EditedOrTruncatedMetaIsNamed) {
    Split split = testing::cycle_split(40);
    MostPopular model;
    model.fit(split);
    fs::path dir = dir_ / "popular";
    save_recommender(dir, model, info_for(split.n_items));
    fs::path meta = dir / "meta.json";
    auto original = read_bytes(meta);

    // A valid JSON edit: one item renamed.
    std::string text(original.begin(), original.end());
    auto at = text.find("\"item-3\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 8, "\"item-X\"");
    write_bytes(meta, {text.begin(), text.end()});
    auto [kind, message] = error_of([&] { load_recommender(dir); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(message, meta.string() + ": edited after it was written (its checksum differs)");

    // Truncated: no longer JSON.
    std::vector<std::uint8_t> cut(original.begin(), original.begin() + 40);
    write_bytes(meta, cut);
    message = error_of([&] { load_recommender(dir); }).second;
    EXPECT_EQ(message, meta.string() + ": not valid JSON (truncated or edited?)");

    fs::remove(meta);
    auto missing = error_of([&] { load_recommender(dir); });
    EXPECT_EQ(missing.first, ErrorKind::kNotFound);
    EXPECT_NE(missing.second.find(meta.string()), std::string::npos);
}

// A directory or FIFO in place of a model file gave "internal error" or hung.
TEST_F(ModelIo, ModelFileThatIsNotARegularFileIsNamed) {
    Split split = testing::cycle_split(40);
    MostPopular model;
    model.fit(split);
    fs::path dir = dir_ / "popular";
    save_recommender(dir, model, info_for(split.n_items));
    fs::remove(dir / "weights.bin");
    fs::create_directory(dir / "weights.bin");
    auto [kind, message] = error_of([&] { load_recommender(dir); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(message, (dir / "weights.bin").string() + ": not a regular file");

    fs::remove(dir / "meta.json");
    ASSERT_EQ(::mkfifo((dir / "meta.json").c_str(), 0600), 0);
    message = error_of([&] { load_recommender(dir); }).second;
    EXPECT_EQ(message, (dir / "meta.json").string() + ": not a regular file");

    std::ofstream(dir_ / "plain.txt") << "x";
    auto plain = error_of([&] { load_recommender(dir_ / "plain.txt"); });
    EXPECT_EQ(plain.first, ErrorKind::kInvalidInput);
    EXPECT_NE(plain.second.find("not a directory"), std::string::npos) << plain.second;
}

TEST_F(ModelIo, MissingDirectoryIsNotFound) {
    auto [kind, message] = error_of([&] { load_recommender(dir_ / "absent"); });
    EXPECT_EQ(kind, ErrorKind::kNotFound);
    EXPECT_NE(message.find("absent"), std::string::npos);
}

TEST_F(ModelIo, SavingOverAModelReplacesItWhole) {
    Split split = testing::cycle_split(40);
    MostPopular popular;
    popular.fit(split);
    ItemKnn knn;
    knn.fit(split);
    fs::path dir = dir_ / "best";
    save_recommender(dir, popular, info_for(split.n_items));
    save_recommender(dir, knn, info_for(split.n_items));
    EXPECT_EQ(load_recommender(dir).kind, "item_knn");
    // Nothing is left beside it: no temporary or old directory.
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
        names.push_back(e.path().filename().string());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"best"}));
}

// A mistyped --out once replaced a user's own file or folder with the model.
TEST_F(ModelIo, SavingOverAFileOrAFolderOfOtherFilesIsRefusedAndLeavesThemAlone) {
    Split split = testing::cycle_split(40);
    MostPopular popular;
    popular.fit(split);
    RecommenderInfo info = info_for(split.n_items);

    fs::path file = dir_ / "customers.csv";
    std::ofstream(file) << "precious\n";
    auto [kind, message] = error_of([&] { save_recommender(file, popular, info); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_NE(message.find("customers.csv: is a file, not a model directory"), std::string::npos)
        << message;
    EXPECT_EQ(testing::read_file(file.string()), "precious\n");

    fs::path folder = dir_ / "documents";
    fs::create_directories(folder / "sub");
    std::ofstream(folder / "sub" / "a.txt") << "a";
    auto [kind2, message2] = error_of([&] { save_recommender(folder, popular, info); });
    EXPECT_EQ(kind2, ErrorKind::kInvalidInput);
    EXPECT_NE(message2.find("holds other files"), std::string::npos) << message2;
    EXPECT_EQ(testing::read_file((folder / "sub" / "a.txt").string()), "a");
    EXPECT_FALSE(fs::exists(folder / "meta.json"));

    // An empty folder is fine to fill.
    fs::path empty = dir_ / "empty";
    fs::create_directories(empty);
    save_recommender(empty, popular, info);
    EXPECT_EQ(load_recommender(empty).kind, "popular");
}

TEST_F(ModelIo, ConfigFieldsAreCheckedByName) {
    auto [kind, message] = error_of([] {
        make_recommender("sasrec", nlohmann::json{{"max_len", 50}}, "m/meta.json config");
    });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(message, "m/meta.json config: field \"hidden\" is missing");

    SasRec fitted;
    nlohmann::json config = fitted.config();
    config["n_heads"] = 3;  // 64 is not a multiple of 3
    message = error_of([&] { make_recommender("sasrec", config, "m config"); }).second;
    EXPECT_EQ(message.rfind("m config: sasrec: hidden (64) must be a multiple", 0), 0u) << message;

    config["n_heads"] = "two";
    message = error_of([&] { make_recommender("sasrec", config, "m config"); }).second;
    EXPECT_EQ(message, "m config: field \"n_heads\": expected a non-negative integer");

    message = error_of([] { make_recommender("lstm", nlohmann::json::object(), "m"); }).second;
    EXPECT_EQ(message, "m: unknown model kind \"lstm\"");
}

// A churn model given to `recommend` once said only: field "n_items" is missing.
TEST_F(ModelIo, APredictionModelIsNamedForWhatItIs) {
    ModelFiles files;
    files.meta = {{"kind", "gbdt"}};
    save_model_dir(dir_ / "churn", files);
    auto [kind, message] = error_of([&] { load_recommender(dir_ / "churn"); });
    EXPECT_EQ(kind, ErrorKind::kInvalidInput);
    EXPECT_NE(message.find("churn holds a \"gbdt\" model, not a recommender"), std::string::npos)
        << message;
    EXPECT_NE(message.find("sextant predict score"), std::string::npos) << message;
}

TEST_F(ModelIo, CountsPopularityAndTrendingWindow) {
    // Item a: 3 events, the last two within 7 days of the end; item b: 1 event at the end.
    std::vector<Event> events;
    auto add = [&](const char* user, const char* item, Seconds t) {
        Event e;
        e.user = user;
        e.item = item;
        e.name = "view";
        e.time = t;
        events.push_back(e);
    };
    const Seconds day = kSecondsPerDay;
    add("u1", "a", 0);
    add("u1", "a", 30 * day);
    add("u2", "a", 25 * day);
    add("u2", "b", 31 * day);
    add("u3", "", 10 * day);  // no item: counted nowhere
    EventTable table = EventTable::from_events(events);
    RecommenderInfo info;
    count_popularity(table, 7, info);
    std::uint32_t a = *table.items.find("a"), b = *table.items.find("b");
    EXPECT_EQ(info.popularity[a], 3u);
    EXPECT_EQ(info.popularity[b], 1u);
    // The window is (31 - 7, 31] days: day 25 and 30 count, day 0 does not.
    EXPECT_EQ(info.trending[a], 2u);
    EXPECT_EQ(info.trending[b], 1u);
}

}  // namespace
}  // namespace sextant
