"""Operations on a running container: exec, ps, pause/resume, update, events."""

import json
import os
import subprocess
import time

import pytest

import helpers


@pytest.fixture
def running(rt, make_bundle):
    """A started container `c1` whose process sleeps; deleted afterwards."""
    b = make_bundle("sleep", "300")
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    st = rt.wait_status("c1", "running")
    yield b, st["pid"]
    rt("delete", "--force", "c1")


def test_exec_output_and_exit_code(rt, running):
    p = rt("exec", "c1", "echo", "hi from exec")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hi from exec\n"
    p = rt("exec", "c1", "sh", "-c", "echo oops >&2; exit 7")
    assert p.returncode == 7
    assert "oops" in p.stderr


def test_exec_joins_the_container(rt, running):
    b, _ = running
    # same pid namespace (PID 1 is the container's sleep), same hostname and root
    p = rt.ok("exec", "c1", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; echo $BERTH_ITEST")
    lines = p.stdout.splitlines()
    assert lines[0].strip() == "sleep 300"
    assert lines[1] == "berth-itest"
    # the exec'd process gets the config's environment (with the marker), not the caller's
    assert lines[2] == b.tag


def test_exec_env_cwd_user(rt, running):
    p = rt.ok("exec", "--env", "FOO=bar", "--cwd", "/tmp", "--user", "65534:65534", "c1",
              "sh", "-c", 'echo "$FOO $(pwd) $(id -u):$(id -g)"')
    assert p.stdout == "bar /tmp 65534:65534\n"


def test_exec_process_json(rt, running, tmp_path):
    proc = {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["sh", "-c", 'echo "$GREETING from $(pwd)"'],
        "env": ["PATH=/bin:/usr/bin", "GREETING=process.json"],
        "cwd": "/etc",
    }
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    p = rt.ok("exec", "--process", f, "c1")
    assert p.stdout == "process.json from /etc\n"


def test_exec_detached_and_ps(rt, running, tmp_path):
    _, init_pid = running
    out = tmp_path / "exec.out"
    with open(out, "w") as f:
        r = subprocess.run(rt.argv("exec", "--detach", "--pid-file", tmp_path / "exec.pid", "c1", "sleep", "299"),
                           stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=helpers.TIMEOUT)
    assert r.returncode == 0, out.read_text()
    exec_pid = int((tmp_path / "exec.pid").read_text())
    assert helpers.pid_alive(exec_pid)
    pids = json.loads(rt.ok("ps", "--format", "json", "c1").stdout)
    assert isinstance(pids, list) and all(isinstance(p, int) for p in pids)
    assert init_pid in pids and exec_pid in pids
    table = rt.ok("ps", "c1").stdout.splitlines()
    assert "PID" in table[0].split()
    assert any(str(exec_pid) in ln.split() for ln in table[1:])


def test_exec_in_stopped_container_refused(rt, make_bundle):
    b = make_bundle("true")
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    rt.wait_status("c1", "stopped")
    p = rt("exec", "c1", "echo", "no")
    assert p.returncode != 0  # runc: 255, its exit status for exec's own errors
    assert p.stdout == ""
    assert "stopped" in p.stderr
    rt.ok("delete", "c1")


def _counter_bundle(make_bundle):
    return make_bundle("sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done")


def _count(b):
    try:
        with open(os.path.join(b.rootfs, "tmp/count")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def test_pause_resume(rt, make_bundle):
    b = _counter_bundle(make_bundle)
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    pid = rt.wait_status("c1", "running")["pid"]
    helpers.wait_for(lambda: _count(b) > 2, what="the counter to run")

    rt.ok("pause", "c1")
    assert rt.state("c1")["status"] == "paused"
    frz = helpers.cgroup_file(pid, "freezer", "freezer.state", "cgroup.freeze")
    with open(frz) as f:
        assert f.read().strip() in ("FROZEN", "1")
    time.sleep(0.2)
    frozen_at = _count(b)
    time.sleep(0.5)
    assert _count(b) == frozen_at, "the process ran while paused"

    rt.ok("resume", "c1")
    assert rt.state("c1")["status"] == "running"
    helpers.wait_for(lambda: _count(b) > frozen_at + 2, what="the counter to run again")
    rt.ok("delete", "--force", "c1")


def test_delete_force_paused(rt, make_bundle):
    b = _counter_bundle(make_bundle)
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    pid = rt.wait_status("c1", "running")["pid"]
    rt.ok("pause", "c1")
    rt.ok("delete", "--force", "c1")
    helpers.wait_for(lambda: not helpers.pid_alive(pid), what="the paused process to die")
    assert rt("state", "c1").returncode == 1


def _read(path):
    with open(path) as f:
        return f.read().strip()


def test_update_memory_and_pids(rt, running):
    _, pid = running
    mem = helpers.cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max")
    pids = helpers.cgroup_file(pid, "pids", "pids.max", "pids.max")
    rt.ok("update", "--memory", "64M", "--pids-limit", "20", "c1")
    assert _read(mem) == str(64 << 20)
    assert _read(pids) == "20"


def test_update_resources_json_from_stdin(rt, running):
    # containerd and dockerd pass `update --resources -` with the spec's LinuxResources
    _, pid = running
    mem = helpers.cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max")
    pids = helpers.cgroup_file(pid, "pids", "pids.max", "pids.max")
    res = {"memory": {"limit": 96 << 20}, "pids": {"limit": 33}}
    rt.ok("update", "--resources", "-", "c1", input=json.dumps(res))
    assert _read(mem) == str(96 << 20)
    assert _read(pids) == "33"


def test_limits_from_config_applied(rt, make_bundle):
    b = make_bundle("sleep", "60")
    b.config["linux"]["resources"].update({"memory": {"limit": 80 << 20}, "pids": {"limit": 42}})
    b.write()
    rt.create_ok("c1", b)
    pid = rt.state("c1")["pid"]
    assert _read(helpers.cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max")) == str(80 << 20)
    assert _read(helpers.cgroup_file(pid, "pids", "pids.max", "pids.max")) == "42"
    rt.ok("delete", "--force", "c1")


def test_events_stats(rt, running):
    p = rt.ok("events", "--stats", "c1")
    ev = json.loads(p.stdout.splitlines()[0])
    assert ev["type"] == "stats"
    assert ev["id"] == "c1"
    data = ev["data"]
    assert data["pids"]["current"] >= 1
    assert data["memory"]["usage"]["usage"] > 0
    assert data["cpu"]["usage"]["total"] > 0


def test_events_stream_ends_when_container_goes(rt, running, tmp_path):
    out = tmp_path / "events.log"
    with open(out, "w") as f:
        ev = subprocess.Popen(rt.argv("events", "--interval", "100ms", "c1"),
                              stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
    try:
        helpers.wait_for(lambda: out.read_text().count("\n") >= 2, what="two stats events")
        first = json.loads(out.read_text().splitlines()[0])
        assert first["type"] == "stats" and first["id"] == "c1"
        rt.ok("delete", "--force", "c1")
        ev.wait(timeout=10)
    finally:
        if ev.poll() is None:
            ev.kill()
            ev.wait()
