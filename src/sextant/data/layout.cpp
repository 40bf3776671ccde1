#include "sextant/data/layout.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "sextant/core/error.h"
#include "sextant/data/ingest.h"

namespace sextant {
namespace {

constexpr std::array<std::string_view, 6> kKeys = {"user", "item", "time", "name", "value", "id"};

const std::vector<std::string> kOnlineRetailHeader = {"InvoiceNo",  "StockCode",   "Description",
                                                      "Quantity",   "InvoiceDate", "UnitPrice",
                                                      "CustomerID", "Country"};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string trim(std::string_view s) {
    std::size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return "";
    }
    std::size_t e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

// Exact match first; otherwise a unique case-insensitive one.
int find_column(const std::vector<std::string>& columns, const std::string& name) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == name) {
            return static_cast<int>(i);
        }
    }
    int found = kNoColumn;
    const std::string want = lower(name);
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (lower(columns[i]) == want) {
            if (found != kNoColumn) {
                return kNoColumn;
            }
            found = static_cast<int>(i);
        }
    }
    return found;
}

// The first column whose lower-cased name is one of `names`, in the order of `names`.
int find_any(const std::vector<std::string>& columns,
             std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (lower(columns[i]) == name) {
                return static_cast<int>(i);
            }
        }
    }
    return kNoColumn;
}

std::string describe_mapping(const ColumnMap& m, const std::vector<std::string>& columns) {
    std::string out;
    auto add = [&](std::string_view key, int column, int factor = kNoColumn) {
        if (column == kNoColumn) {
            return;
        }
        if (!out.empty()) {
            out += ',';
        }
        out.append(key).append("=").append(columns[column]);
        if (factor != kNoColumn) {
            out.append("*").append(columns[factor]);
        }
    };
    add("user", m.user);
    add("item", m.item);
    add("time", m.time);
    add("name", m.name);
    add("value", m.value, m.value_factor);
    add("id", m.id);
    return out;
}

std::string how_to_map(const std::vector<std::string>& columns) {
    return "pass --map user=COLUMN,time=COLUMN (optionally item=, name=, value=, id=; for a "
           "file without a header, columns by position: user=#1,time=#5); columns found: " +
           list_columns(columns);
}

}  // namespace

std::map<std::string, std::string> parse_mapping(const std::string& text) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string::npos) {
            comma = text.size();
        }
        const std::string part = trim(std::string_view(text).substr(start, comma - start));
        start = comma + 1;
        if (part.empty()) {
            continue;
        }
        const std::size_t eq = part.find('=');
        if (eq == std::string::npos) {
            throw_invalid("--map \"" + text + "\": \"" + part +
                          "\" is not key=column (e.g. user=CustomerID,time=InvoiceDate)");
        }
        const std::string key = lower(trim(std::string_view(part).substr(0, eq)));
        const std::string column = trim(std::string_view(part).substr(eq + 1));
        if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
            throw_invalid("--map \"" + text + "\": unknown key \"" + key +
                          "\" (keys: user, item, time, name, value, id)");
        }
        if (column.empty()) {
            throw_invalid("--map \"" + text + "\": no column given for \"" + key + "\"");
        }
        if (out.count(key) != 0) {
            throw_invalid("--map \"" + text + "\": \"" + key + "\" is given twice");
        }
        out[key] = column;
    }
    if (out.empty()) {
        throw_invalid("--map \"" + text +
                      "\" names no columns (e.g. user=CustomerID,time=InvoiceDate)");
    }
    return out;
}

std::string list_columns(const std::vector<std::string>& columns) {
    constexpr std::size_t kMaxListed = 30;
    std::string out;
    for (std::size_t i = 0; i < columns.size() && i < kMaxListed; ++i) {
        out += (i == 0 ? "" : ", ") + columns[i];
    }
    if (columns.size() > kMaxListed) {
        out += ", ... (" + std::to_string(columns.size()) + " in all)";
    }
    if (columns.empty()) {
        out = "(none)";
    }
    return out;
}

const std::vector<std::string>& movielens_rating_columns() {
    static const std::vector<std::string> kColumns = {"UserID", "MovieID", "Rating", "Timestamp"};
    return kColumns;
}

ColumnMap movielens_ratings_layout() {
    ColumnMap m;
    m.user = 0;
    m.item = 1;
    m.value = 2;
    m.time = 3;
    m.fixed_name = "rating";
    m.layout = "movielens ratings";
    m.mapping = describe_mapping(m, movielens_rating_columns());
    return m;
}

ColumnMap resolve_mapping(const std::map<std::string, std::string>& mapping,
                          const std::vector<std::string>& columns, const std::string& path,
                          const std::string& default_name) {
    auto resolve = [&](const std::string& key, const std::string& name) {
        int i = find_column(columns, name);
        if (i == kNoColumn) {
            throw_invalid("\"" + path + "\": --map " + key + "=" + name + ": column \"" + name +
                          "\" is not in the header (columns: " + list_columns(columns) + ")");
        }
        return i;
    };

    ColumnMap m;
    for (const auto& [key, column] : mapping) {
        if (key == "value") {
            // "A*B" multiplies two columns, unless "A*B" is itself a column's name.
            const std::size_t star = column.find('*');
            if (star != std::string::npos && find_column(columns, column) == kNoColumn) {
                m.value = resolve(key, trim(std::string_view(column).substr(0, star)));
                m.value_factor = resolve(key, trim(std::string_view(column).substr(star + 1)));
            } else {
                m.value = resolve(key, column);
            }
            continue;
        }
        int i = resolve(key, column);
        if (key == "user") {
            m.user = i;
        } else if (key == "item") {
            m.item = i;
        } else if (key == "time") {
            m.time = i;
        } else if (key == "name") {
            m.name = i;
        } else if (key == "id") {
            m.id = i;
        }
    }
    if (m.user == kNoColumn || m.time == kNoColumn) {
        throw_invalid("\"" + path + "\": --map must name the " +
                      (m.user == kNoColumn ? "user" : "time") + " column; " + how_to_map(columns));
    }
    m.fixed_name = default_name;
    m.layout = "mapped";
    m.mapping = describe_mapping(m, columns);
    return m;
}

ColumnMap recognise_layout(const std::vector<std::string>& columns, const std::string& path,
                           const std::string& default_name) {
    ColumnMap m;
    if (columns == kOnlineRetailHeader) {
        m.user = 6;
        m.item = 1;
        m.time = 4;
        m.value = 3;
        m.value_factor = 5;
        m.fixed_name = "purchase";
        m.layout = "online retail";
        m.mapping = describe_mapping(m, columns);
        return m;
    }

    m.user = find_any(columns, {"user", "user_id", "userid", "customer", "customer_id"});
    m.item = find_any(columns, {"item", "item_id", "itemid", "product", "product_id", "movie_id"});
    m.time = find_any(columns, {"time", "timestamp", "ts", "date", "event_time"});
    m.name = find_any(columns, {"name", "event", "event_type", "action", "behavior"});
    m.value = find_any(columns, {"value", "amount", "rating", "price"});
    m.id = find_any(columns, {"id", "event_id"});
    if (m.user == kNoColumn || m.time == kNoColumn) {
        throw_invalid("cannot tell which columns of \"" + path + "\" hold the " +
                      (m.user == kNoColumn ? "user" : "time") + "; " + how_to_map(columns));
    }
    m.fixed_name = default_name;
    m.layout = "header names";
    m.mapping = describe_mapping(m, columns);
    return m;
}

}  // namespace sextant
