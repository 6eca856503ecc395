"""Commands that do not need a container: spec, features, version/help, the JSON log."""

import json
import os

import pytest


def test_spec_writes_a_default_config(rt, tmp_path):
    d = tmp_path / "spec"
    d.mkdir()
    rt.ok("spec", cwd=d)
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["process"]["args"] == ["sh"]
    assert cfg["process"]["cwd"] == "/"
    assert cfg["root"]["path"] == "rootfs"
    ns = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "mount", "ipc", "uts", "network"} <= ns
    assert any(m["destination"] == "/proc" and m["type"] == "proc" for m in cfg["mounts"])


def test_spec_refuses_to_overwrite(rt, tmp_path):
    d = tmp_path / "spec"
    d.mkdir()
    (d / "config.json").write_text("{}\n")
    p = rt("spec", cwd=d)
    assert p.returncode == 1
    assert "exists" in p.stderr
    assert (d / "config.json").read_text() == "{}\n"


def test_spec_bundle_option(rt, tmp_path):
    d = tmp_path / "elsewhere"
    d.mkdir()
    rt.ok("spec", "--bundle", d, cwd=tmp_path)
    assert json.loads((d / "config.json").read_text())["root"]["path"] == "rootfs"
    assert not (tmp_path / "config.json").exists()


def test_spec_rootless(rt, tmp_path):
    d = tmp_path / "rl"
    d.mkdir()
    rt.ok("spec", "--rootless", cwd=d)
    cfg = json.loads((d / "config.json").read_text())
    assert "user" in {n["type"] for n in cfg["linux"]["namespaces"]}
    assert cfg["linux"]["uidMappings"] and cfg["linux"]["gidMappings"]


def test_spec_output_runs(rt, make_bundle):
    # what `spec` writes must be usable as it is (after the usual edits: args, terminal)
    b = make_bundle()
    os.unlink(os.path.join(b.path, "config.json"))
    rt.ok("spec", "--bundle", b.path)
    with open(os.path.join(b.path, "config.json")) as f:
        cfg = json.load(f)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["sh", "-c", "echo spec ok; hostname"]
    cfg["process"]["env"].append("BERTH_ITEST=" + b.tag)
    cfg["linux"]["cgroupsPath"] = b.cgroup
    b.config = cfg
    b.write()
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "spec ok"


def _missing(want, got):
    return sorted(set(want) - set(got))


def test_features_json(rt):
    f = json.loads(rt.ok("features").stdout)
    assert f["ociVersionMin"].startswith("1.0")
    assert f["ociVersionMax"].startswith("1.")
    hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
    assert _missing(hooks, f["hooks"]) == []
    # what config.json may use (the list): plain, propagation and recursive options
    opts = ["ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "private", "rprivate",
            "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", "tmpcopyup"]
    assert _missing(opts, f["mountOptions"]) == []
    lx = f["linux"]
    assert _missing(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"], lx["namespaces"]) == []
    assert _missing(["CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_KILL"], lx["capabilities"]) == []
    assert lx["cgroup"]["v1"] is True and lx["cgroup"]["v2"] is True
    assert lx["seccomp"]["enabled"] is True
    assert _missing(["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL"], lx["seccomp"]["actions"]) == []


def test_version_and_help(rt):
    p = rt.ok("--version")
    assert any(ln.startswith("spec: 1.") for ln in p.stdout.splitlines())
    p = rt.ok("--help")
    for cmd in ("create", "start", "run", "state", "kill", "delete", "list", "exec", "ps",
                "pause", "resume", "update", "spec", "events", "features"):
        assert cmd in p.stdout, cmd


def test_unknown_command_fails(rt):
    p = rt("frobnicate")
    assert p.returncode != 0
    assert "frobnicate" in p.stderr


def test_json_log_records_errors(rt, make_bundle, tmp_path):
    # containerd's shim passes --log FILE --log-format json and reads the error from FILE
    b = make_bundle("true")
    b.edited(lambda c: c["linux"]["namespaces"].append({"type": "foo"}))
    log = tmp_path / "log.json"
    p = rt("run", "--bundle", b.path, "c1", global_args=("--log", log, "--log-format", "json"))
    assert p.returncode == 1
    entries = [json.loads(ln) for ln in log.read_text().splitlines() if ln.strip()]
    errors = [e for e in entries if e.get("level") == "error"]
    assert errors, entries
    assert "foo" in errors[-1]["msg"]
    assert "time" in errors[-1]


@pytest.mark.parametrize("cmd", ["state", "start", "kill", "pause", "resume", "ps", "events"])
def test_commands_on_missing_container_fail(rt, cmd):
    p = rt(cmd, "nosuch")
    assert p.returncode == 1
    assert "does not exist" in p.stderr
