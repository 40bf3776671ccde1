// A small work-sharing loop for the recommenders and the evaluation.
//
// Tasks 0..n_tasks-1 are handed to n_threads std::threads through one atomic counter, so a slow
// task never holds back the others. Results must be written per task (never accumulated across
// tasks in completion order) so that they do not depend on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sextant::detail {

// Calls fn(task, thread) for every task; `thread` is in [0, n_threads) and identifies per-thread
// scratch space. The first exception thrown by any call is rethrown here after all threads have
// stopped; the remaining tasks are then skipped. n_threads 0 counts as 1.
template <typename Fn>
void parallel_for(std::size_t n_tasks, std::size_t n_threads, Fn&& fn) {
    n_threads = std::clamp<std::size_t>(n_threads, 1, std::max<std::size_t>(n_tasks, 1));
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;

    auto work = [&](std::size_t thread) {
        while (!failed.load(std::memory_order_relaxed)) {
            std::size_t task = next.fetch_add(1);
            if (task >= n_tasks) {
                return;
            }
            try {
                fn(task, thread);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) {
                    error = std::current_exception();
                }
                failed = true;
            }
        }
    };

    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < n_threads; ++t) {
        threads.emplace_back(work, t);
    }
    work(0);
    for (std::thread& thread : threads) {
        thread.join();
    }
    if (error) {
        std::rethrow_exception(error);
    }
}

}  // namespace sextant::detail
