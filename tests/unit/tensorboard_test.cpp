#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/learn/tensorboard.h"
#include "test_util.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

// The single event file a writer made in `dir`.
std::string only_event_file(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        files.push_back(entry.path().string());
    }
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? std::string() : files[0];
}

TEST(TensorBoard, Crc32cCheckValues) {
    // The standard check value, and the RFC 3720 (iSCSI) test vectors.
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c(""), 0u);
    EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
    EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
    std::string ascending;
    for (int i = 0; i < 32; ++i) {
        ascending.push_back(static_cast<char>(i));
    }
    EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(TensorBoard, MaskedCrc) {
    EXPECT_EQ(masked_crc32c(0), 0xa282ead8u);
    // 0xE3069283 rotated right by 15 is 0x2507C60D; plus 0xa282ead8 is 0xC78AB0E5.
    EXPECT_EQ(masked_crc32c(0xE3069283u), 0xC78AB0E5u);
    // The sum wraps modulo 2^32: rotr(0xFFFFFFFF) + delta.
    EXPECT_EQ(masked_crc32c(0xFFFFFFFFu), 0xa282ead7u);
}

TEST(TensorBoard, EventBytesByHand) {
    // Event{wall_time 1.5, step 3, summary{value{tag "a", simple_value 0.5}}}.
    std::string expected = bytes({0x09, 0,    0,   0, 0,   0, 0, 0xF8, 0x3F,  // field 1, double 1.5
                                  0x10, 0x03,                                 // field 2, varint 3
                                  0x2A, 0x0A,                                 // field 5, 10 bytes
                                  0x0A, 0x08,                  // Summary.value, 8 bytes
                                  0x0A, 0x01, 'a',             // Value.tag "a"
                                  0x15, 0,    0,   0, 0x3F});  // Value.simple_value 0.5
    EXPECT_EQ(encode_scalar_event("a", 3, 0.5f, 1.5), expected);

    std::string version = bytes({0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x1A, 0x0D});
    version += "brain.Event:2";
    EXPECT_EQ(encode_file_version_event(1.5), version);

    // A step of 300 takes two varint bytes: 0xAC 0x02.
    EXPECT_EQ(encode_scalar_event("a", 300, 0.5f, 1.5).substr(9, 3), bytes({0x10, 0xAC, 0x02}));
}

TEST(TensorBoard, RecordFramingByHand) {
    std::string dir = testing::make_temp_dir("tensorboard-frame");
    {
        TensorBoardWriter writer(dir, 1700000000.25);
        writer.add_scalar("a", 3, 0.5f, 1.5);
        writer.close();
    }
    std::string content = testing::read_file(only_event_file(dir));
    std::string first = encode_file_version_event(1700000000.25);
    std::string second = encode_scalar_event("a", 3, 0.5f, 1.5);
    ASSERT_EQ(content.size(), first.size() + second.size() + 2 * 16);

    // Second record: length 23 as 8 little-endian bytes, then its masked CRC, data, data CRC.
    std::string record = content.substr(first.size() + 16);
    std::string length = bytes({23, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_EQ(record.substr(0, 8), length);
    auto u32 = [](const std::string& s, std::size_t pos) {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos + i])) << (8 * i);
        }
        return v;
    };
    EXPECT_EQ(u32(record, 8), masked_crc32c(crc32c(length)));
    EXPECT_EQ(record.substr(12, 23), second);
    EXPECT_EQ(u32(record, 35), masked_crc32c(crc32c(second)));
    fs::remove_all(dir);
}

TEST(TensorBoard, RoundTrip) {
    std::string dir = testing::make_temp_dir("tensorboard") + "/run/nested";
    TensorBoardWriter writer(dir, 1700000000.5);
    for (int step = 1; step <= 3; ++step) {
        writer.add_scalar("train_loss", step, 1.0f / static_cast<float>(step), 1700000000.0 + step);
        writer.add_scalar("valid_ndcg@10", step, 0.1f * static_cast<float>(step),
                          1700000000.5 + step);
    }

    // Each record is flushed: the file is complete before close().
    std::string path = writer.path();
    EXPECT_EQ(fs::path(path).parent_path(), fs::path(dir));
    std::string name = fs::path(path).filename().string();
    EXPECT_EQ(name.rfind("events.out.tfevents.1700000000.", 0), 0u) << name;
    EXPECT_EQ(read_tensorboard_scalars(path).n_records, 7u);
    writer.close();
    writer.close();
    EXPECT_THROW(writer.add_scalar("late", 4, 0.0f, 0.0), Error);

    TensorBoardFile file = read_tensorboard_scalars(path);
    EXPECT_EQ(file.file_version, "brain.Event:2");
    EXPECT_EQ(file.n_records, 7u);
    ASSERT_EQ(file.scalars.size(), 6u);
    for (int step = 1; step <= 3; ++step) {
        const TensorBoardScalar& loss = file.scalars[2 * (step - 1)];
        const TensorBoardScalar& ndcg = file.scalars[2 * (step - 1) + 1];
        EXPECT_EQ(loss.tag, "train_loss");
        EXPECT_EQ(loss.step, step);
        EXPECT_EQ(loss.value, 1.0f / static_cast<float>(step));
        EXPECT_EQ(loss.wall_time, 1700000000.0 + step);
        EXPECT_EQ(ndcg.tag, "valid_ndcg@10");
        EXPECT_EQ(ndcg.step, step);
        EXPECT_EQ(ndcg.value, 0.1f * static_cast<float>(step));
        EXPECT_EQ(ndcg.wall_time, 1700000000.5 + step);
    }
    fs::remove_all(fs::path(dir).parent_path().parent_path());
}

TEST(TensorBoard, TwoWritersInOneSecondGetTwoFiles) {
    std::string dir = testing::make_temp_dir("tensorboard-two");
    TensorBoardWriter a(dir, 1700000000.0);
    TensorBoardWriter b(dir, 1700000000.9);
    EXPECT_NE(a.path(), b.path());
    EXPECT_EQ(b.path(), a.path() + ".1");
    fs::remove_all(dir);
}

TEST(TensorBoard, NegativeStepsAndSpecialValuesRoundTrip) {
    std::string dir = testing::make_temp_dir("tensorboard-special");
    TensorBoardWriter writer(dir, 0.0);
    writer.add_scalar("x", -5, -0.0f, 0.0);
    writer.add_scalar("", INT64_MAX, 3.0e38f, 0.0);
    writer.close();
    TensorBoardFile file = read_tensorboard_scalars(writer.path());
    ASSERT_EQ(file.scalars.size(), 2u);
    EXPECT_EQ(file.scalars[0].step, -5);
    EXPECT_TRUE(std::signbit(file.scalars[0].value));
    EXPECT_EQ(file.scalars[1].tag, "");
    EXPECT_EQ(file.scalars[1].step, INT64_MAX);
    EXPECT_EQ(file.scalars[1].value, 3.0e38f);
    fs::remove_all(dir);
}

// Writes a small file and returns its bytes.
std::string sample_file(const std::string& dir) {
    TensorBoardWriter writer(dir, 1700000000.0);
    writer.add_scalar("train_loss", 1, 0.75f, 1700000001.0);
    writer.add_scalar("train_loss", 2, 0.5f, 1700000002.0);
    writer.close();
    return testing::read_file(writer.path());
}

void expect_invalid(const std::string& path, const std::string& words) {
    try {
        read_tensorboard_scalars(path);
        ADD_FAILURE() << "no error for " << words;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        std::string message = e.what();
        EXPECT_NE(message.find(words), std::string::npos) << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
    }
}

TEST(TensorBoard, CorruptedByteIsACrcMismatch) {
    std::string dir = testing::make_temp_dir("tensorboard-corrupt");
    std::string good = sample_file(dir + "/good");
    std::string path = dir + "/bad.tfevents";

    // Flip one bit in every byte position in turn: each record region, its CRCs included.
    for (std::size_t pos = 0; pos < good.size(); ++pos) {
        std::string bad = good;
        bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
        testing::write_file(path, bad);
        try {
            read_tensorboard_scalars(path);
            ADD_FAILURE() << "corrupted byte " << pos << " was not noticed";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
        }
    }

    // A byte inside the last record's data names the CRC and the record's offset.
    std::string bad = good;
    bad[good.size() - 6] = static_cast<char>(bad[good.size() - 6] ^ 0x01);
    testing::write_file(path, bad);
    expect_invalid(path, "CRC mismatch in the data");
    std::size_t last_record =
        good.size() - (16 + encode_scalar_event("train_loss", 2, 0.5f, 1700000002.0).size());
    expect_invalid(path, "record at byte " + std::to_string(last_record));

    // A byte of the first length is caught by the length CRC.
    bad = good;
    bad[0] = static_cast<char>(bad[0] ^ 0x01);
    testing::write_file(path, bad);
    expect_invalid(path, "CRC mismatch in the length");
    fs::remove_all(dir);
}

TEST(TensorBoard, TruncatedFileIsAnError) {
    std::string dir = testing::make_temp_dir("tensorboard-truncated");
    std::string good = sample_file(dir + "/good");
    std::string path = dir + "/cut.tfevents";
    for (std::size_t cut : {good.size() - 1, good.size() - 10, std::size_t{5}}) {
        testing::write_file(path, good.substr(0, cut));
        expect_invalid(path, "truncated");
    }
    testing::write_file(path, "");
    EXPECT_EQ(read_tensorboard_scalars(path).n_records, 0u);
    fs::remove_all(dir);
}

TEST(TensorBoard, WellFramedGarbageIsMalformed) {
    // A record whose CRCs are right but whose data is not an Event (a length running past the end).
    std::string data = bytes({0x2A, 0x7F, 0x01});
    std::string length = bytes({3, 0, 0, 0, 0, 0, 0, 0});
    auto put = [](std::string& out, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        }
    };
    std::string record = length;
    put(record, masked_crc32c(crc32c(length)));
    record += data;
    put(record, masked_crc32c(crc32c(data)));
    std::string dir = testing::make_temp_dir("tensorboard-garbage");
    std::string path = dir + "/garbage.tfevents";
    testing::write_file(path, record);
    expect_invalid(path, "malformed");
    fs::remove_all(dir);
}

TEST(TensorBoard, IoErrorsNameThePath) {
    std::string dir = testing::make_temp_dir("tensorboard-io");
    std::string blocker = dir + "/file";
    testing::write_file(blocker, "x");
    try {
        TensorBoardWriter writer(blocker + "/sub");
        ADD_FAILURE() << "a folder under a file was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kIo);
        EXPECT_NE(std::string(e.what()).find(blocker), std::string::npos) << e.what();
    }
    try {
        read_tensorboard_scalars(dir + "/missing");
        ADD_FAILURE() << "a missing file was read";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kIo);
        EXPECT_NE(std::string(e.what()).find(dir + "/missing"), std::string::npos);
    }
    fs::remove_all(dir);
}

TEST(TensorBoard, ReadableByTensorBoardItself) {
    std::string output;
    if (testing::run_command("/usr/bin/python3 -c 'import tensorboard' 2>&1", &output) != 0) {
        GTEST_SKIP() << "/usr/bin/python3 has no tensorboard module; the file was checked only "
                        "against the hand-encoded bytes and this reader";
    }
    std::string dir = testing::make_temp_dir("tensorboard-python");
    {
        TensorBoardWriter writer(dir, 1700000000.0);
        writer.add_scalar("train_loss", 1, 0.25f, 1700000001.0);
        writer.add_scalar("train_loss", 2, 0.125f, 1700000002.0);
    }
    std::string script =
        "from tensorboard.backend.event_processing import event_accumulator as ea\n"
        "a = ea.EventAccumulator('" +
        dir +
        "')\n"
        "a.Reload()\n"
        "print(';'.join('%d=%g' % (e.step, e.value) for e in a.Scalars('train_loss')))\n";
    testing::write_file(dir + "/check.py", script);
    ASSERT_EQ(testing::run_command("/usr/bin/python3 " + dir + "/check.py 2>&1", &output), 0)
        << output;
    EXPECT_NE(output.find("1=0.25;2=0.125"), std::string::npos) << output;
    fs::remove_all(dir);
}

}  // namespace
}  // namespace sextant
