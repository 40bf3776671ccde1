#include "sextant/recommend/ann_index.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <new>
#include <queue>
#include <unordered_map>
#include <utility>

// hnswlib 0.6.2's SSE paths read one link past a full upper-layer list while building (3 bytes
// beyond its own allocation, only to prefetch): this cannot fault, as glibc rounds blocks up to 16
// bytes, but AddressSanitizer reports it. Sanitizer builds therefore use its plain loops.
#if defined(__SANITIZE_ADDRESS__) && !defined(NO_MANUAL_VECTORIZATION)
#define NO_MANUAL_VECTORIZATION
#endif

// hnswlib is header-only and defines non-inline functions (cpuid, AVXCapable), so it may be
// included by this one file only. Its headers are not warning-clean under -Wextra -Wpedantic.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wtype-limits"
#include <hnswlib/hnswlib.h>
#pragma GCC diagnostic pop

#include "sextant/core/error.h"
#include "sextant/recommend/parallel.h"

namespace sextant {

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;

constexpr std::size_t kMaxM = 10000;  // hnswlib caps M here and prints a warning above it
// A stored vector's norm must be 1 within this, or exactly 0: a cheap check against altered bytes.
constexpr double kNormTolerance = 1e-3;

bool all_finite(std::span<const float> values) {
    return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

// Writes the unit vector of `row` into `out`; a zero row stays zero. Returns false for zero.
bool normalise(std::span<const float> row, float* out) {
    double sum = 0;
    for (float v : row) {
        sum += static_cast<double>(v) * v;
    }
    if (sum == 0) {
        std::fill(out, out + row.size(), 0.0f);
        return false;
    }
    const double scale = 1.0 / std::sqrt(sum);
    for (std::size_t j = 0; j < row.size(); ++j) {
        out[j] = static_cast<float>(row[j] * scale);
    }
    return true;
}

// The one similarity both search paths report, so the two agree on every item.
float cosine(const float* a, const float* b, std::size_t dim) {
    double sum = 0;
    for (std::size_t j = 0; j < dim; ++j) {
        sum += static_cast<double>(a[j]) * b[j];
    }
    return static_cast<float>(std::clamp(sum, -1.0, 1.0));
}

bool more_similar(const SimilarItem& a, const SimilarItem& b) {
    if (a.similarity != b.similarity) {
        return a.similarity > b.similarity;
    }
    return a.item < b.item;
}

void check_k(std::size_t k) {
    if (k == 0) {
        throw_invalid("similar items: k must be at least 1");
    }
}

void check_options(const AnnIndexOptions& options) {
    if (options.M < 2 || options.M > kMaxM) {
        throw_invalid("ann index: M must be in [2, 10000], got " + std::to_string(options.M));
    }
    if (options.ef_construction == 0 || options.ef_search == 0) {
        throw_invalid("ann index: ef_construction and ef_search must be at least 1");
    }
    if (options.threads == 0) {
        throw_invalid("ann index: threads must be at least 1");
    }
}

void check_shape(std::size_t n_items, std::size_t dim) {
    if (n_items == 0 || dim == 0) {
        throw_invalid("ann index: needs at least one item and one dimension, got " +
                      std::to_string(n_items) + " x " + std::to_string(dim));
    }
    if (n_items > std::numeric_limits<std::uint32_t>::max()) {
        throw_invalid("ann index: at most 2^32 - 1 items, got " + std::to_string(n_items));
    }
    // Keeps every size computed from dim far from overflow.
    if (dim > (std::size_t{1} << 28)) {
        throw_invalid("ann index: dimension " + std::to_string(dim) + " is too large");
    }
}

// hnswlib's per-item record on the bottom layer: link count, 2M links, the vector, the label.
struct Layout {
    std::size_t links0 = 0;     // bytes of the bottom-layer link list (count + 2M links)
    std::size_t per_item = 0;   // bytes of the whole bottom-layer record
    std::size_t label_at = 0;   // offset of the label in the record
    std::size_t per_level = 0;  // bytes of one upper-layer link list (count + M links)

    Layout(std::size_t M, std::size_t dim) {
        links0 = 2 * M * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
        label_at = links0 + dim * sizeof(float);
        per_item = label_at + sizeof(hnswlib::labeltype);
        per_level = M * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
    }
};

// The fixed header of hnswlib 0.6.2's saveIndex(), field by field, in its order.
struct Header {
    std::size_t offset_level0 = 0;
    std::size_t max_elements = 0;
    std::size_t n_items = 0;
    std::size_t per_item = 0;
    std::size_t label_at = 0;
    std::size_t data_at = 0;
    int max_level = 0;
    hnswlib::tableint entry_point = 0;
    std::size_t max_m = 0;
    std::size_t max_m0 = 0;
    std::size_t m = 0;
    double mult = 0;
    std::size_t ef_construction = 0;
};

template <typename T>
void append(std::vector<std::uint8_t>& out, const T& value) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
    out.insert(out.end(), p, p + sizeof(T));
}

// Reads plain values off a byte span; running past its end is an error naming the source.
class Reader {
public:
    Reader(std::span<const std::uint8_t> bytes, const std::string& source)
        : bytes_(bytes), source_(source) {}

    template <typename T>
    T read() {
        T value;
        std::memcpy(&value, take(sizeof(T)), sizeof(T));
        return value;
    }

    const std::uint8_t* take(std::size_t n) {
        if (n > bytes_.size() - pos_) {
            fail("truncated: needs " + std::to_string(n) + " bytes at offset " +
                 std::to_string(pos_) + " of " + std::to_string(bytes_.size()));
        }
        const std::uint8_t* p = bytes_.data() + pos_;
        pos_ += n;
        return p;
    }

    std::size_t remaining() const { return bytes_.size() - pos_; }

    [[noreturn]] void fail(const std::string& what) const {
        throw_invalid(source_ + ": not a valid similar-items index: " + what);
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
    const std::string& source_;
};

Header read_header(Reader& in) {
    Header h;
    h.offset_level0 = in.read<std::size_t>();
    h.max_elements = in.read<std::size_t>();
    h.n_items = in.read<std::size_t>();
    h.per_item = in.read<std::size_t>();
    h.label_at = in.read<std::size_t>();
    h.data_at = in.read<std::size_t>();
    h.max_level = in.read<int>();
    h.entry_point = in.read<hnswlib::tableint>();
    h.max_m = in.read<std::size_t>();
    h.max_m0 = in.read<std::size_t>();
    h.m = in.read<std::size_t>();
    h.mult = in.read<double>();
    h.ef_construction = in.read<std::size_t>();
    return h;
}

void check_header(const Header& h, std::size_t n_items, std::size_t dim, const Reader& in) {
    if (h.n_items != n_items) {
        in.fail("holds " + std::to_string(h.n_items) + " items, expected " +
                std::to_string(n_items));
    }
    if (h.m < 2 || h.m > kMaxM || h.max_m != h.m || h.max_m0 != 2 * h.m) {
        in.fail("bad link counts M=" + std::to_string(h.m));
    }
    const Layout layout(h.m, dim);
    if (h.offset_level0 != 0 || h.max_elements < h.n_items || h.per_item != layout.per_item ||
        h.data_at != layout.links0 || h.label_at != layout.label_at) {
        in.fail("record layout does not match " + std::to_string(dim) + " dimensions");
    }
    const double mult = 1 / std::log(1.0 * h.m);
    if (!(std::abs(h.mult - mult) <= 1e-9 * mult) || h.ef_construction == 0) {
        in.fail("bad build parameters");
    }
    if (h.max_level < 0 || h.entry_point >= n_items) {
        in.fail("bad entry point");
    }
}

// Checks one link list: at most `capacity` links, each to an item that has the layer `level`.
void check_links(const std::uint8_t* list, std::size_t capacity, std::size_t level,
                 const std::vector<int>& levels, const Reader& in) {
    hnswlib::linklistsizeint head;
    std::memcpy(&head, list, sizeof(head));
    // The low 16 bits count links; level 0 keeps a deleted mark above them, never set here.
    const std::size_t count = head & 0xffffu;
    if (count > capacity || (level == 0 && (head >> 16) != 0)) {
        in.fail("bad link list");
    }
    for (std::size_t j = 0; j < count; ++j) {
        hnswlib::tableint to;
        std::memcpy(&to, list + sizeof(head) + j * sizeof(to), sizeof(to));
        if (to >= levels.size() || static_cast<std::size_t>(levels[to]) < level) {
            in.fail("a link points outside the graph");
        }
    }
}

}  // namespace

struct AnnIndex::Impl {
    std::size_t n_items = 0;
    std::size_t dim = 0;
    std::vector<float> vectors;      // normalised rows, by item
    std::vector<std::uint8_t> zero;  // 1 where the item's row is zero
    // The graph reads the space through a pointer: it must be declared (and so outlive) first.
    std::unique_ptr<hnswlib::InnerProductSpace> space;
    std::unique_ptr<Graph> graph;

    const float* row(std::uint32_t item) const { return vectors.data() + item * dim; }

    void check_item(std::uint32_t item) const {
        if (item >= n_items) {
            throw_not_found("similar items: item " + std::to_string(item) +
                            " is not in the catalogue of " + std::to_string(n_items));
        }
    }

    // Normalises a query vector into `out`; returns false for a zero vector.
    bool prepare_query(std::span<const float> vector, std::vector<float>& out) const {
        if (vector.size() != dim) {
            throw_invalid("similar items: query has " + std::to_string(vector.size()) +
                          " values, the index " + std::to_string(dim));
        }
        if (!all_finite(vector)) {
            throw_invalid("similar items: query holds a value that is not finite");
        }
        out.resize(dim);
        return normalise(vector, out.data());
    }

    // Every item has similarity 0 to a zero query, so the answer is the lowest ids, as the
    // exact order (ties by id) says.
    std::vector<SimilarItem> lowest_ids(std::size_t k, std::int64_t exclude) const {
        std::vector<SimilarItem> out;
        for (std::uint32_t i = 0; i < n_items && out.size() < k; ++i) {
            if (i != exclude) {
                out.push_back({i, 0.0f});
            }
        }
        return out;
    }

    std::vector<SimilarItem> graph_search(const float* query, std::size_t k,
                                          std::int64_t exclude) const {
        // One more than asked, because the query item usually finds itself first.
        const std::size_t want = std::min(k + (exclude >= 0 ? 1 : 0), n_items);
        std::priority_queue<std::pair<float, hnswlib::labeltype>> found;
        try {
            found = graph->searchKnn(query, want);
        } catch (const std::exception& e) {
            throw Error(ErrorKind::kInternal,
                        std::string("similar items: search failed: ") + e.what());
        }

        std::vector<SimilarItem> out;
        out.reserve(found.size());
        for (; !found.empty(); found.pop()) {
            const auto item = static_cast<std::uint32_t>(found.top().second);
            if (item != exclude) {
                out.push_back({item, cosine(query, row(item), dim)});
            }
        }
        std::sort(out.begin(), out.end(), more_similar);
        out.resize(std::min(out.size(), k));
        return out;
    }

    std::vector<SimilarItem> brute_force(const float* query, std::size_t k,
                                         std::int64_t exclude) const {
        std::vector<SimilarItem> all;
        all.reserve(n_items);
        for (std::uint32_t i = 0; i < n_items; ++i) {
            if (i != exclude) {
                all.push_back({i, cosine(query, row(i), dim)});
            }
        }
        const std::size_t keep = std::min(k, all.size());
        std::partial_sort(all.begin(), all.begin() + keep, all.end(), more_similar);
        all.resize(keep);
        return all;
    }
};

AnnIndex::AnnIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnnIndex::AnnIndex(AnnIndex&&) noexcept = default;
AnnIndex& AnnIndex::operator=(AnnIndex&&) noexcept = default;
AnnIndex::~AnnIndex() = default;

std::size_t AnnIndex::n_items() const {
    return impl_->n_items;
}
std::size_t AnnIndex::dim() const {
    return impl_->dim;
}

AnnIndex AnnIndex::build(std::span<const float> vectors, std::size_t n_items, std::size_t dim,
                         const AnnIndexOptions& options) {
    check_shape(n_items, dim);
    check_options(options);
    if (vectors.size() != n_items * dim) {
        throw_invalid("ann index: " + std::to_string(vectors.size()) + " values are not " +
                      std::to_string(n_items) + " items x " + std::to_string(dim));
    }
    if (!all_finite(vectors)) {
        throw_invalid("ann index: an item vector holds a value that is not finite");
    }

    auto impl = std::make_unique<Impl>();
    impl->n_items = n_items;
    impl->dim = dim;
    impl->vectors.resize(n_items * dim);
    impl->zero.resize(n_items);
    for (std::size_t i = 0; i < n_items; ++i) {
        impl->zero[i] = !normalise(vectors.subspan(i * dim, dim), impl->vectors.data() + i * dim);
    }

    try {
        impl->space = std::make_unique<hnswlib::InnerProductSpace>(dim);
        impl->graph = std::make_unique<Graph>(impl->space.get(), n_items, options.M,
                                              options.ef_construction, options.seed);
        Graph& graph = *impl->graph;
        const Impl& rows = *impl;
        // The first item becomes the entry point before threads join, as hnswlib's own bindings
        // do. With several threads, hnswlib 0.6.2 draws layers from one generator without a
        // lock; this only makes the layers depend on timing, which threads > 1 allows anyway.
        graph.addPoint(rows.row(0), 0);
        detail::parallel_for(n_items - 1, options.threads, [&](std::size_t task, std::size_t) {
            const auto item = static_cast<std::uint32_t>(task + 1);
            graph.addPoint(rows.row(item), item);
        });
        // setEf is not safe beside searches, so it is set once here and never again.
        graph.setEf(options.ef_search);
    } catch (const std::exception& e) {
        throw Error(ErrorKind::kInternal, std::string("ann index: build failed: ") + e.what());
    }
    return AnnIndex(std::move(impl));
}

std::vector<SimilarItem> AnnIndex::search(std::uint32_t item, std::size_t k) const {
    impl_->check_item(item);
    check_k(k);
    if (impl_->zero[item]) {
        return impl_->lowest_ids(k, item);
    }
    return impl_->graph_search(impl_->row(item), k, item);
}

std::vector<SimilarItem> AnnIndex::search_vector(std::span<const float> vector,
                                                 std::size_t k) const {
    check_k(k);
    std::vector<float> query;
    if (!impl_->prepare_query(vector, query)) {
        return impl_->lowest_ids(k, -1);
    }
    return impl_->graph_search(query.data(), k, -1);
}

std::vector<SimilarItem> AnnIndex::exact_search(std::uint32_t item, std::size_t k) const {
    impl_->check_item(item);
    check_k(k);
    return impl_->brute_force(impl_->row(item), k, item);
}

std::vector<SimilarItem> AnnIndex::exact_search_vector(std::span<const float> vector,
                                                       std::size_t k) const {
    check_k(k);
    std::vector<float> query;
    impl_->prepare_query(vector, query);
    return impl_->brute_force(query.data(), k, -1);
}

std::vector<std::uint8_t> AnnIndex::to_bytes() const {
    const Graph& g = *impl_->graph;
    std::vector<std::uint8_t> out;
    append(out, g.offsetLevel0_);
    append(out, g.max_elements_);
    append(out, g.cur_element_count);
    append(out, g.size_data_per_element_);
    append(out, g.label_offset_);
    append(out, g.offsetData_);
    append(out, g.maxlevel_);
    append(out, g.enterpoint_node_);
    append(out, g.maxM_);
    append(out, g.maxM0_);
    append(out, g.M_);
    append(out, g.mult_);
    append(out, g.ef_construction_);

    const auto* level0 = reinterpret_cast<const std::uint8_t*>(g.data_level0_memory_);
    out.insert(out.end(), level0, level0 + g.cur_element_count * g.size_data_per_element_);
    for (std::size_t i = 0; i < g.cur_element_count; ++i) {
        const auto size = static_cast<std::uint32_t>(
            g.element_levels_[i] > 0 ? g.size_links_per_element_ * g.element_levels_[i] : 0);
        append(out, size);
        const auto* links = reinterpret_cast<const std::uint8_t*>(g.linkLists_[i]);
        out.insert(out.end(), links, links + size);
    }
    return out;
}

AnnIndex AnnIndex::from_bytes(std::span<const std::uint8_t> bytes, std::size_t n_items,
                              std::size_t dim, const std::string& source, std::size_t ef_search) {
    check_shape(n_items, dim);
    if (ef_search == 0) {
        throw_invalid("ann index: ef_search must be at least 1");
    }
    Reader in(bytes, source);
    const Header h = read_header(in);
    check_header(h, n_items, dim, in);
    const Layout layout(h.m, dim);

    // First pass: check sizes, labels, vectors and links before allocating anything n-sized
    // beyond two small arrays, so short or altered bytes never reach hnswlib.
    if (layout.per_item > in.remaining() / n_items) {
        in.fail("truncated in the bottom layer");
    }
    const std::uint8_t* level0 = in.take(n_items * layout.per_item);
    std::vector<int> levels(n_items, 0);
    std::vector<const std::uint8_t*> upper(n_items, nullptr);
    for (std::size_t i = 0; i < n_items; ++i) {
        const auto size = in.read<std::uint32_t>();
        if (size % layout.per_level != 0 || size / layout.per_level > std::size_t(h.max_level)) {
            in.fail("bad layer count for item record " + std::to_string(i));
        }
        levels[i] = static_cast<int>(size / layout.per_level);
        upper[i] = in.take(size);
    }
    if (in.remaining() != 0) {
        in.fail(std::to_string(in.remaining()) + " bytes after the end");
    }
    if (levels[h.entry_point] != h.max_level) {
        in.fail("the entry point is not on the top layer");
    }

    auto impl = std::make_unique<Impl>();
    impl->n_items = n_items;
    impl->dim = dim;
    impl->vectors.resize(n_items * dim);
    impl->zero.resize(n_items);
    std::vector<std::uint8_t> seen(n_items, 0);
    for (std::size_t i = 0; i < n_items; ++i) {
        const std::uint8_t* record = level0 + i * layout.per_item;
        check_links(record, 2 * h.m, 0, levels, in);
        for (int level = 1; level <= levels[i]; ++level) {
            check_links(upper[i] + (level - 1) * layout.per_level, h.m, level, levels, in);
        }

        hnswlib::labeltype label;
        std::memcpy(&label, record + layout.label_at, sizeof(label));
        if (label >= n_items || seen[label]) {
            in.fail("bad or repeated item label in record " + std::to_string(i));
        }
        seen[label] = 1;
        float* row = impl->vectors.data() + label * dim;
        std::memcpy(row, record + layout.links0, dim * sizeof(float));
        std::span<const float> values(row, dim);
        double norm2 = 0;
        for (float v : values) {
            norm2 += static_cast<double>(v) * v;
        }
        if (!all_finite(values) || (norm2 != 0 && std::abs(norm2 - 1) > kNormTolerance)) {
            in.fail("item " + std::to_string(label) + " has a vector that is not unit length");
        }
        impl->zero[label] = norm2 == 0;
    }

    // Second pass: hand the checked records to a graph of the same shape.
    try {
        impl->space = std::make_unique<hnswlib::InnerProductSpace>(dim);
        impl->graph =
            std::make_unique<Graph>(impl->space.get(), n_items, h.m, h.ef_construction, 0);
        Graph& g = *impl->graph;
        std::memcpy(g.data_level0_memory_, level0, n_items * layout.per_item);
        for (std::size_t i = 0; i < n_items; ++i) {
            const std::size_t size = levels[i] * layout.per_level;
            g.linkLists_[i] = nullptr;
            if (size > 0) {
                g.linkLists_[i] = static_cast<char*>(std::malloc(size));
                if (g.linkLists_[i] == nullptr) {
                    throw std::bad_alloc();
                }
                std::memcpy(g.linkLists_[i], upper[i], size);
            }
            g.element_levels_[i] = levels[i];
            // Counted as it goes so that the destructor frees exactly what was allocated.
            g.cur_element_count = i + 1;
            g.label_lookup_[g.getExternalLabel(static_cast<hnswlib::tableint>(i))] =
                static_cast<hnswlib::tableint>(i);
        }
        g.maxlevel_ = h.max_level;
        g.enterpoint_node_ = h.entry_point;
        g.setEf(ef_search);
    } catch (const std::exception& e) {
        throw Error(ErrorKind::kInternal,
                    source + ": cannot load the similar-items index: " + e.what());
    }
    return AnnIndex(std::move(impl));
}

double recall_at_k(const AnnIndex& index, std::size_t k, std::span<const std::uint32_t> queries) {
    check_k(k);
    if (queries.empty()) {
        throw_invalid("recall@k: needs at least one query item");
    }
    double sum = 0;
    for (std::uint32_t q : queries) {
        const std::vector<SimilarItem> exact = index.exact_search(q, k);
        const std::vector<SimilarItem> found = index.search(q, k);
        if (exact.empty()) {
            sum += 1;
            continue;
        }
        const float kth = exact.back().similarity;
        const auto hits = std::count_if(found.begin(), found.end(),
                                        [&](const SimilarItem& s) { return s.similarity >= kth; });
        sum += static_cast<double>(hits) / static_cast<double>(exact.size());
    }
    return sum / static_cast<double>(queries.size());
}

}  // namespace sextant
