#include "sextant/predict/ensemble.h"

#include "sextant/core/error.h"

namespace sextant {

Ensemble::Ensemble(std::vector<std::shared_ptr<Classifier>> members)
    : members_(std::move(members)) {
    if (members_.empty()) {
        throw_invalid("ensemble: no members");
    }
    for (const auto& m : members_) {
        if (!m) {
            throw_invalid("ensemble: a member is missing");
        }
    }
}

void Ensemble::fit(const Dataset& train, const Dataset& valid) {
    for (auto& m : members_) {
        m->fit(train, valid);
    }
}

std::size_t Ensemble::n_features() const {
    std::size_t n = members_.front()->n_features();
    for (const auto& m : members_) {
        if (m->n_features() != n) {
            return 0;  // members fitted on different columns: not a usable ensemble
        }
    }
    return n;
}

std::vector<double> Ensemble::predict_proba(const Dataset& x) const {
    if (n_features() == 0) {
        throw Error(ErrorKind::kInternal, "ensemble: predict called before its members are fitted");
    }
    std::vector<double> mean(x.n_rows, 0.0);
    for (const auto& m : members_) {
        std::vector<double> p = m->predict_proba(x);
        for (std::size_t r = 0; r < mean.size(); ++r) {
            mean[r] += p[r];
        }
    }
    for (double& v : mean) {
        v /= static_cast<double>(members_.size());
    }
    return mean;
}

std::vector<Attribution> Ensemble::explain(const Dataset& x) const {
    if (n_features() == 0) {
        throw Error(ErrorKind::kInternal, "ensemble: explain called before its members are fitted");
    }
    std::vector<Attribution> out(x.n_rows);
    for (auto& a : out) {
        a.values.assign(x.n_cols, 0.0);
    }
    double k = 1.0 / static_cast<double>(members_.size());
    for (const auto& m : members_) {
        std::vector<Attribution> part = m->explain(x);
        for (std::size_t r = 0; r < out.size(); ++r) {
            for (std::size_t c = 0; c < x.n_cols; ++c) {
                out[r].values[c] += k * part[r].values[c];
            }
            out[r].base += k * part[r].base;
            out[r].output += k * part[r].output;
        }
    }
    return out;
}

nlohmann::json Ensemble::config() const {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : members_) {
        members.push_back({{"kind", m->name()}, {"config", m->config()}});
    }
    return {{"members", std::move(members)}};
}

void Ensemble::save(Weights& out) const {
    for (std::size_t i = 0; i < members_.size(); ++i) {
        Weights own;
        members_[i]->save(own);
        for (const auto& [name, array] : own.arrays()) {
            out.put("ensemble." + std::to_string(i) + "." + name, array);
        }
    }
}

void Ensemble::load(const Weights& in) {
    for (std::size_t i = 0; i < members_.size(); ++i) {
        std::string prefix = "ensemble." + std::to_string(i) + ".";
        Weights own;
        own.set_source(in.source());
        for (const auto& [name, array] : in.arrays()) {
            if (name.rfind(prefix, 0) == 0) {
                own.put(name.substr(prefix.size()), array);
            }
        }
        members_[i]->load(own);
    }
}

std::unique_ptr<Ensemble> Ensemble::from_config(const nlohmann::json& config,
                                                const std::string& source) {
    if (!config.contains("members") || !config["members"].is_array() || config["members"].empty()) {
        throw_invalid(source + ": field \"members\": expected a non-empty array");
    }
    std::vector<std::shared_ptr<Classifier>> members;
    for (const auto& m : config["members"]) {
        if (!m.is_object() || !m.contains("kind") || !m["kind"].is_string() ||
            m["kind"] == "ensemble") {
            throw_invalid(source +
                          ": field \"members\": each needs a \"kind\" other than ensemble");
        }
        nlohmann::json member_config =
            m.contains("config") ? m["config"] : nlohmann::json::object();
        members.push_back(make_classifier(m["kind"].get<std::string>(), member_config, source));
    }
    return std::make_unique<Ensemble>(std::move(members));
}

}  // namespace sextant
