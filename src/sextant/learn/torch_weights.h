// Moves a libtorch module's parameters and buffers to and from a model's Weights (model_dir.h).
//
// Includes <torch/torch.h>: include it only from model .cpp files.
#pragma once

#include <string>

#include <torch/torch.h>

#include "sextant/learn/model_dir.h"

namespace sextant {

// Adds every parameter and buffer of `module` as an f32 array named prefix + its name
// ("net.embedding.weight"). Throws sextant::Error (kInternal) on a tensor that is not float.
void module_to_weights(const torch::nn::Module& module, const std::string& prefix, Weights& out);

// Copies the arrays prefix + name into the module's parameters and buffers, which must all be
// present with the same shapes. Throws sextant::Error (kInvalidInput) naming in.source() and the
// array otherwise (the module is then partly overwritten: load into a fresh module).
void weights_to_module(const Weights& in, const std::string& prefix, torch::nn::Module& module);

}  // namespace sextant
