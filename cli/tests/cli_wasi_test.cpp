// WASI components (plain C on wasi-libc, wasm/wasi/tests/guests/wasi_app.c) through the real
// `airssys` binary: invoke prints their lines, preopens --dir, refuses escapes; inspect lists
// the WASI imports; run takes grants.filesystem from the manifest.
#include <fstream>

#include "cli_fixture.hpp"

using namespace airssys_cli_test;

namespace {

TEST_F(CliTest, InvokeWasiComponentPrintsItsLines) {
  auto r = airssys({"invoke", guest("wasi_app"), "--message", "hello", "--setting", "GREETING=hej"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_HAS(r.err, "[info] invoke/wasi_app: init: greeting is 'hej'");
  EXPECT_HAS(r.err, "[info] invoke/wasi_app: hej from plain C");
  r = airssys({"invoke", guest("wasi_app"), "--message", "env:HOME"});
  EXPECT_EQ(r.out, "(unset)\n");
}

TEST_F(CliTest, InvokeWasiFilesNeedDir) {
  auto r = airssys({"invoke", guest("wasi_app"), "--message", "write:a.txt:data"});
  EXPECT_EQ(r.out, "err:76\n");  // no --dir: ENOTCAPABLE inside the guest
  EXPECT_HAS(r.err, "denied wasi.path_open 'a.txt': no filesystem grant");
  fs::create_directories(dir_ / "files");
  r = airssys({"invoke", guest("wasi_app"), "--dir", (dir_ / "files").string(), "--message", "write:a.txt:data"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_EQ(slurp(dir_ / "files" / "a.txt"), "data");
  r = airssys({"invoke", guest("wasi_app"), "--dir", (dir_ / "files").string(), "--fs", "read-only", "--message",
               "read:a.txt"});
  EXPECT_EQ(r.out, "data\n");
  r = airssys({"invoke", guest("wasi_app"), "--dir", (dir_ / "files").string(), "--message", "read:../.stdout"});
  EXPECT_HAS(r.out, "err:");
  r = airssys({"invoke", guest("wasi_app"), "--dir", (dir_ / "files").string(), "--quota", "8B", "--message",
               "write:b.txt:0123456789"});
  EXPECT_EQ(r.out, "err:51\n");  // ENOSPC: over the quota
}

TEST_F(CliTest, InvokeWasiExitCodes) {
  auto r = airssys({"invoke", guest("wasi_app"), "--message", "exit:3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.err, "exited with code 3");
  r = airssys({"invoke", guest("wasi_app"), "--message", "exit:0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.err, "exited with code 0");
}

TEST_F(CliTest, InvokeWasiBadInputs) {
  auto r = airssys({"invoke", guest("wasi_app"), "--fs", "everything", "--message", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "--fs 'everything' is not read-only, read-write or none");
  r = airssys({"invoke", guest("wasi_app"), "--fs", "read-only", "--message", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "needs --dir");
  r = airssys({"invoke", guest("wasi_app"), "--dir", (dir_ / "nope").string(), "--message", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "is not a directory");
  r = airssys({"invoke", guest("wasi_command"), "--message", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "-mexec-model=reactor");
}

TEST_F(CliTest, InspectListsWasiImports) {
  auto r = airssys({"inspect", guest("wasi_app")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "component yes");
  EXPECT_HAS(r.out, "functions of wasi_snapshot_preview1");
  EXPECT_HAS(r.out, "            fd_write\n");
  EXPECT_HAS(r.out, "            path_open  (files: needs grants.filesystem)");
  EXPECT_HAS(r.out, "            fd_renumber  (not provided: returns ENOSYS)");
  EXPECT_HAS(r.out, "without it, wasi.path_open and the other file calls fail with ENOTCAPABLE");
  EXPECT_HAS(r.out, "optional  grants.filesystem");
  r = airssys({"inspect", "--json", guest("wasi_app")});
  EXPECT_HAS(r.out, "\"wasi_functions\"");
  EXPECT_HAS(r.out, "\"fd_write\"");
  EXPECT_HAS(r.out, "\"foreign_imports\": []");
  r = airssys({"inspect", guest("wasi_command")});
  EXPECT_HAS(r.out, "component no");
  EXPECT_HAS(r.out, "_start");
}

TEST_F(CliTest, RunTakesTheFilesystemGrantFromTheManifest) {
  write("system.toml", "[system]\ndata_dir = \"data\"\n\n[[component]]\naddress = \"demo/app\"\nwasm = \"" +
                           guest("wasi_app") + "\"\nsettings = { GREETING = \"salut\" }\n"
                           "grants = { filesystem = \"read-write\" }\n");
  auto r = airssys({"check", (dir_ / "system.toml").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  r = airssys({"run", (dir_ / "system.toml").string(), "--for", "300ms", "--no-status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.err, "init: greeting is 'salut'");
  EXPECT_TRUE(fs::is_directory(dir_ / "data" / "files" / "demo%2Fapp"));

  write("bad.toml", "[[component]]\naddress = \"demo/app\"\nwasm = \"" + guest("wasi_app") +
                        "\"\ngrants = { filesystem = \"everything\" }\n");
  r = airssys({"check", (dir_ / "bad.toml").string()});
  EXPECT_NE(r.code, 0);
  EXPECT_HAS(r.err, "bad.toml:4:");
  EXPECT_HAS(r.err, "grants.filesystem: 'everything' is not a mode");
}

}  // namespace
