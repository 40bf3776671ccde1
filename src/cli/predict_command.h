// `sextant predict train` and `sextant predict score`: flags to options, results to text.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

namespace sextant::cli {

// The flags of both subcommands, bound to storage this object owns.
class PredictCommand {
public:
    // Adds `predict` with its two subcommands to app; `quiet` and `verbose` are the program's.
    PredictCommand(CLI::App& app, bool& quiet, bool& verbose);

    // Whether `predict` was the subcommand given.
    bool chosen() const { return predict_->parsed(); }

    // Runs the chosen subcommand and prints its result. Throws sextant::Error.
    void run() const;

private:
    struct Flags;
    CLI::App* predict_ = nullptr;
    CLI::App* train_ = nullptr;
    CLI::App* score_ = nullptr;
    std::shared_ptr<Flags> flags_;
};

}  // namespace sextant::cli
