#include <gtest/gtest.h>
#include <airssys/wasm/engine.hpp>
using namespace airssys::wasm;
TEST(Engine, Smoke) {
  Engine e;
  auto m = e.load_file(AIRSSYS_ENGINE_MODULES "/basic.wasm");
  ASSERT_TRUE(m) << m.error().message();
  auto i = Instance::create(**m, HostFunctions{}, Limits{});
  ASSERT_TRUE(i) << i.error().message();
  Value args[] = {Value::i32(1), Value::i32(2)};
  auto r = (*i)->call("add", args);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)[0].u32, 3u);
}
