#include "sextant/data/csv_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sextant {
namespace {

struct Parsed {
    std::vector<std::string> fields;
    std::string raw;
    std::uint64_t line;
    bool unterminated;
};

// Reads all records of `text`; every block size must give the same answer, so each test runs
// with blocks small enough to split quotes, CRLFs and "::" across refills.
std::vector<Parsed> read_all(const std::string& text, CsvDialect dialect, std::size_t block) {
    StringSource source(text);
    CsvReader reader(source, block);
    reader.set_dialect(dialect);
    std::vector<Parsed> out;
    CsvRecord record;
    while (reader.next(record)) {
        Parsed p{{}, std::string(record.raw), record.line, record.unterminated_quote};
        for (std::string_view f : record.fields) {
            p.fields.emplace_back(f);
        }
        out.push_back(std::move(p));
    }
    EXPECT_EQ(reader.bytes_consumed(), text.size());
    return out;
}

std::vector<Parsed> read_all(const std::string& text, CsvDialect dialect = {}) {
    std::vector<Parsed> big = read_all(text, dialect, CsvReader::kDefaultBlock);
    for (std::size_t block : {8, 9, 11, 16}) {
        std::vector<Parsed> small = read_all(text, dialect, block);
        EXPECT_EQ(small.size(), big.size()) << "block " << block;
        for (std::size_t i = 0; i < small.size() && i < big.size(); ++i) {
            EXPECT_EQ(small[i].fields, big[i].fields) << "block " << block << " record " << i;
            EXPECT_EQ(small[i].line, big[i].line) << "block " << block << " record " << i;
            EXPECT_EQ(small[i].raw, big[i].raw) << "block " << block << " record " << i;
        }
    }
    return big;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, PlainRecords) {
    auto r = read_all("a,b,c\n1,2,3\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].fields, (Fields{"a", "b", "c"}));
    EXPECT_EQ(r[1].fields, (Fields{"1", "2", "3"}));
    EXPECT_EQ(r[1].line, 2u);
    EXPECT_EQ(r[1].raw, "1,2,3");
}

TEST(CsvReader, QuotedDelimitersAndDoubledQuotes) {
    auto r = read_all("x,\"b,c\",\"say \"\"hi\"\"\",\"\"\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].fields, (Fields{"x", "b,c", "say \"hi\"", ""}));
    EXPECT_EQ(r[0].raw, "x,\"b,c\",\"say \"\"hi\"\"\",\"\"");
}

TEST(CsvReader, NewlinesInsideQuotesKeepPhysicalLineNumbers) {
    auto r = read_all("h1,h2\nx,\"line1\nline2\nline3\"\ny,\"a\r\nb\"\r\nz,end\n");
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[1].fields, (Fields{"x", "line1\nline2\nline3"}));
    EXPECT_EQ(r[1].line, 2u);
    EXPECT_EQ(r[2].fields, (Fields{"y", "a\r\nb"}));
    EXPECT_EQ(r[2].line, 5u);
    EXPECT_EQ(r[3].fields, (Fields{"z", "end"}));
    EXPECT_EQ(r[3].line, 7u);
}

TEST(CsvReader, CrlfBlankLinesAndNoFinalNewline) {
    auto r = read_all("a,b\r\n\r\n\n1,2\r\n3,4");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].fields, (Fields{"a", "b"}));
    EXPECT_EQ(r[1].fields, (Fields{"1", "2"}));
    EXPECT_EQ(r[1].line, 4u);
    EXPECT_EQ(r[1].raw, "1,2");
    EXPECT_EQ(r[2].fields, (Fields{"3", "4"}));
    EXPECT_EQ(r[2].line, 5u);
}

TEST(CsvReader, EmptyFieldsAndLoneCarriageReturns) {
    auto r = read_all("a,,\n,\nx\ry,z\r");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].fields, (Fields{"a", "", ""}));
    EXPECT_EQ(r[1].fields, (Fields{"", ""}));
    EXPECT_EQ(r[2].fields, (Fields{"x\ry", "z"}));
    EXPECT_TRUE(read_all("").empty());
    EXPECT_TRUE(read_all("\n\r\n\n").empty());
}

TEST(CsvReader, TextAfterAClosingQuoteIsKept) {
    auto r = read_all("\"a\"b,c\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].fields, (Fields{"ab", "c"}));
}

TEST(CsvReader, UnterminatedQuoteRunsToTheEnd) {
    auto r = read_all("a,b\n1,\"open\n2,3\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_FALSE(r[0].unterminated);
    EXPECT_TRUE(r[1].unterminated);
    EXPECT_EQ(r[1].fields, (Fields{"1", "open\n2,3\n"}));
}

TEST(CsvReader, OtherDelimiters) {
    CsvDialect tab;
    tab.delimiter = '\t';
    EXPECT_EQ(read_all("a\tb,c\n", tab)[0].fields, (Fields{"a", "b,c"}));
    CsvDialect pipe;
    pipe.delimiter = '|';
    EXPECT_EQ(read_all("a|\"b|c\"\n", pipe)[0].fields, (Fields{"a", "b|c"}));
}

TEST(CsvReader, DoubleColonDelimiter) {
    CsvDialect ml;
    ml.delimiter = ':';
    ml.double_delimiter = true;
    ml.quoting = false;
    auto r = read_all("1::1193::5::978300760\n2::a:b::\"q\"::\n", ml);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].fields, (Fields{"1", "1193", "5", "978300760"}));
    EXPECT_EQ(r[1].fields, (Fields{"2", "a:b", "\"q\"", ""}));
}

TEST(CsvReader, WholeLines) {
    CsvDialect lines;
    lines.whole_line = true;
    lines.quoting = false;
    auto r = read_all("{\"a\": \"x,y\"}\r\n\n{\"b\": 2}", lines);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].fields, (Fields{"{\"a\": \"x,y\"}"}));
    EXPECT_EQ(r[1].fields, (Fields{"{\"b\": 2}"}));
    EXPECT_EQ(r[1].line, 3u);
}

TEST(CsvReader, PeekDoesNotConsume) {
    std::string text = "a,b\n1,2\n";
    StringSource source(text);
    CsvReader reader(source, 8);
    EXPECT_EQ(reader.peek(100), text);
    CsvRecord record;
    ASSERT_TRUE(reader.next(record));
    EXPECT_EQ(record.raw, "a,b");
}

TEST(CsvReader, SniffsTheConsistentDelimiter) {
    EXPECT_EQ(sniff_delimiter("a,b,c\n1,2,3\n"), ',');
    EXPECT_EQ(sniff_delimiter("a\tb\tc\n1\t2,5\t3\n"), '\t');
    EXPECT_EQ(sniff_delimiter("a;b;c\n1;2,5;3\n4;5;6\n"), ';');
    EXPECT_EQ(sniff_delimiter("a|b\n1|2\n"), '|');
    EXPECT_EQ(sniff_delimiter("a;b\n\"x,y\";2\n\"p,q,r\";3\n"), ';');  // commas only in quotes
    EXPECT_EQ(sniff_delimiter("a,b\r\n1,2\r\n"), ',');
    EXPECT_EQ(sniff_delimiter("single\nvalue\n"), ',');
    EXPECT_EQ(sniff_delimiter(""), ',');
    // A partial last line (the end of the sniffed block) does not break consistency.
    EXPECT_EQ(sniff_delimiter("a;b;c\n1;2;3\n4;5"), ';');
}

}  // namespace
}  // namespace sextant
