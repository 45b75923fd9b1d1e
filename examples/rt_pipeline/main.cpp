// A supervised pipeline on airssys::rt alone (no WebAssembly): a timer-driven source feeds a
// flaky transformer, which feeds a sink that aggregates and publishes progress on a topic.
// The transformer throws on every 7th item; its supervisor restarts it (with backoff) and the
// items queued meanwhile are kept. Run: build/default/examples/rt_pipeline/rt_pipeline [seconds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <airssys/rt/system.hpp>

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;

namespace {
struct Tick {};
struct Item {
  int n;
};
struct Total {};

class Source : public Actor {
  int next_ = 1;
  void receive(Message& m) override {
    if (!m.is<Tick>()) return;
    auto transformer = system().registry().lookup("transformer");
    if (transformer && transformer.tell(Item{next_})) ++next_;
  }
};

class Transformer : public Actor {
  int handled_ = 0;  // fresh after every restart
  void on_start() override { std::printf("  transformer: started\n"); }
  void on_restart(const Error& why) override { std::printf("  transformer: restarted after \"%s\"\n", why.context.c_str()); }
  void receive(Message& m) override {
    const int n = m.get<Item>().n;
    if (n % 7 == 0) throw std::runtime_error("cannot transform item " + std::to_string(n));
    ++handled_;
    (void)system().registry().lookup("sink").tell(Item{n * n});
  }
};

class Sink : public Actor {
  long sum_ = 0;
  int count_ = 0;
  void receive(Message& m) override {
    if (m.is<Total>()) {
      reply(sum_);
      return;
    }
    sum_ += m.get<Item>().n;
    if (++count_ % 10 == 0) system().broker().publish("pipeline.progress", count_);
  }
};

class Monitor : public Actor {
  void receive(Message& m) override {
    if (auto* p = m.get_if<Publication<int>>())
      std::printf("  monitor: %s -> %d items through the pipeline\n", p->topic().c_str(), p->value());
  }
};
}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  ActorSystem sys;
  std::printf("airssys rt demo: a supervised pipeline on %zu worker threads, for %d s\n", sys.worker_count(), seconds);

  SupervisorSpec spec;
  spec.strategy = Strategy::one_for_one;
  spec.max_restarts = 100;
  spec.within = 10s;
  spec.backoff = Backoff{5ms, 100ms, 2.0};
  auto child = [](std::string name, ActorFactory f) {
    auto c = ChildSpec::worker(std::move(name), std::move(f));
    c.register_name = true;
    return c;
  };
  spec.children = {child("sink", [] { return std::make_unique<Sink>(); }),
                   child("transformer", [] { return std::make_unique<Transformer>(); }),
                   child("source", [] { return std::make_unique<Source>(); })};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto monitor = sys.spawn<Monitor>().value();
  (void)sys.broker().subscribe("pipeline.#", monitor);
  sys.send_periodic(sys.child(sup, "source"), 20ms, Tick{});

  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  auto total = sys.child(sup, "sink").ask<long>(Total{}, 1s).get();
  const auto st = sys.stats();
  std::printf("\nsummary\n");
  std::printf("  sum of squares at the sink : %ld\n", total.value_or(-1));
  std::printf("  actors alive               : %llu\n", static_cast<unsigned long long>(st.actors_alive));
  std::printf("  messages handled           : %llu\n", static_cast<unsigned long long>(st.handled));
  std::printf("  failures / restarts        : %llu / %llu\n", static_cast<unsigned long long>(st.failures),
              static_cast<unsigned long long>(st.restarts));
  std::printf("  dead letters / drops       : %llu / %llu\n", static_cast<unsigned long long>(st.dead_letters),
              static_cast<unsigned long long>(st.dropped));
  sys.shutdown();
  std::printf("  shut down cleanly          : %s\n", sys.stats().actors_alive == 0 ? "yes" : "no");
  return total ? 0 : 1;
}
