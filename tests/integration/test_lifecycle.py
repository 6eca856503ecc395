"""Container lifecycle through runc's CLI: run, create/start/state, kill, delete, list."""

import json
import os
import signal

import helpers


def test_run_prints_output_and_cleans_up(rt, make_bundle):
    b = make_bundle("echo", "hello from berth")
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello from berth\n"
    # `run` without --detach deletes the container once its process has exited
    assert rt("state", "c1").returncode != 0
    assert rt.container_ids() == []


def test_run_propagates_exit_code(rt, make_bundle):
    b = make_bundle("sh", "-c", "echo out; echo err >&2; exit 42")
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 42
    assert p.stdout == "out\n"
    assert "err\n" in p.stderr


def test_run_with_bundle_from_cwd(rt, make_bundle):
    b = make_bundle("echo", "cwd bundle")
    p = rt("run", "c1", cwd=b.path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "cwd bundle\n"


def test_run_isolates_the_process(rt, make_bundle):
    # pid namespace: the shell is PID 1; uts: the configured hostname; mount: the rootfs
    b = make_bundle("sh", "-c", "echo $$; hostname; cat /etc/hostname >/dev/null; ls /bin/busybox; id -u")
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:4] == ["1", "berth-itest", "/bin/busybox", "0"]


def test_run_sysfs_shows_the_new_network_namespace(rt, make_bundle):
    # The new netns reaches the process after its clone, with the cgroup's message: it must
    # be joined before sysfs is mounted (sysfs shows the mounter's network namespace).
    b = make_bundle("sh", "-c", "readlink /proc/self/ns/net; ls /sys/class/net; cat /proc/net/dev")
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert lines[0].startswith("net:[") and lines[0] != os.readlink("/proc/self/ns/net")
    assert lines[1] == "lo"
    assert sum(1 for ln in lines[2:] if ":" in ln) == 1  # /proc/net/dev: lo alone
    assert rt.container_ids() == []


def test_run_process_env_and_cwd(rt, make_bundle):
    b = make_bundle("sh", "-c", 'echo "$FOO" "$(pwd)"')
    b.config["process"]["env"].append("FOO=bar baz")
    b.config["process"]["cwd"] = "/tmp"
    b.write()
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "bar baz /tmp\n"


def test_create_start_state_transitions(rt, make_bundle):
    b = make_bundle("sh", "-c", "echo started > /tmp/started; exec sleep 60")
    rt.create_ok("c1", b)
    st = rt.state("c1")
    assert st["status"] == "created"
    assert st["id"] == "c1"
    assert isinstance(st["ociVersion"], str) and st["ociVersion"].startswith("1.")
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b.path)
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert helpers.pid_alive(st["pid"])
    # the user's process has not run yet: create only prepares it
    marker = os.path.join(b.rootfs, "tmp", "started")
    assert not os.path.exists(marker)

    rt.ok("start", "c1")
    st2 = rt.wait_status("c1", "running")
    assert st2["pid"] == st["pid"]
    helpers.wait_for(lambda: os.path.exists(marker), what="the process to run after start")

    rt.ok("kill", "c1", "KILL")
    rt.wait_status("c1", "stopped")
    assert not helpers.pid_alive(st["pid"])
    rt.ok("delete", "c1")
    p = rt("state", "c1")
    assert p.returncode == 1
    assert "does not exist" in p.stderr
    assert rt.container_ids() == []


def test_state_json_is_the_spec_state(rt, make_bundle):
    b = make_bundle("sleep", "60")
    rt.create_ok("c1", b)
    st = rt.state("c1")
    for field in ("ociVersion", "id", "status", "pid", "bundle"):
        assert field in st, field
    rt.ok("delete", "--force", "c1")


def test_pid_file(rt, make_bundle, tmp_path):
    b = make_bundle("sleep", "60")
    pidfile = tmp_path / "init.pid"
    rt.create_ok("c1", b, "--pid-file", pidfile)
    assert int(pidfile.read_text()) == rt.state("c1")["pid"]
    rt.ok("delete", "--force", "c1")


def test_start_twice_is_refused(rt, make_bundle):
    b = make_bundle("sleep", "60")
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    p = rt("start", "c1")
    assert p.returncode == 1
    rt.ok("delete", "--force", "c1")


def test_kill_default_signal_is_term(rt, make_bundle):
    # PID 1 ignores signals it has no handler for: the trap proves TERM arrived
    b = make_bundle("sh", "-c", "trap 'echo got TERM > /tmp/sig; exit 0' TERM; echo ready > /tmp/ready; while :; do sleep 0.1; done")
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    helpers.wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "tmp/ready")), what="trap set")
    rt.ok("kill", "c1")
    rt.wait_status("c1", "stopped")
    with open(os.path.join(b.rootfs, "tmp/sig")) as f:
        assert f.read() == "got TERM\n"
    rt.ok("delete", "c1")


def test_kill_accepts_names_and_numbers(rt, make_bundle):
    for i, sig in enumerate(("SIGKILL", "KILL", "9")):
        cid = "k%d" % i
        b = make_bundle("sleep", "60")
        rt.create_ok(cid, b)
        rt.ok("start", cid)
        pid = rt.state(cid)["pid"]
        rt.ok("kill", cid, sig)
        rt.wait_status(cid, "stopped")
        assert not helpers.pid_alive(pid)
        rt.ok("delete", cid)


def test_kill_unknown_signal_is_refused(rt, make_bundle):
    b = make_bundle("sleep", "60")
    rt.create_ok("c1", b)
    p = rt("kill", "c1", "NOTASIGNAL")
    assert p.returncode == 1
    assert rt.state("c1")["status"] == "created"
    rt.ok("delete", "--force", "c1")


def test_delete_running_needs_force(rt, make_bundle):
    b = make_bundle("sleep", "60")
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    pid = rt.state("c1")["pid"]
    p = rt("delete", "c1")
    assert p.returncode == 1
    assert rt.state("c1")["status"] == "running"
    rt.ok("delete", "--force", "c1")
    assert not helpers.pid_alive(pid)
    assert rt("state", "c1").returncode == 1


def test_delete_created_container(rt, make_bundle):
    b = make_bundle("sleep", "60")
    rt.create_ok("c1", b)
    pid = rt.state("c1")["pid"]
    rt.ok("delete", "c1")
    helpers.wait_for(lambda: not helpers.pid_alive(pid), what="init to die")
    assert rt.container_ids() == []


def test_delete_force_of_missing_container_succeeds(rt):
    # containerd relies on this: delete --force of an unknown ID is not an error
    assert rt("delete", "--force", "nosuch").returncode == 0
    assert rt("delete", "nosuch").returncode == 1


def test_delete_removes_a_half_created_state_dir(rt):
    # what a create killed before it wrote state.json leaves: delete removes it (as runc),
    # reporting "does not exist" unless --force
    half = os.path.join(rt.root, "half")
    os.makedirs(half)
    p = rt("delete", "half")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert not os.path.exists(half)
    os.makedirs(half)
    assert rt("delete", "--force", "half").returncode == 0
    assert not os.path.exists(half)


def test_existing_id_refused(rt, make_bundle):
    b1 = make_bundle("sleep", "60")
    b2 = make_bundle("sleep", "60")
    rt.create_ok("c1", b1)
    pid = rt.state("c1")["pid"]
    p = rt.create("c1", b2)
    assert p.returncode == 1
    assert "exists" in p.stderr  # runc: "container with given ID already exists"
    st = rt.state("c1")  # the first one is untouched
    assert st["pid"] == pid and st["status"] == "created"
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b1.path)
    assert helpers.marked_pids(b2.tag) == []
    rt.ok("delete", "--force", "c1")


def test_list_table_json_and_quiet(rt, make_bundle):
    b1, b2 = make_bundle("sleep", "60"), make_bundle("sleep", "60")
    rt.create_ok("a1", b1)
    rt.create_ok("b2", b2)
    rt.ok("start", "b2")
    rt.wait_status("b2", "running")

    lines = rt.ok("list").stdout.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
    assert set(rows) == {"a1", "b2"}
    assert rows["a1"][1] == str(rt.state("a1")["pid"]) and rows["a1"][2] == "created"
    assert rows["b2"][2] == "running"
    assert os.path.realpath(rows["b2"][3]) == os.path.realpath(b2.path)

    js = json.loads(rt.ok("list", "--format", "json").stdout)
    by_id = {c["id"]: c for c in js}
    assert set(by_id) == {"a1", "b2"}
    assert by_id["b2"]["status"] == "running"
    assert by_id["a1"]["pid"] == rt.state("a1")["pid"]
    for c in js:
        assert {"id", "pid", "status", "bundle", "created"} <= set(c)

    assert sorted(rt.ok("list", "-q").stdout.split()) == ["a1", "b2"]
    rt.ok("delete", "--force", "a1")
    rt.ok("delete", "--force", "b2")
    assert rt.ok("list", "-q").stdout.strip() == ""


def test_list_empty_root(rt):
    p = rt.ok("list", "--format", "json")
    assert json.loads(p.stdout or "null") in (None, [])


def test_stopped_container_state_and_exit(rt, make_bundle):
    b = make_bundle("sh", "-c", "exit 0")
    rt.create_ok("c1", b)
    rt.ok("start", "c1")
    rt.wait_status("c1", "stopped")
    rt.ok("delete", "c1")


def test_run_detach(rt, make_bundle):
    b = make_bundle("sleep", "60")
    p = rt.create("c1", b, verb="run", extra_first=("--detach",))
    assert p.returncode == 0, p.stderr
    st = rt.wait_status("c1", "running")
    assert helpers.pid_alive(st["pid"])
    rt.ok("kill", "c1", str(int(signal.SIGKILL)))
    rt.wait_status("c1", "stopped")
    rt.ok("delete", "c1")
