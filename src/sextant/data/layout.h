// Which input column feeds which Event field: from a --map, or recognised from the header.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sextant {

constexpr int kNoColumn = -1;

// Positions of the columns that feed each Event field, kNoColumn when absent.
struct ColumnMap {
    int user = kNoColumn;
    int item = kNoColumn;
    int time = kNoColumn;
    int name = kNoColumn;
    int value = kNoColumn;
    int value_factor = kNoColumn;  // value = value * value_factor when set
    int id = kNoColumn;
    std::string fixed_name;  // the event name when there is no name column (or it is empty)
    std::string layout;      // "movielens ratings", "online retail", "header names", "mapped"
    std::string mapping;     // what was used, in --map syntax
};

// The column names of MovieLens' ratings.dat, which has no header (from its README).
const std::vector<std::string>& movielens_rating_columns();

// Resolves a parsed --map against the columns of a file. A column is found by its exact name,
// else by a unique case-insensitive match. Throws Error(kInvalidInput) with one line naming the
// column and listing `columns` when a mapped column is absent, or when user or time is unmapped.
ColumnMap resolve_mapping(const std::map<std::string, std::string>& mapping,
                          const std::vector<std::string>& columns, const std::string& path,
                          const std::string& default_name);

// Recognises the Online Retail header, or a header whose names say which column is the user,
// item, time, name, value and id (case-insensitively: user, user_id, customer, timestamp, ...).
// Throws Error(kInvalidInput) explaining how to pass --map, listing the columns, when no user or
// no time column is found.
ColumnMap recognise_layout(const std::vector<std::string>& columns, const std::string& path,
                           const std::string& default_name);

// The layout of headerless MovieLens ratings ("UserID::MovieID::Rating::Timestamp").
ColumnMap movielens_ratings_layout();

// "a, b, c" (at most 30 names, then "... (N in all)").
std::string list_columns(const std::vector<std::string>& columns);

}  // namespace sextant
