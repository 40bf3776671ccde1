// Similar items through an approximate nearest-neighbour index (HNSW, by hnswlib).
//
// An AnnIndex holds n_items vectors of dim floats and answers "the k items most like this one"
// by cosine similarity. Rows are normalised copies of the input (a zero row stays zero and has
// similarity 0 to everything), searched through a hierarchical navigable small-world graph with
// inner-product distance. The answer is approximate: exact_search() is the brute-force reference
// over the same vectors, and recall_at_k() measures how much of it the graph finds.
//
// Similarities in results are always recomputed from the stored vectors by one dot product, so
// an item has the same similarity in search() and exact_search(). Results are sorted by
// similarity, highest first; among exactly equal similarities the lower item id comes first.
// When tied items straddle the k-th place, which of them the graph returns is up to the graph.
//
// Memory: the graph (about (2M + 1) * 4 + dim * 4 + 8 bytes an item, plus upper layers) and one
// more copy of the normalised vectors for exact search, so roughly 2 * dim * 4 + 8 * M bytes an
// item; fine for catalogues of a few million items.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sextant {

struct AnnIndexOptions {
    std::size_t M = 16;                 // graph links kept per item and layer (2M on the bottom
                                        // layer); in [2, 10000]; more: higher recall, more
                                        // memory and a slower build
    std::size_t ef_construction = 200;  // candidates considered while linking an item; at least 1
    std::size_t ef_search = 100;        // candidates considered per search (at least k are);
                                        // at least 1; higher: higher recall, slower searches
    std::uint64_t seed = 42;            // seeds the random layer of each item
    std::size_t threads = 1;            // threads inserting items; at least 1. With 1 the graph is
                                        // a function of the vectors, options and seed; with more
                                        // it depends on thread timing (hnswlib 0.6.2 also draws
                                        // layers from one unlocked generator then, a data race
                                        // ThreadSanitizer reports; the graph stays valid)
};

struct SimilarItem {
    std::uint32_t item = 0;
    float similarity = 0;  // cosine similarity in [-1, 1]
};

class AnnIndex {
public:
    // Builds an index over `vectors`: n_items rows of dim floats, row-major. Throws sextant::Error
    // (kInvalidInput) when n_items or dim is 0, n_items exceeds 2^32 - 1, vectors.size() is not
    // n_items * dim, a value is not finite, or an option is out of its range; kInternal when
    // hnswlib fails (e.g. out of memory). Time is about n_items * ef_construction * log(n_items)
    // distance computations.
    static AnnIndex build(std::span<const float> vectors, std::size_t n_items, std::size_t dim,
                          const AnnIndexOptions& options = {});

    // Reads an index that to_bytes() wrote. The caller supplies the shape it expects (from the
    // model's metadata); `ef_search` is not part of the bytes. Every field, link and vector is
    // checked, so a truncated or altered byte string throws sextant::Error (kInvalidInput) whose
    // message starts with `source`, never crashes. A loaded index searches exactly like the one
    // that was saved.
    static AnnIndex from_bytes(std::span<const std::uint8_t> bytes, std::size_t n_items,
                               std::size_t dim, const std::string& source,
                               std::size_t ef_search = AnnIndexOptions{}.ef_search);

    AnnIndex(AnnIndex&&) noexcept;
    AnnIndex& operator=(AnnIndex&&) noexcept;
    ~AnnIndex();

    std::size_t n_items() const;
    std::size_t dim() const;

    // The min(k, n_items - 1) items most similar to `item`, the item itself excluded. Throws
    // sextant::Error: kNotFound (naming the id) for an item outside [0, n_items), kInvalidInput
    // when k is 0. A zero item gets the lowest other ids, all with similarity 0 (as exact search
    // does). Thread-safe: any number of searches may run at once.
    std::vector<SimilarItem> search(std::uint32_t item, std::size_t k) const;

    // The min(k, n_items) items most similar to `vector` (dim floats, normalised here). Throws
    // kInvalidInput when k is 0, the size is not dim or a value is not finite. Thread-safe.
    std::vector<SimilarItem> search_vector(std::span<const float> vector, std::size_t k) const;

    // The same questions answered by comparing with every item: the reference for search().
    // Same contracts and errors; time is n_items * dim per query. Thread-safe.
    std::vector<SimilarItem> exact_search(std::uint32_t item, std::size_t k) const;
    std::vector<SimilarItem> exact_search_vector(std::span<const float> vector,
                                                 std::size_t k) const;

    // The graph in hnswlib 0.6.2's saveIndex() layout (so hnswlib's own tools can read the file),
    // built in memory. Deterministic: equal indexes give equal bytes.
    std::vector<std::uint8_t> to_bytes() const;

private:
    struct Impl;
    explicit AnnIndex(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

// The mean over `queries` of the fraction of exact_search(q, k) that search(q, k) returns. A
// returned item counts when its similarity reaches the k-th exact similarity, so an item tied
// with the exact k-th one is a hit too. Queries with no other item count as 1. Throws
// kInvalidInput when `queries` is empty or k is 0, kNotFound for an unknown query item.
double recall_at_k(const AnnIndex& index, std::size_t k, std::span<const std::uint32_t> queries);

}  // namespace sextant
