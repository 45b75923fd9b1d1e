// The envelope pool is switched off under sanitizers, so these checks run in the plain build:
// blocks handed between threads keep their contents and never alias a block still in use.
#include <gtest/gtest.h>

#include <airssys/rt/detail/envelope_pool.hpp>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace airssys::rt::detail;

TEST(EnvelopePool, BlocksCrossThreadsIntactAndNeverAlias) {
  constexpr int kThreads = 4, kRounds = 20000;
  struct Block {
    unsigned char* p;
    std::size_t size;
    unsigned char tag;
  };
  std::mutex m;
  std::vector<Block> in_flight;  // allocated by one thread, freed by another
  std::set<unsigned char*> live;
  std::atomic<int> errors{0};
  auto worker = [&](int id) {
    for (int i = 0; i < kRounds; ++i) {
      const std::size_t size = 1 + static_cast<std::size_t>((i * 37 + id * 11) % 300);  // pooled and not
      auto* p = static_cast<unsigned char*>(pool_allocate(size));
      const auto tag = static_cast<unsigned char>(i + id);
      std::memset(p, tag, size);
      Block other{};
      {
        std::lock_guard lock(m);
        if (!live.insert(p).second) ++errors;  // handed out twice
        in_flight.push_back({p, size, tag});
        if (in_flight.size() > 64) {
          other = in_flight[static_cast<std::size_t>(i) % in_flight.size()];
          in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) % in_flight.size()));
          live.erase(other.p);
        }
      }
      if (other.p) {
        for (std::size_t k = 0; k < other.size; ++k)
          if (other.p[k] != other.tag) {
            ++errors;
            break;
          }
        pool_deallocate(other.p, other.size);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  for (auto& b : in_flight) pool_deallocate(b.p, b.size);
  EXPECT_EQ(errors.load(), 0);
}
