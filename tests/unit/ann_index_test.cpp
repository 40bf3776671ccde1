#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/recommend/ann_index.h"

namespace sextant {
namespace {

// Six 2-d items at known angles and assorted lengths (normalisation must not care):
//   0: 0 deg, 1: 30 deg, 2: 90 deg, 3: 180 deg, 4: -60 deg, 5: 45 deg.
std::vector<float> angle_items() {
    const float c30 = std::sqrt(3.0f) / 2, s30 = 0.5f;
    return {1, 0, 2 * c30, 2 * s30, 0, 3, -2, 0, 0.5f, -0.5f * std::sqrt(3.0f), 4, 4};
}

const float kCos30 = static_cast<float>(std::sqrt(3.0) / 2);
const float kCos45 = static_cast<float>(std::sqrt(0.5));

// n points around n_clusters Gaussian centres in dim dimensions; centre spread 1, noise `noise`.
std::vector<float> clustered(std::size_t n, std::size_t dim, std::size_t n_clusters, float noise,
                             std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> centres(n_clusters * dim);
    for (float& c : centres) {
        c = normal(rng);
    }
    std::vector<float> out(n * dim);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = i % n_clusters;
        for (std::size_t j = 0; j < dim; ++j) {
            out[i * dim + j] = centres[c * dim + j] + noise * normal(rng);
        }
    }
    return out;
}

std::vector<std::uint32_t> every_nth(std::size_t n, std::size_t step) {
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < n; i += step) {
        out.push_back(static_cast<std::uint32_t>(i));
    }
    return out;
}

void expect_items(const std::vector<SimilarItem>& got, const std::vector<SimilarItem>& expected) {
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t r = 0; r < got.size(); ++r) {
        EXPECT_EQ(got[r].item, expected[r].item) << "rank " << r;
        EXPECT_NEAR(got[r].similarity, expected[r].similarity, 1e-6) << "rank " << r;
    }
}

void expect_same(const std::vector<SimilarItem>& a, const std::vector<SimilarItem>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t r = 0; r < a.size(); ++r) {
        EXPECT_EQ(a[r].item, b[r].item) << "rank " << r;
        EXPECT_EQ(a[r].similarity, b[r].similarity) << "rank " << r;
    }
}

template <typename Fn>
void expect_error(Fn&& fn, ErrorKind kind, const std::string& needle) {
    try {
        fn();
        ADD_FAILURE() << "no error; expected one mentioning " << needle;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(AnnIndex, CosineOrderByHand) {
    const std::vector<float> v = angle_items();
    const AnnIndex index = AnnIndex::build(v, 6, 2);
    EXPECT_EQ(index.n_items(), 6u);
    EXPECT_EQ(index.dim(), 2u);

    // From 0 deg: 30 (cos 30), 45 (cos 45), -60 (cos 60), 90 (0), 180 (-1).
    const std::vector<SimilarItem> from0 = {{1, kCos30}, {5, kCos45}, {4, 0.5f}, {2, 0}, {3, -1}};
    expect_items(index.search(0, 5), from0);
    expect_items(index.exact_search(0, 5), from0);
    expect_items(index.search(0, 2), {{1, kCos30}, {5, kCos45}});
    // k beyond the catalogue gives every other item.
    expect_items(index.search(0, 100), from0);

    // From 90 deg: 45 (cos 45), 30 (cos 60), then 0 and 180 tie at 0 (lower id first), -60
    // (cos 150).
    const std::vector<SimilarItem> from2 = {{5, kCos45}, {1, 0.5f}, {0, 0}, {3, 0}, {4, -kCos30}};
    expect_items(index.search(2, 5), from2);
    expect_items(index.exact_search(2, 5), from2);

    // A query vector is not an item, so the item along it comes first with similarity 1.
    const std::vector<float> east = {5, 0};
    expect_items(index.search_vector(east, 3), {{0, 1}, {1, kCos30}, {5, kCos45}});
    expect_items(index.exact_search_vector(east, 3), {{0, 1}, {1, kCos30}, {5, kCos45}});
    EXPECT_DOUBLE_EQ(recall_at_k(index, 3, every_nth(6, 1)), 1.0);
}

TEST(AnnIndex, ZeroVectorsHaveSimilarityZero) {
    // Items 1 and 3 are zero.
    const std::vector<float> v = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1};
    const AnnIndex index = AnnIndex::build(v, 5, 2);

    // A zero item is as similar (0) to everything: the lowest other ids, as exact search says.
    const std::vector<SimilarItem> from1 = {{0, 0}, {2, 0}, {3, 0}};
    expect_items(index.search(1, 3), from1);
    expect_items(index.exact_search(1, 3), from1);

    // From item 0: item 4 (cos 45), then items 1, 2, 3 all at 0 (no NaN), lower id first.
    const std::vector<SimilarItem> from0 = {{4, kCos45}, {1, 0}, {2, 0}, {3, 0}};
    const std::vector<SimilarItem> got = index.search(0, 4);
    expect_items(got, from0);
    expect_items(index.exact_search(0, 4), from0);
    for (const SimilarItem& s : got) {
        EXPECT_FALSE(std::isnan(s.similarity));
    }

    const std::vector<float> zero = {0, 0};
    expect_items(index.search_vector(zero, 2), {{0, 0}, {1, 0}});
    expect_items(index.exact_search_vector(zero, 2), {{0, 0}, {1, 0}});
}

TEST(AnnIndex, DuplicatesTieAndLowerIdComesFirst) {
    // Items 1, 3 and 4 point the same way (4 is 1 scaled by 2, an exact tie after normalising);
    // 0 and 2 point elsewhere.
    const std::vector<float> v = {1, 0, 0, 1, 2, 3, 0, 0, 1, 1, 2, 3, 2, 4, 6};
    const AnnIndex index = AnnIndex::build(v, 5, 3);

    const std::vector<SimilarItem> from3 = index.search(3, 2);
    ASSERT_EQ(from3.size(), 2u);
    EXPECT_EQ(from3[0].item, 1u);
    EXPECT_EQ(from3[1].item, 4u);
    EXPECT_EQ(from3[0].similarity, from3[1].similarity);
    EXPECT_NEAR(from3[0].similarity, 1.0f, 1e-6);
    expect_same(index.exact_search(3, 2), from3);

    const std::vector<float> same_way = {3, 6, 9};
    const std::vector<SimilarItem> found = index.search_vector(same_way, 3);
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].item, 1u);
    EXPECT_EQ(found[1].item, 3u);
    EXPECT_EQ(found[2].item, 4u);
}

TEST(AnnIndex, ErrorsAreSextantErrors) {
    const std::vector<float> v = angle_items();
    const AnnIndex index = AnnIndex::build(v, 6, 2);
    expect_error([&] { index.search(6, 3); }, ErrorKind::kNotFound, "item 6");
    expect_error([&] { index.exact_search(99, 3); }, ErrorKind::kNotFound, "item 99");
    expect_error([&] { index.search(0, 0); }, ErrorKind::kInvalidInput, "k must");
    const std::vector<float> three = {1, 2, 3};
    expect_error([&] { index.search_vector(three, 3); }, ErrorKind::kInvalidInput, "3 values");
    expect_error([&] { index.exact_search_vector(three, 3); }, ErrorKind::kInvalidInput,
                 "3 values");
    const std::vector<float> nan = {1, std::nanf("")};
    expect_error([&] { index.search_vector(nan, 3); }, ErrorKind::kInvalidInput, "finite");
    const std::vector<std::uint32_t> none;
    expect_error([&] { recall_at_k(index, 3, none); }, ErrorKind::kInvalidInput, "query");

    expect_error([&] { AnnIndex::build(v, 5, 2); }, ErrorKind::kInvalidInput, "12 values");
    expect_error([&] { AnnIndex::build({}, 0, 2); }, ErrorKind::kInvalidInput, "at least one");
    std::vector<float> with_inf = v;
    with_inf[3] = INFINITY;
    expect_error([&] { AnnIndex::build(with_inf, 6, 2); }, ErrorKind::kInvalidInput, "finite");
    AnnIndexOptions bad;
    bad.M = 1;
    expect_error([&] { AnnIndex::build(v, 6, 2, bad); }, ErrorKind::kInvalidInput, "M must");
    bad = {};
    bad.threads = 0;
    expect_error([&] { AnnIndex::build(v, 6, 2, bad); }, ErrorKind::kInvalidInput, "threads");
    bad = {};
    bad.ef_search = 0;
    expect_error([&] { AnnIndex::build(v, 6, 2, bad); }, ErrorKind::kInvalidInput, "ef_search");
}

TEST(AnnIndex, SingleItemHasNoNeighbours) {
    const std::vector<float> v = {1, 2};
    const AnnIndex index = AnnIndex::build(v, 1, 2);
    EXPECT_TRUE(index.search(0, 5).empty());
    const std::vector<std::uint32_t> queries = {0};
    EXPECT_DOUBLE_EQ(recall_at_k(index, 5, queries), 1.0);
    const AnnIndex loaded = AnnIndex::from_bytes(index.to_bytes(), 1, 2, "one.hnsw");
    expect_items(loaded.search_vector(v, 1), {{0, 1}});
}

TEST(AnnIndex, RecallOnClusteredVectors) {
    constexpr std::size_t kN = 5000, kDim = 64;
    const std::vector<float> v = clustered(kN, kDim, 50, 0.5f, 7);
    const auto start = std::chrono::steady_clock::now();
    const AnnIndex index = AnnIndex::build(v, kN, kDim);
    const double build_s = seconds_since(start);

    const std::vector<std::uint32_t> queries = every_nth(kN, 10);
    const auto search_start = std::chrono::steady_clock::now();
    const double recall = recall_at_k(index, 10, queries);
    const double recall_s = seconds_since(search_start);
    std::cout << "[ann] 5000 x 64, 50 clusters: build " << build_s << " s, recall@10 " << recall
              << " over " << queries.size() << " queries (" << recall_s << " s with exact)\n";
    EXPECT_GE(recall, 0.95);

    // The measure tells a weak graph from a good one: two links and one candidate miss most.
    AnnIndexOptions weak;
    weak.M = 2;
    weak.ef_construction = 2;
    weak.ef_search = 1;
    EXPECT_LT(recall_at_k(AnnIndex::build(v, kN, kDim, weak), 10, queries), 0.8);

    // Each ANN answer is a list of real items with their true similarities, best first.
    for (std::uint32_t q : every_nth(kN, 250)) {
        const std::vector<SimilarItem> found = index.search(q, 10);
        ASSERT_EQ(found.size(), 10u);
        for (std::size_t r = 0; r < found.size(); ++r) {
            EXPECT_NE(found[r].item, q);
            if (r > 0) {
                EXPECT_GE(found[r - 1].similarity, found[r].similarity);
            }
        }
    }
}

TEST(AnnIndex, SameSeedSameGraph) {
    const std::vector<float> v = clustered(800, 16, 8, 0.5f, 3);
    const AnnIndex a = AnnIndex::build(v, 800, 16);
    const AnnIndex b = AnnIndex::build(v, 800, 16);
    EXPECT_EQ(a.to_bytes(), b.to_bytes());
}

TEST(AnnIndex, SeveralBuildThreadsKeepRecall) {
    const std::vector<float> v = clustered(3000, 32, 30, 0.5f, 11);
    AnnIndexOptions options;
    options.threads = 2;
    const AnnIndex index = AnnIndex::build(v, 3000, 32, options);
    EXPECT_GE(recall_at_k(index, 10, every_nth(3000, 10)), 0.95);
}

TEST(AnnIndex, ConcurrentSearchesMatchSequentialOnes) {
    const std::vector<float> v = clustered(2000, 32, 20, 0.5f, 5);
    const AnnIndex index = AnnIndex::build(v, 2000, 32);
    std::vector<std::vector<SimilarItem>> expected(2000);
    for (std::uint32_t q = 0; q < 2000; ++q) {
        expected[q] = index.search(q, 10);
    }

    constexpr std::size_t kThreads = 4;
    std::vector<std::size_t> mismatches(kThreads, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (std::uint32_t q = static_cast<std::uint32_t>(t); q < 2000; q += 2) {
                const std::vector<SimilarItem> got = index.search(q, 10);
                bool same = got.size() == expected[q].size();
                for (std::size_t r = 0; same && r < got.size(); ++r) {
                    same = got[r].item == expected[q][r].item &&
                           got[r].similarity == expected[q][r].similarity;
                }
                mismatches[t] += same ? 0 : 1;
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    for (std::size_t t = 0; t < kThreads; ++t) {
        EXPECT_EQ(mismatches[t], 0u) << "thread " << t;
    }
}

TEST(AnnIndex, BytesRoundTripSearchesIdentically) {
    const std::vector<float> v = clustered(1500, 24, 15, 0.5f, 9);
    AnnIndexOptions options;
    options.M = 8;
    const AnnIndex index = AnnIndex::build(v, 1500, 24, options);
    const std::vector<std::uint8_t> bytes = index.to_bytes();
    const AnnIndex loaded = AnnIndex::from_bytes(bytes, 1500, 24, "items.hnsw", options.ef_search);
    EXPECT_EQ(loaded.n_items(), 1500u);
    EXPECT_EQ(loaded.dim(), 24u);
    EXPECT_EQ(loaded.to_bytes(), bytes);
    for (std::uint32_t q = 0; q < 1500; ++q) {
        expect_same(loaded.search(q, 10), index.search(q, 10));
    }
    const std::vector<float> query(v.begin(), v.begin() + 24);
    expect_same(loaded.search_vector(query, 7), index.search_vector(query, 7));
    expect_same(loaded.exact_search(3, 20), index.exact_search(3, 20));
}

TEST(AnnIndex, TruncatedOrAlteredBytesAreErrors) {
    const std::vector<float> v = clustered(300, 8, 6, 0.5f, 13);
    const AnnIndex index = AnnIndex::build(v, 300, 8);
    const std::vector<std::uint8_t> bytes = index.to_bytes();

    // Inside the header (96 bytes), at its end, inside the bottom layer, at the upper layers'
    // start, inside them, and one byte short.
    const std::size_t level0_end = 96 + 300 * (4 + 32 * 4 + 8 * 4 + 8);
    for (std::size_t cut :
         {std::size_t{0}, std::size_t{1}, std::size_t{50}, std::size_t{96}, std::size_t{97},
          bytes.size() / 2, level0_end, level0_end + 2, bytes.size() - 9, bytes.size() - 1}) {
        std::span<const std::uint8_t> prefix(bytes.data(), cut);
        expect_error([&] { AnnIndex::from_bytes(prefix, 300, 8, "model/items.hnsw"); },
                     ErrorKind::kInvalidInput, "model/items.hnsw: ");
    }

    // The wrong shape, a trailing byte, a link to an item that does not exist.
    expect_error([&] { AnnIndex::from_bytes(bytes, 299, 8, "s"); }, ErrorKind::kInvalidInput,
                 "expected 299");
    expect_error([&] { AnnIndex::from_bytes(bytes, 300, 9, "s"); }, ErrorKind::kInvalidInput,
                 "layout");
    std::vector<std::uint8_t> longer = bytes;
    longer.push_back(0);
    expect_error([&] { AnnIndex::from_bytes(longer, 300, 8, "s"); }, ErrorKind::kInvalidInput,
                 "after the end");
    std::vector<std::uint8_t> bad_link = bytes;
    // Record 0's first link (just after its 4-byte count) now names item 0xffffffff.
    std::fill(bad_link.begin() + 96 + 4, bad_link.begin() + 96 + 8, 0xff);
    expect_error([&] { AnnIndex::from_bytes(bad_link, 300, 8, "s"); }, ErrorKind::kInvalidInput,
                 "link");
}

TEST(AnnIndex, RandomByteFlipsNeverCrash) {
    const std::vector<float> v = clustered(200, 8, 4, 0.5f, 17);
    const AnnIndex index = AnnIndex::build(v, 200, 8);
    const std::vector<std::uint8_t> bytes = index.to_bytes();
    std::mt19937 rng(1);
    std::uniform_int_distribution<std::size_t> position(0, bytes.size() - 1);
    std::size_t rejected = 0;
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<std::uint8_t> altered = bytes;
        for (int flip = 0; flip < 3; ++flip) {
            altered[position(rng)] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        }
        try {
            const AnnIndex loaded = AnnIndex::from_bytes(altered, 200, 8, "flipped");
            // What loads must still answer (possibly with other neighbours).
            EXPECT_LE(loaded.search(static_cast<std::uint32_t>(trial % 200), 5).size(), 5u);
        } catch (const Error& e) {
            ++rejected;
            EXPECT_EQ(std::string(e.what()).rfind("flipped: ", 0), 0u) << e.what();
        }
    }
    std::cout << "[ann] random flips: " << rejected << " of 300 rejected\n";
}

// Figures for the report; run with --gtest_also_run_disabled_tests. Times are printed, never
// asserted.
TEST(AnnIndexBench, DISABLED_CatalogueSizes) {
    for (std::size_t n : {std::size_t{3615}, std::size_t{50000}}) {
        const std::vector<float> v = clustered(n, 64, 50, 0.5f, 21);
        auto start = std::chrono::steady_clock::now();
        const AnnIndex index = AnnIndex::build(v, n, 64);
        const double build_s = seconds_since(start);
        const double recall = recall_at_k(index, 10, every_nth(n, n / 500));

        std::vector<double> micros;
        for (std::uint32_t q = 0; q < n; q += static_cast<std::uint32_t>(n / 2000)) {
            start = std::chrono::steady_clock::now();
            const std::vector<SimilarItem> found = index.search(q, 10);
            micros.push_back(seconds_since(start) * 1e6);
            ASSERT_FALSE(found.empty());
        }
        std::sort(micros.begin(), micros.end());
        const double p50 = micros[micros.size() / 2];
        const double p99 = micros[micros.size() * 99 / 100];

        start = std::chrono::steady_clock::now();
        for (std::uint32_t q = 0; q < 200; ++q) {
            index.exact_search(q, 10);
        }
        const double exact_us = seconds_since(start) * 1e6 / 200;
        std::cout << "[ann] " << n << " x 64: build " << build_s << " s, recall@10 " << recall
                  << ", search k=10 p50 " << p50 << " us p99 " << p99 << " us (" << micros.size()
                  << " queries), exact " << exact_us << " us, bytes " << index.to_bytes().size()
                  << "\n";
    }
}

}  // namespace
}  // namespace sextant
