#include "sextant/data/ingest.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "test_util.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

class Ingest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = sextant::testing::make_temp_dir("ingest"); }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& content) {
        std::string path = dir_ + "/" + name;
        sextant::testing::write_file(path, content);
        return path;
    }

    // Reads `path` and keeps every event.
    ReadReport read(const std::string& path, const IngestOptions& options = {}) {
        events_.clear();
        return read_events(path, options, [this](const Event& e) { events_.push_back(e); });
    }

    ReadReport read_text(const std::string& content, const IngestOptions& options = {},
                         const std::string& name = "events.csv") {
        return read(write(name, content), options);
    }

    std::string dir_;
    std::vector<Event> events_;
};

// The message of the Error that `f` throws, checking its kind.
template <typename F>
std::string error_of(F f, ErrorKind kind) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no sextant::Error thrown";
    return "";
}

TEST_F(Ingest, HeaderNamesAreRecognised) {
    ReadReport r = read_text(
        "User_ID,itemId,timestamp,event_type,amount,event_id\n"
        "u1,i1,1711848600,view,,e1\n"
        "u2,i2,2024-03-31T01:30:00Z,buy,9.5,e2\n");
    EXPECT_EQ(r.format, "csv");
    EXPECT_EQ(r.delimiter, ',');
    EXPECT_EQ(r.layout, "header names");
    EXPECT_EQ(r.mapping,
              "user=User_ID,item=itemId,time=timestamp,name=event_type,value=amount,"
              "id=event_id");
    EXPECT_EQ(r.rows, 2u);
    EXPECT_EQ(r.good_rows, 2u);
    EXPECT_EQ(r.bad_rows, 0u);
    EXPECT_EQ(r.epoch_unit, "seconds");
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].user, "u1");
    EXPECT_EQ(events_[0].item, "i1");
    EXPECT_EQ(events_[0].name, "view");
    EXPECT_EQ(events_[0].time, 1711848600);
    EXPECT_TRUE(std::isnan(events_[0].value));
    EXPECT_EQ(events_[0].id, "e1");
    EXPECT_EQ(events_[1].time, 1711848600);
    EXPECT_DOUBLE_EQ(events_[1].value, 9.5);
    EXPECT_EQ(r.describe_errors(), "");
}

TEST_F(Ingest, QuotedFieldsAndLineNumbersAfterAMultiLineField) {
    ReadReport r = read_text(
        "user,item,time,name\n"
        "u1,\"a,b\",0,\"say \"\"hi\"\"\"\n"
        "u2,\"line1\nline2\",60,view\n"
        ",i3,120,view\n");
    EXPECT_EQ(r.rows, 3u);
    EXPECT_EQ(r.good_rows, 2u);
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].item, "a,b");
    EXPECT_EQ(events_[0].name, "say \"hi\"");
    EXPECT_EQ(events_[1].item, "line1\nline2");
    ASSERT_EQ(r.first_errors.size(), 1u);
    EXPECT_EQ(r.first_errors[0].line, 5u);  // physical line, after the two-line field
    EXPECT_EQ(r.first_errors[0].column, "user");
    EXPECT_EQ(r.first_errors[0].reason, "missing user");
    EXPECT_EQ(r.describe_errors(), r.path + ":5: column \"user\": missing user");
    EXPECT_NE(r.path.find("events.csv"), std::string::npos);
}

TEST_F(Ingest, BomCrlfAndNoFinalNewline) {
    ReadReport r = read_text("\xEF\xBB\xBFuser,time\r\nu1,0\r\n\r\nu2,60");
    EXPECT_EQ(r.mapping, "user=user,time=time");  // no BOM left in the first column's name
    EXPECT_EQ(r.rows, 2u);
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[1].user, "u2");
    EXPECT_EQ(events_[1].time, 60);
    EXPECT_EQ(events_[0].name, "event");  // the default name
    EXPECT_EQ(r.bytes, 27u);
}

TEST_F(Ingest, DetectsTabSemicolonAndPipe) {
    ReadReport tsv = read_text("user\ttime\titem\nu1\t0\ta,b\n");
    EXPECT_EQ(tsv.format, "tsv");
    EXPECT_EQ(tsv.delimiter, '\t');
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].item, "a,b");

    ReadReport semi = read_text("user;time;price\nu1;0;2,5\nu2;0;3\n");
    EXPECT_EQ(semi.delimiter, ';');
    EXPECT_EQ(semi.format, "csv");
    // "2,5" is not a number: decimal commas are a row error, not a silent 2.
    EXPECT_EQ(semi.bad_reasons.at("bad value"), 1u);

    ReadReport pipe = read_text("user|time\nu1|0\n");
    EXPECT_EQ(pipe.delimiter, '|');
    EXPECT_EQ(pipe.good_rows, 1u);

    // A given delimiter wins over the sniffed one: with tabs, "user,time" is one column.
    IngestOptions given;
    given.delimiter = '\t';
    std::string path = write("forced.csv", "user,time\nu1,0\n");
    EXPECT_NE(error_of([&] { read(path, given); }, ErrorKind::kInvalidInput)
                  .find("columns found: user,time"),
              std::string::npos);
}

TEST_F(Ingest, SyntheticMarkerLineIsNotARecord) {
    ReadReport r = read_text(
        "# synthetic log written by sextant simulate\n"
        "user_id,item_id,event,timestamp,value\n"
        "u1,i1,view,2024-01-01T00:00:00Z,\n"
        ",i2,view,0,\n");
    EXPECT_TRUE(r.synthetic);
    EXPECT_EQ(r.mapping, "user=user_id,item=item_id,time=timestamp,name=event,value=value");
    EXPECT_EQ(r.rows, 2u);
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].time, 1704067200);
    ASSERT_EQ(r.first_errors.size(), 1u);
    EXPECT_EQ(r.first_errors[0].line, 4u);
    EXPECT_FALSE(read_text("user,time\nu,0\n").synthetic);
}

TEST_F(Ingest, MovielensRatings) {
    ReadReport r = read_text("1::1193::5::978300760\n1::661::3::978302109\n", {}, "ratings.dat");
    EXPECT_EQ(r.format, "movielens");
    EXPECT_EQ(r.layout, "movielens ratings");
    EXPECT_EQ(r.mapping, "user=UserID,item=MovieID,time=Timestamp,value=Rating");
    EXPECT_EQ(r.rows, 2u);
    EXPECT_EQ(r.epoch_unit, "seconds");
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].user, "1");
    EXPECT_EQ(events_[0].item, "1193");
    EXPECT_EQ(events_[0].name, "rating");
    EXPECT_EQ(events_[0].time, 978300760);
    EXPECT_DOUBLE_EQ(events_[0].value, 5.0);
    EXPECT_DOUBLE_EQ(events_[1].value, 3.0);
}

TEST_F(Ingest, DoubleColonNeedsEveryLineToAgree) {
    // MovieLens movies.dat: "::" twice on every line, beside '|' and ',' in the text.
    IngestOptions options;
    options.map = "user=MovieID,time=Year";
    ReadReport movies = read_text(
        "MovieID::Title::Year\n1::Toy Story (1995)::1995-01-01\n"
        "11::American President, The (1995)::1995-01-01\n",
        options);
    EXPECT_EQ(movies.format, "movielens");
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[1].user, "11");

    // IPv6 addresses in a CSV do not make it a "::" file.
    ReadReport ipv6 = read_text("user,ip,time\nu1,::1,0\nu2,fe80::1,0\n");
    EXPECT_EQ(ipv6.format, "csv");
    EXPECT_EQ(ipv6.good_rows, 2u);
}

TEST_F(Ingest, Ndjson) {
    ReadReport r = read_text(
        "{\"user\": \"u1\", \"item\": 42, \"ts\": 1711848600000, \"event\": \"click\", "
        "\"amount\": 2.50, \"extra\": {\"a\": [1, 2]}}\n"
        "{\"ts\": \"2024-03-31T01:30:00Z\", \"user\": 18446744073709551617, \"event\": null}\n"
        "{\"item\": 1, \"ts\": 0}\n"
        "[1, 2]\n"
        "{\"user\": \"u4\", \n",
        {}, "events.ndjson");
    EXPECT_EQ(r.format, "ndjson");
    EXPECT_EQ(r.layout, "header names");
    EXPECT_EQ(r.mapping, "user=user,item=item,time=ts,name=event,value=amount");
    EXPECT_EQ(r.rows, 5u);
    EXPECT_EQ(r.good_rows, 2u);
    EXPECT_EQ(r.epoch_unit, "milliseconds");
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].user, "u1");
    EXPECT_EQ(events_[0].item, "42");
    EXPECT_EQ(events_[0].name, "click");
    EXPECT_EQ(events_[0].time, 1711848600);
    EXPECT_DOUBLE_EQ(events_[0].value, 2.5);
    // Keys in another order; a number beyond 2^64 kept as written; null name -> default.
    EXPECT_EQ(events_[1].user, "18446744073709551617");
    EXPECT_EQ(events_[1].time, 1711848600);
    EXPECT_EQ(events_[1].name, "event");
    EXPECT_TRUE(std::isnan(events_[1].value));
    EXPECT_EQ(r.bad_reasons.at("missing user"), 1u);
    EXPECT_EQ(r.bad_reasons.at("bad JSON"), 2u);
    ASSERT_EQ(r.first_errors.size(), 3u);
    EXPECT_EQ(r.first_errors[1].line, 4u);
    EXPECT_EQ(r.first_errors[1].message, "not a JSON object");
    EXPECT_EQ(r.first_errors[2].line, 5u);
}

void write_gzip(const std::string& path, const std::string& content) {
    gzFile gz = gzopen(path.c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    ASSERT_EQ(gzwrite(gz, content.data(), static_cast<unsigned>(content.size())),
              static_cast<int>(content.size()));
    ASSERT_EQ(gzclose(gz), Z_OK);
}

TEST_F(Ingest, GzipIsDetectedByMagicNotName) {
    std::string text = "user,item,time\n";
    for (int i = 0; i < 50000; ++i) {
        text.append("u").append(std::to_string(i % 97)).append(",i").append(std::to_string(i));
        text.append(",").append(std::to_string(1000 + i)).append("\n");
    }
    std::string path = dir_ + "/events.dat";
    write_gzip(path, text);
    ASSERT_LT(fs::file_size(path), text.size() / 2);

    ReadReport r = read(path);
    EXPECT_EQ(r.format, "csv (gzip)");
    EXPECT_EQ(r.bytes, text.size());
    EXPECT_EQ(r.good_rows, 50000u);
    ASSERT_EQ(events_.size(), 50000u);
    EXPECT_EQ(events_[49999].item, "i49999");
    EXPECT_EQ(events_[49999].time, 50999);

    // Two members one after the other, as `cat a.gz b.gz` makes, read as one text.
    std::string second = dir_ + "/b.gz";
    write_gzip(second, "u1,extra,5\n");
    sextant::testing::write_file(
        path, sextant::testing::read_file(path) + sextant::testing::read_file(second));
    EXPECT_EQ(read(path).good_rows, 50001u);
    EXPECT_EQ(events_.back().item, "extra");

    // The same file of movielens ratings and of NDJSON.
    write_gzip(path, "1::1193::5::978300760\n");
    EXPECT_EQ(read(path).format, "movielens (gzip)");
    write_gzip(path, "{\"user\": 1, \"time\": 5}\n");
    EXPECT_EQ(read(path).format, "ndjson (gzip)");
}

TEST_F(Ingest, CorruptOrTruncatedGzipIsAFileError) {
    std::string path = dir_ + "/bad.gz";
    write_gzip(path, std::string(100000, 'x'));
    std::string bytes = sextant::testing::read_file(path);

    sextant::testing::write_file(path, bytes.substr(0, bytes.size() / 2));
    std::string truncated = error_of([&] { read(path); }, ErrorKind::kInvalidInput);
    EXPECT_EQ(truncated, "\"" + path + "\" is not valid gzip data: it ends too early");

    std::string corrupt = bytes;
    for (std::size_t i = 12; i < 40 && i < corrupt.size(); ++i) {
        corrupt[i] = static_cast<char>(0xFF);
    }
    sextant::testing::write_file(path, corrupt);
    std::string msg = error_of([&] { read(path); }, ErrorKind::kInvalidInput);
    EXPECT_EQ(msg.rfind("\"" + path + "\" is not valid gzip data: ", 0), 0u) << msg;
}

TEST_F(Ingest, InvalidUtf8IsARowErrorWithLineAndByte) {
    ReadReport r = read_text("user,item,time\nu1,Mis\xe9rables,0\nu2,ok,0\n", {}, "file.csv");
    EXPECT_EQ(r.good_rows, 1u);
    EXPECT_EQ(r.bad_rows, 1u);
    EXPECT_EQ(r.bad_reasons.at("invalid UTF-8"), 1u);
    EXPECT_EQ(r.describe_errors(),
              r.path +
                  ":2: invalid UTF-8 at byte 7 (use --encoding latin1 or cp1252 if the file "
                  "is not UTF-8)");

    // In the second line of a multi-line field: that line, and the byte within it.
    ReadReport multi = read_text("user,item,time\nu1,\"first\nab\xff\",0\n", {}, "file.csv");
    ASSERT_EQ(multi.first_errors.size(), 1u);
    EXPECT_EQ(multi.first_errors[0].line, 3u);
    EXPECT_EQ(multi.first_errors[0].message.rfind("invalid UTF-8 at byte 3 ", 0), 0u);
}

TEST_F(Ingest, Latin1AndCp1252AreTranscoded) {
    IngestOptions latin1;
    latin1.encoding = Encoding::kLatin1;
    ReadReport r = read_text("user,item,time\nu1,Mis\xe9rables,0\n", latin1);
    EXPECT_EQ(r.bad_rows, 0u);
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].item, "Mis\xc3\xa9rables");  // "Misérables"

    IngestOptions cp1252;
    cp1252.encoding = Encoding::kCp1252;
    read_text("user,item,time\nu1,\x80 5 \x93quoted\x94,0\n", cp1252);
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].item, "\xe2\x82\xac 5 \xe2\x80\x9cquoted\xe2\x80\x9d");  // "€ 5 “quoted”"

    // In Latin-1, 0x80 is the C1 control U+0080.
    read_text("user,item,time\nu1,\x80,0\n", latin1);
    EXPECT_EQ(events_[0].item, "\xc2\x80");

    EXPECT_EQ(parse_encoding("UTF-8"), Encoding::kUtf8);
    EXPECT_EQ(parse_encoding("ISO-8859-1"), Encoding::kLatin1);
    EXPECT_EQ(parse_encoding("windows-1252"), Encoding::kCp1252);
    EXPECT_EQ(error_of([] { parse_encoding("ebcdic"); }, ErrorKind::kInvalidInput),
              "unknown encoding \"ebcdic\" (use utf8, latin1 or cp1252)");
}

TEST_F(Ingest, NaiveTimesUseTheZoneAndBadDatesAreRowErrors) {
    IngestOptions london;
    london.tz = TimeZone::named("Europe/London");
    ReadReport r = read_text(
        "user,time\n"
        "u1,2024-07-01 12:00\n"
        "u2,2024-07-01T12:00:00Z\n"
        "u3,31/02/2024\n"
        "u4,2024-02-30\n"
        "u5,\n",
        london);
    EXPECT_EQ(r.good_rows, 2u);
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].time, 1719831600);  // 11:00Z
    EXPECT_EQ(events_[1].time, 1719835200);  // 12:00Z
    EXPECT_EQ(r.bad_reasons.at("bad time"), 3u);
    EXPECT_EQ(r.epoch_unit, "");
    const std::string& p = r.path;
    EXPECT_EQ(r.describe_errors(),
              p + ":4: column \"time\": cannot read \"31/02/2024\" as a time\n" + p +
                  ":5: column \"time\": cannot read \"2024-02-30\" as a time\n" + p +
                  ":6: column \"time\": missing time");
}

TEST_F(Ingest, MixedEpochUnitsAreReported) {
    ReadReport r = read_text("user,time\nu1,978300760\nu2,978300760000\n");
    EXPECT_EQ(r.epoch_unit, "seconds and milliseconds");
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].time, events_[1].time);
}

TEST_F(Ingest, IdsAreKeptExactly) {
    ReadReport r = read_text(
        "user,item,time,id\n"
        "17850.0, 85123A ,0,18446744073709551617\n"
        "  9007199254740993  ,0012,0,00\n");
    EXPECT_EQ(r.good_rows, 2u);
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].user, "17850.0");
    EXPECT_EQ(events_[0].item, "85123A");
    EXPECT_EQ(events_[0].id, "18446744073709551617");
    EXPECT_EQ(events_[1].user, "9007199254740993");  // 2^53 + 1, not representable as a double
    EXPECT_EQ(events_[1].item, "0012");
    EXPECT_EQ(events_[1].id, "00");
}

TEST_F(Ingest, ValueMayBeAProductOfTwoColumns) {
    IngestOptions options;
    options.map = "user=Customer, time=When, value=Qty*Price, item=Code, name=Kind";
    ReadReport r = read_text(
        "Customer,When,Qty,Price,Code,Kind\n"
        "c1,0,6,2.55,A,buy\n"
        "c2,0,-2,+1.5e1,B,\n"
        "c3,0,2,,C,buy\n"
        "c4,0,two,1,D,buy\n",
        options);
    EXPECT_EQ(r.layout, "mapped");
    EXPECT_EQ(r.mapping, "user=Customer,item=Code,time=When,name=Kind,value=Qty*Price");
    EXPECT_EQ(r.good_rows, 3u);
    ASSERT_EQ(events_.size(), 3u);
    EXPECT_DOUBLE_EQ(events_[0].value, 15.3);
    EXPECT_DOUBLE_EQ(events_[1].value, -30.0);
    EXPECT_EQ(events_[1].name, "event");
    EXPECT_TRUE(std::isnan(events_[2].value));
    ASSERT_EQ(r.first_errors.size(), 1u);
    EXPECT_EQ(r.first_errors[0].column, "Qty");
    EXPECT_EQ(r.first_errors[0].message, "cannot read \"two\" as a number");
    EXPECT_EQ(r.first_errors[0].reason, "bad value");
}

TEST_F(Ingest, MappingErrors) {
    std::string path = write("m.csv", "InvoiceNo,CustomerID,InvoiceDate\n1,2,0\n");
    IngestOptions options;
    options.map = "user=Customer,time=InvoiceDate";
    EXPECT_EQ(error_of([&] { read(path, options); }, ErrorKind::kInvalidInput),
              "\"" + path +
                  "\": --map user=Customer: column \"Customer\" is not in the header (columns: "
                  "InvoiceNo, CustomerID, InvoiceDate)");

    // Case-insensitive match when unique.
    options.map = "user=customerid,time=invoicedate";
    EXPECT_EQ(read(path, options).mapping, "user=CustomerID,time=InvoiceDate");

    options.map = "user=CustomerID";
    EXPECT_NE(error_of([&] { read(path, options); }, ErrorKind::kInvalidInput)
                  .find("--map must name the time column"),
              std::string::npos);

    EXPECT_EQ(error_of([] { parse_mapping("usr=a,time=b"); }, ErrorKind::kInvalidInput),
              "--map \"usr=a,time=b\": unknown key \"usr\" (keys: user, item, time, name, value, "
              "id)");
    EXPECT_NE(error_of([] { parse_mapping("user"); }, ErrorKind::kInvalidInput).find("key=column"),
              std::string::npos);
    EXPECT_NE(error_of([] { parse_mapping("user=a,user=b"); }, ErrorKind::kInvalidInput)
                  .find("given twice"),
              std::string::npos);
    auto m = parse_mapping(" user = a b , value=x*y,");
    EXPECT_EQ(m.at("user"), "a b");
    EXPECT_EQ(m.at("value"), "x*y");
}

TEST_F(Ingest, HeaderlessFilesAreMappedByPosition) {
    // The Taobao UserBehavior layout: user,item,category,behavior,timestamp and no header.
    IngestOptions options;
    options.map = "user=#1,item=#2,name=#4,time=#5,value=#3*#1";
    ReadReport r = read_text("1,2268318,2520377,pv,1511544070\n2,5,7,buy,1511544071\n", options);
    EXPECT_EQ(r.layout, "mapped");
    EXPECT_EQ(r.mapping, "user=#1,item=#2,time=#5,name=#4,value=#3*#1");
    EXPECT_EQ(r.rows, 2u);
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].user, "1");
    EXPECT_EQ(events_[0].item, "2268318");
    EXPECT_EQ(events_[0].name, "pv");
    EXPECT_EQ(events_[0].time, 1511544070);
    EXPECT_DOUBLE_EQ(events_[1].value, 14.0);

    options.map = "user=#1,time=#9";
    std::string path = r.path;
    EXPECT_NE(error_of([&] { read(path, options); }, ErrorKind::kInvalidInput)
                  .find("column \"#9\" is not in the header (columns: #1, #2, #3, #4, #5)"),
              std::string::npos);
}

TEST_F(Ingest, UnrecognisedHeaderSaysHowToMap) {
    std::string path = write("x.csv", "who,when_it_was\na,0\n");
    EXPECT_EQ(error_of([&] { read(path); }, ErrorKind::kInvalidInput),
              "cannot tell which columns of \"" + path +
                  "\" hold the user; pass --map user=COLUMN,time=COLUMN (optionally item=, name=, "
                  "value=, id=; for a file without a header, columns by position: "
                  "user=#1,time=#5); columns found: who, when_it_was");
}

TEST_F(Ingest, FileLevelErrors) {
    std::string missing = dir_ + "/x.csv";
    EXPECT_EQ(error_of([&] { read(missing); }, ErrorKind::kNotFound),
              "cannot open \"" + missing + "\": No such file or directory");

    std::string empty = write("empty.csv", "");
    EXPECT_EQ(error_of([&] { read(empty); }, ErrorKind::kInvalidInput),
              "\"" + empty + "\" is empty");
    std::string bom_only = write("bom.csv", "\xEF\xBB\xBF");
    EXPECT_EQ(error_of([&] { read(bom_only); }, ErrorKind::kInvalidInput),
              "\"" + bom_only + "\" is empty");
    std::string blank = write("blank.csv", "\n\r\n\n");
    EXPECT_EQ(error_of([&] { read(blank); }, ErrorKind::kInvalidInput),
              "\"" + blank + "\" has only blank lines");
    std::string header = write("header.csv", "user,time\n\n");
    EXPECT_EQ(error_of([&] { read(header); }, ErrorKind::kInvalidInput),
              "\"" + header + "\" has a header but no data rows");
    EXPECT_EQ(error_of([&] { read(dir_); }, ErrorKind::kIo),
              "cannot read \"" + dir_ + "\": it is a directory");
    std::string latin = write("latin.csv", "user,caf\xe9,time\nu,1,0\n");
    EXPECT_EQ(error_of([&] { read(latin); }, ErrorKind::kInvalidInput),
              latin +
                  ":1: invalid UTF-8 in the header at byte 9 (use --encoding latin1 or cp1252 "
                  "if the file is not UTF-8)");
    IngestOptions quote;
    quote.delimiter = '"';
    EXPECT_EQ(error_of([&] { read(latin, quote); }, ErrorKind::kInvalidInput),
              "the delimiter cannot be a quote or a line break");
    std::string json = write("bad.ndjson", "{\"user\": \n");
    std::string msg = error_of([&] { read(json); }, ErrorKind::kInvalidInput);
    EXPECT_EQ(msg.rfind(json + ":1: column 10: syntax error while parsing value", 0), 0u) << msg;
}

TEST(IngestPaths, ErrorsUseThePathAsGiven) {
    ReadReport r;
    r.path = "online_retail.csv";
    r.bad_rows = 135080;
    r.bad_reasons["missing user"] = 135080;
    r.first_errors = {{3, "CustomerID", "missing user", "missing user"},
                      {4, "CustomerID", "missing user", "missing user"},
                      {5, "CustomerID", "missing user", "missing user"}};
    EXPECT_EQ(r.describe_errors(),
              "online_retail.csv:3: column \"CustomerID\": missing user\n"
              "online_retail.csv:4: column \"CustomerID\": missing user\n"
              "online_retail.csv:5: column \"CustomerID\": missing user\n"
              "... and 135,077 more bad rows (missing user: 135,080)");
}

TEST_F(Ingest, WrongFieldCountAndUnterminatedQuote) {
    ReadReport r = read_text("user,time,item\nu1,0\nu2,0,i,extra\nu3,0,\"open\nu4,0,i\n");
    EXPECT_EQ(r.rows, 3u);
    EXPECT_EQ(r.good_rows, 0u);
    EXPECT_EQ(r.bad_reasons.at("wrong field count"), 2u);
    EXPECT_EQ(r.bad_reasons.at("unterminated quote"), 1u);
    const std::string& p = r.path;
    EXPECT_EQ(r.describe_errors(),
              p + ":2: expected 3 fields, found 2\n" + p + ":3: expected 3 fields, found 4\n" + p +
                  ":4: a quoted field is not closed before the end of the file");
}

TEST_F(Ingest, ExactDuplicatesCountEveryRepeatedRecord) {
    ReadReport r = read_text(
        "user,time\n"
        "u1,0\n"
        "u1,0\n"
        ",0\n"
        ",0\n"
        "u1, 0\n"
        "u1,0\n");
    EXPECT_EQ(r.rows, 6u);
    EXPECT_EQ(r.good_rows, 4u);
    EXPECT_EQ(r.exact_duplicates, 3u);  // lines 3, 5 and 7
    EXPECT_EQ(r.good_duplicates, 2u);   // lines 3 and 7; "u1, 0" differs in its bytes
}

TEST_F(Ingest, DescribeErrorsSummarisesTheRest) {
    std::string text = "user,time\n";
    for (int i = 0; i < 7; ++i) {
        text += ",0\nu,bad\n";
    }
    IngestOptions options;
    options.max_errors_kept = 3;
    ReadReport r = read_text(text, options, "retail.csv");
    EXPECT_EQ(r.bad_rows, 14u);
    EXPECT_EQ(r.first_errors.size(), 3u);
    const std::string& p = r.path;
    EXPECT_EQ(r.describe_errors(), p + ":2: column \"user\": missing user\n" + p +
                                       ":3: column \"time\": cannot read \"bad\" as a time\n" + p +
                                       ":4: column \"user\": missing user\n"
                                       "... and 11 more bad rows (bad time: 7, missing user: 7)");
}

TEST_F(Ingest, ProgressEvery64KRowsAndSinkExceptionsPassThrough) {
    std::string text = "user,time\n";
    for (int i = 0; i < 140000; ++i) {
        text += "u,1\n";
    }
    std::string path = write("p.csv", text);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    read_events(
        path, {}, [](const Event&) {},
        [&](std::uint64_t bytes, std::uint64_t rows) { calls.emplace_back(bytes, rows); });
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0], std::make_pair(std::uint64_t{10 + 65536 * 4}, std::uint64_t{65536}));
    EXPECT_EQ(calls[1], std::make_pair(std::uint64_t{10 + 131072 * 4}, std::uint64_t{131072}));
    EXPECT_EQ(calls[2], std::make_pair(std::uint64_t{text.size()}, std::uint64_t{140000}));

    int seen = 0;
    EXPECT_THROW(read_events(path, {},
                             [&](const Event&) {
                                 if (++seen == 10) {
                                     throw std::runtime_error("stop");
                                 }
                             }),
                 std::runtime_error);
    EXPECT_EQ(seen, 10);
}

TEST_F(Ingest, OnlineRetailHeaderIsRecognised) {
    ReadReport r = read_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,"
        "United Kingdom\n"
        "536366,22633,\"HAND WARMER, UNION JACK\",6,12/1/2010 8:28,1.85,,United Kingdom\n",
        {}, "online_retail.csv");
    EXPECT_EQ(r.layout, "online retail");
    EXPECT_EQ(r.mapping,
              "user=CustomerID,item=StockCode,time=InvoiceDate,value=Quantity*UnitPrice");
    ASSERT_EQ(events_.size(), 1u);
    EXPECT_EQ(events_[0].user, "17850.0");
    EXPECT_EQ(events_[0].item, "85123A");
    EXPECT_EQ(events_[0].name, "purchase");
    EXPECT_EQ(events_[0].time, 1291191960);
    EXPECT_DOUBLE_EQ(events_[0].value, 15.3);
    EXPECT_EQ(events_[0].id, "");
    EXPECT_EQ(r.describe_errors(), r.path + ":3: column \"CustomerID\": missing user");
}

// Reads a real file twice: once timing the parse alone (the sink only counts), once keeping
// the figures the checks need.
ReadReport timed_read(const std::string& path, double& sum, std::size_t& users) {
    std::uint64_t n = 0;
    auto start = std::chrono::steady_clock::now();
    ReadReport timed = read_events(path, {}, [&](const Event&) { ++n; });
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ perf     ] %s: %.1f MB in %.3f s (%.0f MB/s, %.0f rows/s)\n",
                fs::path(path).filename().c_str(), timed.bytes / 1e6, seconds,
                timed.bytes / 1e6 / seconds, timed.rows / seconds);
    EXPECT_EQ(n, timed.good_rows);

    std::set<std::string> distinct;
    sum = 0;
    ReadReport r = read_events(path, {}, [&](const Event& e) {
        sum += e.value;
        distinct.insert(e.user);
    });
    users = distinct.size();
    return r;
}

TEST(IngestRealData, MovielensRatings) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/ratings_users1-2999.dat");
    double sum = 0;
    std::size_t users = 0;
    ReadReport r = timed_read(path, sum, users);
    EXPECT_EQ(r.layout, "movielens ratings");
    EXPECT_EQ(r.format, "movielens");
    EXPECT_EQ(r.rows, 487650u);
    EXPECT_EQ(r.good_rows, 487650u);
    EXPECT_EQ(r.bad_rows, 0u);
    EXPECT_EQ(r.exact_duplicates, 0u);
    EXPECT_EQ(r.epoch_unit, "seconds");
    EXPECT_EQ(r.bytes, 11908773u);
    EXPECT_EQ(users, 2999u);
    EXPECT_DOUBLE_EQ(sum, 1741837.0);  // awk -F'::' '{s+=$3} END {print s}'
}

TEST(IngestRealData, OnlineRetail) {
    SEXTANT_REQUIRE_DATA(path, "online-retail/online_retail.csv");
    double sum = 0;
    std::size_t users = 0;
    ReadReport r = timed_read(path, sum, users);
    EXPECT_EQ(r.layout, "online retail");
    EXPECT_EQ(r.rows, 541909u);
    EXPECT_EQ(r.bad_rows, 135080u);
    EXPECT_EQ(r.bad_reasons.size(), 1u);
    EXPECT_EQ(r.bad_reasons.at("missing user"), 135080u);
    EXPECT_EQ(r.good_rows, 406829u);
    EXPECT_EQ(r.exact_duplicates, 5268u);  // the published UCI figure
    EXPECT_EQ(r.good_duplicates, 5225u);   // pandas, after dropping rows without CustomerID
    EXPECT_EQ(r.bytes, 48039726u);
    EXPECT_EQ(users, 4372u);
    // Python: sum(float(Quantity) * float(UnitPrice)) over rows with a CustomerID, file order.
    EXPECT_NEAR(sum, 8300065.8140035365, 1e-6);
    ASSERT_GE(r.first_errors.size(), 3u);
    EXPECT_EQ(r.first_errors[0].line, 624u);
    EXPECT_EQ(r.first_errors[1].line, 1445u);
    EXPECT_EQ(r.first_errors[2].line, 1446u);
    std::string described = r.describe_errors();
    EXPECT_EQ(described.substr(0, described.find('\n')),
              path + ":624: column \"CustomerID\": missing user");
    EXPECT_NE(described.find("... and 135,075 more bad rows (missing user: 135,080)"),
              std::string::npos);
}

}  // namespace
}  // namespace sextant
