"""berth-monitor (notes/monitor-protocol.md): the per-container monitor run directly, as
the daemon does: ready line, exit.json, json-file log with rotation, attach.sock framing
and stdin, control.sock, tty, exec mode, and nothing left afterwards."""

import json
import os
import re
import select
import socket
import struct
import subprocess
import time

import pytest

import helpers

MONITOR = os.environ.get("MONITOR", str(helpers.TOP / "build" / "berth-monitor"))
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


@pytest.fixture(scope="module", autouse=True)
def _need_monitor():
    if not os.access(MONITOR, os.X_OK):
        pytest.fail("%s not found: run make" % MONITOR)


class Mon:
    """One monitor started as the daemon would: fork+exec, ready pipe, no waiting."""

    def __init__(self, tmp_path, name):
        self.state = tmp_path / ("state-" + name)
        self.state.mkdir()
        self.err = tmp_path / ("monitor-%s.err" % name)
        self.ready = None
        self.pid = None

    def start(self, mode, *args, timeout=20, fds=()):
        r, w = os.pipe()
        argv = [str(MONITOR), mode, "--state-dir", str(self.state), "--ready-fd", str(w)]
        argv += [str(a) for a in args]
        with open(self.err, "ab") as err:
            p = subprocess.Popen(
                argv, pass_fds=(w, *fds), stdin=subprocess.DEVNULL, stdout=err, stderr=err
            )
        os.close(w)
        # The first process exits at once: the monitor proper lives on, detached.
        assert p.wait(timeout=timeout) == 0
        data = b""
        end = time.monotonic() + timeout
        while not data.endswith(b"\n") and time.monotonic() < end:
            ready, _, _ = select.select([r], [], [], 0.5)
            if ready:
                chunk = os.read(r, 4096)
                if not chunk:
                    break
                data += chunk
        os.close(r)
        assert data.endswith(b"\n"), "no ready line; monitor stderr: %s" % self.err.read_text()
        assert data.count(b"\n") == 1
        self.ready = json.loads(data)
        pidfile = self.state / "monitor.pid"
        if pidfile.exists():
            self.pid = int(pidfile.read_text())
        return self.ready

    def wait(self, timeout=20):
        if self.pid:
            helpers.wait_for(lambda: not helpers.pid_alive(self.pid), timeout, what="monitor exit")
        return json.loads((self.state / "exit.json").read_text())

    def wait_gone(self, timeout=20):
        """Until no monitor of this state directory is left (after an error there is
        no monitor.pid to tell its pid)."""
        helpers.wait_for(
            lambda: not [p for p in helpers.pids_with_arg(str(self.state)) if helpers.pid_alive(p)],
            timeout,
            what="monitor exit",
        )

    def sock(self, name):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(str(self.state / name))
        return s

    def attach(self, stdin=False, stdout=True, stderr=True):
        s = self.sock("attach.sock")
        req = {"stdin": stdin, "stdout": stdout, "stderr": stderr, "logs": False}
        s.sendall(json.dumps(req).encode() + b"\n")
        return s

    def control(self, req):
        s = self.sock("control.sock")
        s.sendall(json.dumps(req).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    def assert_gone(self):
        for f in ("attach.sock", "control.sock", "monitor.pid"):
            assert not (self.state / f).exists(), f


def read_frames(s):
    """Reads frames until EOF: {stream: bytes}."""
    buf = bytearray()
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    data = memoryview(bytes(buf))
    out = {1: bytearray(), 2: bytearray()}
    i = 0
    while i < len(data):
        assert i + 5 <= len(data), "truncated frame header"
        stream, n = struct.unpack(">BI", data[i : i + 5])
        assert stream in (1, 2)
        assert i + 5 + n <= len(data), "truncated frame"
        out[stream] += data[i + 5 : i + 5 + n]
        i += 5 + n
    return {k: bytes(v) for k, v in out.items()}


def log_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_mon(rt, bundle, tmp_path, *flags, name="c1"):
    m = Mon(tmp_path, name)
    m.start("run", "--runtime-root", rt.root, "--id", name, "--bundle", bundle.path, *flags)
    return m


def test_run_echo_ready_exit_and_cleanup(rt, make_bundle, tmp_path):
    b = make_bundle("echo", "hello")
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--log-path", log)
    assert isinstance(m.ready["pid"], int) and m.ready["pid"] > 1
    assert TIME_RE.match(m.ready["started_at"])
    assert m.pid and m.pid != m.ready["pid"]
    ex = m.wait()
    assert ex["ExitCode"] == 0 and ex["Signal"] == 0 and ex["OOMKilled"] is False
    assert ex["StartedAt"] == m.ready["started_at"]
    assert TIME_RE.match(ex["FinishedAt"]) and ex["FinishedAt"] >= ex["StartedAt"]
    assert ex["Error"] == ""
    lines = log_lines(log)
    assert [(x["log"], x["stream"]) for x in lines] == [("hello\n", "stdout")]
    m.assert_gone()
    assert rt.container_ids() == []
    assert not helpers.pid_alive(m.ready["pid"])
    m.wait_gone()
    assert not helpers.cgroup_dirs(b.tag)
    assert not helpers.mounts_under(b.path)
    assert helpers.dev_null_ok()


def listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(8)
    return s


def test_daemon_made_sockets_serve_queued_clients_from_the_first_byte(rt, make_bundle, tmp_path):
    """--attach-fd/--control-fd: the daemon's listening sockets; a client connected before
    the monitor ran gets all the output (no --wait-start round trip)."""
    b = make_bundle("sh", "-c", "echo first; echo second >&2; sleep 0.3; exit 5")
    m = Mon(tmp_path, "fds")
    la, lc = listening(m.state / "attach.sock"), listening(m.state / "control.sock")
    early = m.attach()  # queued on the daemon's socket: the monitor does not exist yet
    args = ["--runtime-root", rt.root, "--id", "fds", "--bundle", b.path]
    args += ["--attach-fd", la.fileno(), "--control-fd", lc.fileno()]
    m.start("run", *args, fds=(la.fileno(), lc.fileno()))
    la.close()
    lc.close()
    assert m.control({"op": "status"})["ok"] is True
    assert read_frames(early) == {1: b"first\n", 2: b"second\n"}
    assert m.wait()["ExitCode"] == 5
    m.assert_gone()
    assert rt.container_ids() == []
    m.wait_gone()


def test_socket_fds_go_together(tmp_path):
    m = Mon(tmp_path, "onefd")
    la = listening(m.state / "attach.sock")
    r, w = os.pipe()
    p = subprocess.run(
        [str(MONITOR), "run", "--runtime-root", str(tmp_path), "--id", "x", "--bundle",
         str(tmp_path), "--state-dir", str(m.state), "--ready-fd", str(w), "--attach-fd",
         str(la.fileno())],
        pass_fds=(w, la.fileno()),
        capture_output=True,
        text=True,
    )
    os.close(w)
    la.close()
    ready = json.loads(os.read(r, 4096))
    os.close(r)
    assert p.returncode == 2 and ready["exit_code"] == 125
    assert "--control-fd" in ready["error"]


def test_exit_code(rt, make_bundle, tmp_path):
    b = make_bundle("sh", "-c", "exit 3")
    m = run_mon(rt, b, tmp_path)
    ex = m.wait()
    assert (ex["ExitCode"], ex["Signal"]) == (3, 0)
    m.assert_gone()
    assert rt.container_ids() == []


def test_killed_by_signal(rt, make_bundle, tmp_path):
    # The init of a pid namespace can't SIGKILL itself: the kill comes from outside.
    b = make_bundle("sleep", "100")
    m = run_mon(rt, b, tmp_path)
    assert m.control({"op": "status"})["running"] is True
    # Nothing of the monitor's leaks into the container: only its stdio (once the
    # runtime's init has become the container's process: the ready line may come first).
    comm = "/proc/%d/comm" % m.ready["pid"]
    helpers.wait_for(lambda: open(comm).read().strip() == "sleep", what="exec of sleep")
    assert sorted(os.listdir("/proc/%d/fd" % m.ready["pid"])) == ["0", "1", "2"]
    os.kill(m.ready["pid"], 9)
    ex = m.wait()
    assert (ex["ExitCode"], ex["Signal"]) == (137, 9)
    m.assert_gone()
    assert rt.container_ids() == []


def test_log_streams_and_split_lines(rt, make_bundle, tmp_path):
    b = make_bundle(
        "sh", "-c", "printf 'a\\nb\\n'; printf 'e1\\n' >&2; printf 'c'; sleep 0.2; printf 'd\\ne'"
    )
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--log-path", log)
    assert m.wait()["ExitCode"] == 0
    lines = log_lines(log)
    for x in lines:
        assert set(x) == {"log", "stream", "time"}
        assert TIME_RE.match(x["time"])
    out = [x["log"] for x in lines if x["stream"] == "stdout"]
    err = [x["log"] for x in lines if x["stream"] == "stderr"]
    # A partial line waits for its end ("c" + "d\n"); the last one is flushed at exit.
    assert out == ["a\n", "b\n", "cd\n", "e"]
    assert err == ["e1\n"]
    raw = log.read_text()
    assert raw.startswith('{"log":"a\\n","stream":"stdout","time":"')


def test_log_escaping(rt, make_bundle, tmp_path):
    b = make_bundle("sh", "-c", "printf '<tag> & \"q\" \\\\ \\t\\001\\n'")
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--log-path", log)
    assert m.wait()["ExitCode"] == 0
    raw = log.read_text()
    assert '"log":"\\u003ctag\\u003e \\u0026 \\"q\\" \\\\ \\t\\u0001\\n"' in raw
    assert log_lines(log)[0]["log"] == '<tag> & "q" \\ \t\x01\n'


def test_attach_output_stdin_and_eof(rt, make_bundle, tmp_path):
    b = make_bundle("sh", "-c", "read x; echo got-$x; echo err-$x >&2; exit 4")
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--stdin", "--log-path", log)
    watcher = m.attach()  # output only
    only_err = m.attach(stdout=False)
    s = m.attach(stdin=True)
    time.sleep(0.2)  # all three registered before the output exists
    s.sendall(b"hi\n")
    for c in (s, watcher):
        got = read_frames(c)
        assert got[1] == b"got-hi\n" and got[2] == b"err-hi\n"
    assert read_frames(only_err) == {1: b"", 2: b"err-hi\n"}
    assert m.wait()["ExitCode"] == 4
    lines = log_lines(log)
    assert sorted((x["stream"], x["log"]) for x in lines) == [
        ("stderr", "err-hi\n"),
        ("stdout", "got-hi\n"),
    ]
    m.assert_gone()


def test_stdin_once_cat(rt, make_bundle, tmp_path):
    b = make_bundle("cat")
    m = run_mon(rt, b, tmp_path, "--stdin", "--stdin-once")
    s = m.attach(stdin=True)
    s.sendall(b"abc\n" + b"x" * 100000 + b"\n")
    s.shutdown(socket.SHUT_WR)
    got = read_frames(s)
    assert got[1] == b"abc\n" + b"x" * 100000 + b"\n" and got[2] == b""
    assert m.wait()["ExitCode"] == 0


def test_stdin_not_closed_without_once(rt, make_bundle, tmp_path):
    b = make_bundle("cat")
    m = run_mon(rt, b, tmp_path, "--stdin")
    s = m.attach(stdin=True)
    s.sendall(b"one\n")
    s.shutdown(socket.SHUT_WR)
    time.sleep(0.3)
    assert m.control({"op": "status"}) == {"ok": True, "pid": m.ready["pid"], "running": True}
    assert m.control({"op": "close-stdin"}) == {"ok": True}
    assert read_frames(s)[1] == b"one\n"
    assert m.wait()["ExitCode"] == 0


def test_vanishing_client_and_bad_requests(rt, make_bundle, tmp_path):
    b = make_bundle("sh", "-c", "read x; i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done")
    m = run_mon(rt, b, tmp_path, "--stdin")
    gone = m.attach()
    gone.close()
    bad = m.sock("attach.sock")
    bad.sendall(b"not json\n")
    assert bad.recv(10) == b""
    assert m.control({"op": "nope"})["ok"] is False
    assert m.control({"op": "resize", "height": "x"})["ok"] is False
    s = m.attach(stdin=True)
    s.sendall(b"go\n")
    out = read_frames(s)[1].decode()
    assert out.splitlines()[-1] == "line-1999" and len(out.splitlines()) == 2000
    assert m.wait()["ExitCode"] == 0


def test_missing_command_is_127_and_nothing_left(rt, make_bundle, tmp_path):
    b = make_bundle("/no/such/cmd")
    m = Mon(tmp_path, "bad")
    ready = m.start("run", "--runtime-root", rt.root, "--id", "bad", "--bundle", b.path)
    assert ready["exit_code"] == 127, ready
    assert "no such file or directory" in ready["error"].lower()
    assert "pid" not in ready
    m.wait_gone()
    assert not (m.state / "exit.json").exists()
    m.assert_gone()
    assert rt.container_ids() == []
    assert not [c for c in helpers.cgroup_dirs(b.tag) if os.path.basename(c) == b.tag]


def test_not_executable_is_126(rt, make_bundle, tmp_path):
    b = make_bundle("/etc/hostname")
    m = Mon(tmp_path, "bad")
    ready = m.start("run", "--runtime-root", rt.root, "--id", "bad", "--bundle", b.path)
    assert ready["exit_code"] == 126, ready
    m.wait_gone()
    assert rt.container_ids() == []


def test_bad_flags_report_on_ready_fd(tmp_path):
    m = Mon(tmp_path, "flags")
    r, w = os.pipe()
    p = subprocess.run(
        [str(MONITOR), "run", "--ready-fd", str(w), "--bogus"],
        pass_fds=(w,),
        capture_output=True,
        text=True,
    )
    os.close(w)
    assert p.returncode == 2 and "--bogus" in p.stderr
    ready = json.loads(os.read(r, 4096))
    os.close(r)
    assert ready["exit_code"] == 125 and "--bogus" in ready["error"]
    assert m.state.exists()


def tty_bundle(make_bundle, *args):
    b = make_bundle(*args)
    b.config["process"]["terminal"] = True
    b.write()
    return b


def test_tty_resize_and_stdin(rt, make_bundle, tmp_path):
    b = tty_bundle(make_bundle, "sh", "-c", "read x; stty size; echo to-stderr >&2")
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--tty", "--stdin", "--log-path", log)
    assert m.control({"op": "resize", "height": 33, "width": 77}) == {"ok": True}
    s = m.attach(stdin=True)
    s.sendall(b"go\n")
    got = read_frames(s)
    assert got[2] == b"", "a tty has one stream"
    assert b"33 77\r\n" in got[1] and b"to-stderr\r\n" in got[1]
    assert m.wait()["ExitCode"] == 0
    lines = log_lines(log)
    assert {x["stream"] for x in lines} == {"stdout"}
    assert "33 77\r\n" in [x["log"] for x in lines]
    m.assert_gone()
    assert rt.container_ids() == []


def test_tty_without_stdin(rt, make_bundle, tmp_path):
    b = tty_bundle(make_bundle, "sh", "-c", "test -t 0 && test -t 1 && echo is-a-tty")
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--tty", "--log-path", log)
    assert m.wait()["ExitCode"] == 0
    assert [x["log"] for x in log_lines(log)] == ["is-a-tty\r\n"]


def exec_mon(rt, b, tmp_path, name, args, *flags, terminal=False):
    proc = dict(b.config["process"], args=list(args), terminal=terminal)
    pf = tmp_path / ("%s.json" % name)
    pf.write_text(json.dumps(proc))
    m = Mon(tmp_path, name)
    m.start("exec", "--runtime-root", rt.root, "--id", "c1", "--process", pf, *flags)
    return m


def test_exec(rt, make_bundle, tmp_path):
    b = make_bundle("cat")
    main = run_mon(rt, b, tmp_path, "--stdin")
    x = exec_mon(rt, b, tmp_path, "x1", ["sh", "-c", "read v; echo out-$v; echo err-$v >&2; exit 7"],
                 "--stdin")
    assert x.ready["pid"] != main.ready["pid"]
    s = x.attach(stdin=True)
    s.sendall(b"v1\n")
    got = read_frames(s)
    assert got == {1: b"out-v1\n", 2: b"err-v1\n"}
    ex = x.wait()
    assert (ex["ExitCode"], ex["Signal"], ex["OOMKilled"]) == (7, 0, False)
    x.assert_gone()
    # The container is still there and running.
    assert main.control({"op": "status"})["running"] is True
    assert rt.state("c1")["status"] == "running"

    t = exec_mon(rt, b, tmp_path, "x2", ["sh", "-c", "read v; stty size; exit 5"], "--tty",
                 "--stdin")
    assert t.control({"op": "resize", "height": 21, "width": 99}) == {"ok": True}
    s = t.attach(stdin=True)
    s.sendall(b"go\n")
    got = read_frames(s)
    assert b"21 99\r\n" in got[1] and got[2] == b""
    assert t.wait()["ExitCode"] == 5
    t.assert_gone()

    assert main.control({"op": "close-stdin"}) == {"ok": True}
    assert main.wait()["ExitCode"] == 0
    assert rt.container_ids() == []


def test_exec_missing_command(rt, make_bundle, tmp_path):
    b = make_bundle("cat")
    main = run_mon(rt, b, tmp_path, "--stdin")
    m = exec_mon(rt, b, tmp_path, "x1", ["no-such-command"])
    assert m.ready["exit_code"] == 127, m.ready
    m.wait_gone()
    m.assert_gone()
    assert not (m.state / "exit.json").exists()
    assert main.control({"op": "close-stdin"}) == {"ok": True}
    assert main.wait()["ExitCode"] == 0


def test_exec_killed_with_container(rt, make_bundle, tmp_path):
    b = make_bundle("sleep", "100")
    main = run_mon(rt, b, tmp_path)
    x = exec_mon(rt, b, tmp_path, "x1", ["sleep", "200"])
    os.kill(main.ready["pid"], 9)
    assert main.wait()["ExitCode"] == 137
    ex = x.wait()
    assert (ex["ExitCode"], ex["Signal"]) == (137, 9)
    assert rt.container_ids() == []


def test_log_rotation(rt, make_bundle, tmp_path):
    script = "i=100; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done"
    b = make_bundle("sh", "-c", script)
    log = tmp_path / "c.log"
    # Docker's log-opt form as the daemon passes it on: 2k = 2048 bytes.
    m = run_mon(rt, b, tmp_path, "--log-path", log, "--log-max-size", "2k", "--log-max-file", 3)
    assert m.wait()["ExitCode"] == 0
    files = [log, tmp_path / "c.log.1", tmp_path / "c.log.2"]
    for f in files:
        assert 0 < f.stat().st_size <= 2048, f
    assert not (tmp_path / "c.log.3").exists()
    kept = [x["log"] for f in reversed(files) for x in log_lines(f)]
    # The newest lines, in order, with nothing missing in between.
    assert kept[-1] == "line-399\n"
    first = int(kept[0][5:-1])
    assert kept == ["line-%d\n" % i for i in range(first, 400)]


def test_slow_client_is_dropped_not_waited_for(rt, make_bundle, tmp_path):
    # 16 MiB of output, a client that never reads: the container must not stall.
    b = make_bundle("sh", "-c", "read x; head -c 16777216 /dev/zero; echo done")
    log = tmp_path / "c.log"
    m = run_mon(rt, b, tmp_path, "--stdin", "--log-path", log)
    slow = m.attach()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    fast = m.attach(stdin=True)
    start = time.monotonic()
    fast.sendall(b"go\n")
    got = read_frames(fast)
    assert len(got[1]) == 16777216 + 5 and got[1].endswith(b"done\n")
    assert m.wait()["ExitCode"] == 0
    assert time.monotonic() - start < 15
    slow.settimeout(5)
    n = 0
    try:
        while True:
            chunk = slow.recv(1 << 20)
            if not chunk:
                break
            n += len(chunk)
    except ConnectionResetError:
        pass
    assert n < 16777216, "the slow client was not dropped"
    assert log_lines(log)[-1]["log"].endswith("done\n")


def test_monitor_killed_container_lives_on(rt, make_bundle, tmp_path):
    b = make_bundle("sleep", "100")
    m = run_mon(rt, b, tmp_path)
    os.kill(m.pid, 9)
    m.wait_gone()
    time.sleep(0.2)
    assert helpers.pid_alive(m.ready["pid"])
    assert rt.state("c1")["status"] == "running"
    rt.ok("delete", "--force", "c1")
    helpers.wait_for(lambda: not helpers.pid_alive(m.ready["pid"]), what="container gone")


def test_stdin_once_client_vanishes(rt, make_bundle, tmp_path):
    b = make_bundle("cat")
    m = run_mon(rt, b, tmp_path, "--stdin", "--stdin-once")
    watcher = m.attach()
    s = m.attach(stdin=True)
    s.sendall(b"bye\n")
    time.sleep(0.2)
    s.close()  # no shutdown first: the connection just goes away
    assert read_frames(watcher)[1] == b"bye\n"
    assert m.wait()["ExitCode"] == 0



def test_oom_killed(rt, make_bundle, tmp_path):
    b = make_bundle("tail", "/dev/zero")  # buffers an endless line: memory grows until OOM
    mem = b.config["linux"].setdefault("resources", {}).setdefault("memory", {})
    mem["limit"] = 16 << 20
    mem["swap"] = 16 << 20
    b.write()
    m = run_mon(rt, b, tmp_path)
    ex = m.wait(timeout=60)
    assert ex["ExitCode"] == 137 and ex["OOMKilled"] is True, ex
    assert rt.container_ids() == []
