// The binary cache of the event table: a header, the five columns, the user offsets and the three
// dictionaries, written to a temporary name and renamed. Any mismatch (magic, format, key, size)
// makes the reader ignore the file, and the table is rebuilt from the store.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/store/event_store.h"

namespace sextant {
namespace {

constexpr char kMagic[8] = {'S', 'X', 'T', 'T', 'A', 'B', 'L', '1'};

struct Header {
    char magic[8];
    std::int64_t key;
    std::uint64_t n_events;
    std::uint64_t n_users;
    std::uint64_t n_items;
    std::uint64_t n_names;
};

class Writer {
public:
    explicit Writer(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
        if (f_ == nullptr) {
            throw_io("cannot write \"" + path + "\": " + std::strerror(errno));
        }
    }
    ~Writer() {
        if (f_ != nullptr) {
            std::fclose(f_);
        }
    }
    void bytes(const void* p, std::size_t n) {
        if (n > 0 && std::fwrite(p, 1, n, f_) != n) {
            throw_io("cannot write \"" + path_ + "\": " + std::strerror(errno));
        }
    }
    template <typename T>
    void column(const std::vector<T>& v) {
        bytes(v.data(), v.size() * sizeof(T));
    }
    void strings(const std::vector<std::string>& texts) {
        for (const std::string& s : texts) {
            auto n = static_cast<std::uint32_t>(s.size());
            bytes(&n, sizeof n);
            bytes(s.data(), s.size());
        }
    }
    void close() {
        if (std::fclose(f_) != 0) {
            f_ = nullptr;
            throw_io("cannot write \"" + path_ + "\"");
        }
        f_ = nullptr;
    }

private:
    std::string path_;
    std::FILE* f_;
};

class Reader {
public:
    explicit Reader(const std::string& path) : f_(std::fopen(path.c_str(), "rb")) {}
    ~Reader() {
        if (f_ != nullptr) {
            std::fclose(f_);
        }
    }
    bool open() const { return f_ != nullptr; }
    bool bytes(void* p, std::size_t n) { return n == 0 || std::fread(p, 1, n, f_) == n; }
    template <typename T>
    bool column(std::vector<T>& v, std::size_t n) {
        v.resize(n);
        return bytes(v.data(), n * sizeof(T));
    }
    bool strings(std::size_t n, Dictionary& dict) {
        std::vector<std::string> texts(n);
        for (std::string& s : texts) {
            std::uint32_t len = 0;
            if (!bytes(&len, sizeof len) || len > (1u << 30)) {
                return false;
            }
            s.resize(len);
            if (!bytes(s.data(), len)) {
                return false;
            }
        }
        dict.assign(std::move(texts));
        return true;
    }
    bool at_end() { return std::fgetc(f_) == EOF; }

private:
    std::FILE* f_;
};

}  // namespace

void write_table_cache(const EventTable& table, const std::string& path, std::int64_t key) {
    std::string tmp = path + ".tmp";
    {
        Writer w(tmp);
        Header h{};
        std::memcpy(h.magic, kMagic, sizeof kMagic);
        h.key = key;
        h.n_events = table.n_events();
        h.n_users = table.n_users();
        h.n_items = table.n_items();
        h.n_names = table.n_names();
        w.bytes(&h, sizeof h);
        w.column(table.user);
        w.column(table.item);
        w.column(table.name);
        w.column(table.time);
        w.column(table.value);
        w.column(table.user_offsets);
        w.strings(table.users.texts());
        w.strings(table.items.texts());
        w.strings(table.names.texts());
        w.close();
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        throw_io("cannot rename \"" + tmp + "\" to \"" + path + "\": " + ec.message());
    }
}

bool read_table_cache(const std::string& path, std::int64_t key, EventTable& table) {
    Reader r(path);
    if (!r.open()) {
        return false;
    }
    Header h{};
    if (!r.bytes(&h, sizeof h) || std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 ||
        h.key != key) {
        return false;
    }
    // A damaged header must not make us allocate more than the file could hold.
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    std::uint64_t fixed = sizeof h + h.n_events * (3 * 4 + 8 + 4) + (h.n_users + 1) * 8;
    std::uint64_t n_strings = h.n_users + h.n_items + h.n_names;
    if (ec || h.n_events > size || n_strings > size || fixed + 4 * n_strings > size) {
        return false;
    }
    EventTable t;
    bool ok = r.column(t.user, h.n_events) && r.column(t.item, h.n_events) &&
              r.column(t.name, h.n_events) && r.column(t.time, h.n_events) &&
              r.column(t.value, h.n_events) && r.column(t.user_offsets, h.n_users + 1) &&
              r.strings(h.n_users, t.users) && r.strings(h.n_items, t.items) &&
              r.strings(h.n_names, t.names) && r.at_end();
    if (!ok) {
        return false;
    }
    table = std::move(t);
    return true;
}

}  // namespace sextant
