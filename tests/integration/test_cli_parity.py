"""The berth CLI against the real docker CLI: the same scenarios, run by both clients against
one berth daemon (busybox imported with `docker import` of scripts/mkrootfs --tar), with the
same assertions; then outputs compared side by side, and the CLI's daemon autostart."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from test_daemon_common import BERTH, DOCKER, TIMEOUT, Daemon, import_busybox

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

CLIENTS = ["docker", "berth"]
# the berth client under test (e.g. build-asan/berth), the daemon stays $BERTH
BERTH_CLI = os.environ.get("BERTH_CLI") or str(BERTH)


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if str(path) in line]


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-cli")
    dm = Daemon(base)
    dm.start()
    import_busybox(dm, base)
    yield dm
    ids = dm.docker("ps", "-aq", check=False).stdout.split()
    if ids:
        dm.docker("rm", "-f", *ids, check=False)
    rc = dm.stop()
    assert rc == 0, dm.log()
    assert mounts_under(dm.base) == []
    assert os.stat("/dev/null").st_uid == 0


class Client:
    """One CLI binary pointed at the daemon through DOCKER_HOST."""

    def __init__(self, d, kind):
        self.d, self.kind = d, kind
        self.binary = DOCKER if kind == "docker" else BERTH_CLI

    def __call__(self, *args, input=None, timeout=TIMEOUT):
        env = self.d.env()
        env.pop("BERTH_HOST", None)
        return subprocess.run([self.binary, *[str(a) for a in args]], input=input,
                              capture_output=True, text=True, env=env, timeout=timeout)

    def ok(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, "%s %s: exit %d\nstdout: %s\nstderr: %s" % (
            self.kind, " ".join(map(str, args)), p.returncode, p.stdout, p.stderr)
        return p


@pytest.fixture(params=CLIENTS)
def cli(request, d):
    c = Client(d, request.param)
    yield c
    left = d.docker("ps", "-aq", check=False).stdout.split()
    if left:
        d.docker("rm", "-f", *left, check=False)
    assert left == [], "%s left containers behind" % c.kind


def test_run_rm_echo_and_exit_codes(cli):
    p = cli.ok("run", "--rm", "busybox", "echo", "hello")
    assert p.stdout == "hello\n"
    p = cli("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert p.returncode == 3
    assert p.stdout == "out\n" and p.stderr == "err\n"
    assert cli.ok("ps", "-aq").stdout == ""


def test_run_stdin(cli):
    p = cli.ok("run", "-i", "--rm", "busybox", "cat", input="from stdin\n")
    assert p.stdout == "from stdin\n"


def test_run_detached_ps_logs_stop_rm(cli):
    name = "par-%s" % cli.kind
    cid = cli.ok("run", "-d", "--name", name, "-l", "k=v", "busybox", "sh", "-c",
                 "echo ready; exec sleep 100").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    ps = cli.ok("ps").stdout.splitlines()
    assert ps[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS",
                             "NAMES"]
    row = [line for line in ps if line.startswith(cid[:12])]
    assert len(row) == 1 and row[0].endswith(name) and " Up " in row[0]
    assert cli.ok("ps", "-q").stdout.split() == [cid[:12]]
    assert cli.ok("ps", "--filter", "label=k=v", "--format", "{{.Names}}").stdout == name + "\n"
    deadline = time.time() + 10
    while "ready" not in cli.ok("logs", name).stdout and time.time() < deadline:
        time.sleep(0.05)
    assert cli.ok("logs", name).stdout == "ready\n"
    assert cli.ok("stop", "-t", "1", name).stdout == name + "\n"
    st = cli.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    assert re.fullmatch(r"%s Exited \(1[34][37]\) .* ago\n" % name, st), st
    assert cli.ok("rm", name).stdout == name + "\n"
    assert cli.ok("ps", "-aq").stdout == ""


def test_exec(cli):
    name = "ex-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "busybox", "sleep", "100")
    try:
        # the sleep: the daemon can lose what an exec writes before its stream is wired
        # (test_exec_instant_output)
        p = cli("exec", name, "sh", "-c", "sleep 0.3; echo hi; echo oops >&2; exit 7")
        assert (p.returncode, p.stdout, p.stderr) == (7, "hi\n", "oops\n")
        p = cli.ok("exec", "-e", "A=1", "-w", "/tmp", "-u", "nobody", name, "sh", "-c",
                   'sleep 0.3; echo $A $(pwd) $(id -un)')
        assert p.stdout == "1 /tmp nobody\n"
        p = cli.ok("exec", "-i", name, "cat", input="piped\n")
        assert p.stdout == "piped\n"
        p = cli("exec", name, "nosuchcmd")
        assert p.returncode in (126, 127)
    finally:
        cli.ok("rm", "-f", name)


def test_exec_instant_output(cli):
    name = "exi-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "busybox", "sleep", "100")
    try:
        for _ in range(10):
            p = cli("exec", name, "sh", "-c", "echo hi; echo oops >&2; exit 7")
            assert (p.returncode, p.stdout, p.stderr) == (7, "hi\n", "oops\n")
    finally:
        cli.ok("rm", "-f", name)


def test_images(cli, d):
    out = cli.ok("images").stdout.splitlines()
    assert out[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    img = d.get_json("/images/busybox/json")
    short = img["Id"].split(":")[1][:12]
    assert any(line.split()[:3] == ["busybox", "latest", short] for line in out[1:])
    assert short in cli.ok("images", "-q").stdout.split()
    f = cli.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout
    assert "busybox:latest %s\n" % short in f
    cli.ok("tag", "busybox", "partag-%s:v1" % cli.kind)
    assert "partag-%s:v1" % cli.kind in d.get_json("/images/busybox/json")["RepoTags"]
    p = cli.ok("rmi", "partag-%s:v1" % cli.kind)
    assert "Untagged: partag-%s:v1" % cli.kind in p.stdout


def test_inspect_format(cli, d):
    name = "in-%s" % cli.kind
    cid = cli.ok("create", "--name", name, "-l", "k=v", "-e", "X=1", "busybox",
                 "echo", "a").stdout.strip()
    try:
        p = cli.ok("inspect", "-f", '{{.State.Running}} {{.Name}} {{index .Config.Labels "k"}}',
                   name)
        assert p.stdout == "false /%s v\n" % name
        assert json.loads(cli.ok("inspect", "-f", "{{json .Config.Cmd}}", name).stdout) == \
            ["echo", "a"]
        p = cli.ok("inspect", "-f", "{{range .Config.Env}}{{if eq . \"X=1\"}}found{{end}}{{end}}",
                   name)
        assert p.stdout == "found\n"
        whole = json.loads(cli.ok("inspect", name).stdout)
        assert len(whole) == 1 and whole[0]["Id"] == cid
        img = cli.ok("inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
        assert img == d.get_json("/images/busybox/json")["Id"]
        p = cli("inspect", "nosuchthing")
        assert p.returncode == 1 and "No such object: nosuchthing" in p.stderr
    finally:
        cli.ok("rm", name)


def test_error_exit_codes(cli):
    p = cli("run", "--rm", "nosuchimage:9", "true")
    assert p.returncode == 125
    assert "nosuchimage" in p.stderr
    p = cli("run", "--rm", "busybox", "nosuchcmd")
    assert p.returncode == 127, p.stderr
    p = cli("run", "--rm", "busybox", "/etc/passwd")
    assert p.returncode == 126, p.stderr
    p = cli("stop", "nosuchctr")
    assert p.returncode == 1
    assert "Error response from daemon: No such container: nosuchctr" in p.stderr
    p = cli("rm", "-f", "nosuchctr")
    assert p.returncode == 0
    p = cli("run", "--bogus-flag", "busybox")
    assert p.returncode == 125 and "unknown flag: --bogus-flag" in p.stderr
    assert cli.ok("ps", "-aq").stdout == ""


def test_lifecycle_commands(cli):
    name = "lc-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "busybox", "sleep", "100")
    try:
        assert cli.ok("pause", name).stdout == name + "\n"
        assert "(Paused)" in cli.ok("ps", "--format", "{{.Status}}").stdout
        assert cli.ok("unpause", name).stdout == name + "\n"
        top = cli.ok("top", name).stdout.splitlines()
        assert "PID" in top[0].split() and any("sleep 100" in line for line in top[1:])
        cli.ok("rename", name, name + "-2")
        assert cli.ok("kill", "-s", "KILL", name + "-2").stdout == name + "-2\n"
        assert cli.ok("wait", name + "-2").stdout == "137\n"
        assert cli.ok("start", name + "-2").stdout == name + "-2\n"
        assert cli.ok("restart", "-t", "1", name + "-2").stdout == name + "-2\n"
    finally:
        cli.ok("rm", "-f", name + "-2")


def test_start_attach(cli):
    name = "sa-%s" % cli.kind
    cli.ok("create", "--name", name, "busybox", "sh", "-c", "echo attached; exit 4")
    p = cli("start", "-a", name)
    assert (p.returncode, p.stdout) == (4, "attached\n")
    cli.ok("rm", name)


def _pty_run(argv, env, script, timeout=20):
    """Runs argv on a new pty (24x80); script: list of (wait_for_bytes, send_bytes)."""
    import pty
    import select
    import struct
    import fcntl
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    steps = list(script)
    nudge = time.time() + 3
    try:
        while time.time() < deadline:
            if steps and steps[0][0] in out:
                os.write(master, steps.pop(0)[1])
            elif steps and time.time() > nudge:
                # the daemon can drop a first prompt (see test_exec_instant_output): ask again
                os.write(master, b"\r")
                nudge = time.time() + 3
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None and not steps:
                break
        try:
            return proc.wait(max(1, deadline - time.time())), out
        except subprocess.TimeoutExpired:
            return None, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_tty_run_size_exit_and_detach(cli, d):
    env = d.env()
    rc, out = _pty_run([cli.binary, "run", "-it", "--rm", "busybox", "sh"], env,
                       [(b"# ", b"stty size; exit 6\r")])
    assert rc == 6, out
    assert b"24 80" in out
    name = "tty-%s" % cli.kind
    rc, out = _pty_run([cli.binary, "run", "-it", "--name", name, "busybox", "sh"], env,
                       [(b"# ", b"\x10\x11")])
    try:
        assert rc == 0, out
        assert cli.ok("inspect", "-f", "{{.State.Running}}", name).stdout == "true\n"
    finally:
        cli.ok("rm", "-f", name)
    # --detach-keys: ctrl-p ctrl-q reaches the shell, ctrl-a x detaches
    name = "tty2-%s" % cli.kind
    rc, out = _pty_run([cli.binary, "run", "-it", "--detach-keys", "ctrl-a,x", "--name", name,
                        "busybox", "sh"], env,
                       [(b"# ", b"echo \x10\x11; echo typed-$((6*7))\r"), (b"typed-42", b"\x01x")])
    try:
        assert rc == 0, out
        assert cli.ok("inspect", "-f", "{{.State.Running}}", name).stdout == "true\n"
    finally:
        cli.ok("rm", "-f", name)


def test_logs_follow_tail_timestamps(cli):
    name = "lg-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "echo a; echo b >&2; sleep 1; echo c; echo d")
    try:
        p = cli.ok("logs", "-f", name, timeout=20)
        assert p.stdout == "a\nc\nd\n" and p.stderr == "b\n"
        assert cli.ok("logs", "--tail", "2", name).stdout == "c\nd\n"
        lines = cli.ok("logs", "-t", name).stdout.splitlines()
        assert len(lines) == 3
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z [acd]", x)
                   for x in lines), lines
    finally:
        cli.ok("rm", "-f", name)


def test_attach_diff_update_cp(cli):
    name = "ad-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "echo x > /tmp/new; sleep 1; echo late; exit 5")
    try:
        p = cli("attach", name)
        assert (p.returncode, p.stdout) == (5, "late\n"), p.stderr
        diff = cli.ok("diff", name).stdout.splitlines()
        assert "C /tmp" in diff and "A /tmp/new" in diff
        assert cli.ok("update", "--memory", "64m", name).stdout == name + "\n"
        out = subprocess.run([cli.binary, "cp", name + ":/tmp/new", "-"], capture_output=True,
                             env=cli.d.env(), timeout=TIMEOUT)
        assert out.returncode == 0, out.stderr
        import io
        import tarfile
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as t:
            assert t.extractfile("new").read() == b"x\n"
    finally:
        cli.ok("rm", "-f", name)


def test_signals_reach_the_container(cli, d):
    """sig-proxy (non-TTY): SIGTERM to the client becomes the container's, exit code 9."""
    env = d.env()
    proc = subprocess.Popen([cli.binary, "run", "--rm", "--name", "sig-%s" % cli.kind, "busybox",
                             "sh", "-c", "trap 'exit 9' TERM; while true; do sleep 0.1; done"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            if "sig-%s" % cli.kind in cli.ok("ps", "--format", "{{.Names}}").stdout:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 9
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.time() + 10
    while cli.ok("ps", "-aq").stdout and time.time() < deadline:
        time.sleep(0.05)


def test_no_sig_proxy(cli):
    """--sig-proxy=false: a SIGTERM to the client does not reach the container."""
    name = "nsp-%s" % cli.kind
    env = cli.d.env()
    env.pop("BERTH_HOST", None)
    proc = subprocess.Popen([cli.binary, "run", "--sig-proxy=false", "--name", name, "busybox",
                             "sh", "-c", "trap 'exit 9' TERM; while true; do sleep 0.1; done"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            p = cli("inspect", "-f", "{{.State.Running}}", name)
            if p.returncode == 0 and p.stdout == "true\n":
                break
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        time.sleep(1)
        # the container did not get it (its trap would have ended it)
        assert cli.ok("inspect", "-f", "{{.State.Running}}", name).stdout == "true\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        cli("rm", "-f", name)


def test_berth_help_and_bad_input(d):
    bt = Client(d, "berth")
    p = bt("help", "run")
    assert p.returncode == 0 and "Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]" in p.stdout
    assert "--restart" in p.stdout
    p = bt("ps", "-h")
    assert p.returncode == 0 and "Usage:  berth ps" in p.stdout
    p = bt("nosuchcommand")
    assert p.returncode == 1 and p.stderr == ("berth: 'nosuchcommand' is not a berth command.\n"
                                              "See 'berth --help'\n")
    p = bt("volume", "frob")
    assert p.returncode == 1 and "'volume frob' is not a berth command" in p.stderr
    p = bt("help", "volume", "create")
    assert p.returncode == 0 and "Usage:  berth volume create [OPTIONS] [VOLUME]" in p.stdout
    assert "--label list" in p.stdout
    p = bt("help", "nosuch")
    assert p.returncode == 1 and "unknown help topic: nosuch" in p.stderr
    p = bt("-H", "unix:///nonexistent/berth.sock", "ps")
    assert p.returncode == 1 and p.stderr == ("Cannot connect to the berth daemon at "
                                              "unix:///nonexistent/berth.sock. Is the berth "
                                              "daemon running?\n")
    p = bt("-H", "unix:///nonexistent/berth.sock", "run", "busybox", "true")
    assert p.returncode == 125 and p.stderr.startswith("berth: Cannot connect")
    assert len(p.stderr.splitlines()) == 1
    p = bt("run")
    assert p.returncode == 1 and p.stderr.startswith(
        "berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run [OPTIONS] IMAGE")
    assert p.stderr.endswith("\nRun 'berth run --help' for more information\n")
    p = bt("ps", "--bogus")
    assert p.returncode == 125 and "unknown flag: --bogus" in p.stderr
    p = bt("ps", "--format", "{{.Nope")
    assert p.returncode == 1 and "template" in p.stderr


def test_same_output_from_both_clients(d):
    """Column for column the same text, where time does not enter."""
    dk, bt = Client(d, "docker"), Client(d, "berth")
    bt.ok("run", "-d", "--name", "same1", "-l", "a=b", "busybox", "sh", "-c",
          "echo 'a long command line that is cut'; exec sleep 100")
    try:
        for args in (["ps", "-a", "--format", "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Names}}"],
                     ["ps", "--no-trunc", "--format", "{{.ID}} {{.Command}} {{.Labels}}"],
                     ["images", "--format", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}"],
                     ["inspect", "-f", "{{.Config.Labels}} {{.HostConfig.LogConfig.Type}}",
                      "same1"],
                     ["inspect", "-f", "{{json .State.Running}} {{.Config.Env}}", "same1"],
                     ["logs", "same1"]):
            assert bt.ok(*args).stdout == dk.ok(*args).stdout, args
        assert json.loads(bt.ok("inspect", "same1").stdout)[0]["Id"] == \
            json.loads(dk.ok("inspect", "same1").stdout)[0]["Id"]
    finally:
        bt.ok("rm", "-f", "same1")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path("/proc/%d/stat" % pid).read_text().split()[2] != "Z"
    except OSError:
        return False


def test_autostart_on_default_socket(tmp_path):
    run, root = tmp_path / "run", tmp_path / "root"
    sock = run / "berth.sock"
    env = dict(os.environ)
    for k in ("DOCKER_HOST", "BERTH_HOST"):
        env.pop(k, None)
    env.update(BERTH_DEFAULT_SOCKET=str(sock), BERTH_RUN_DIR=str(run), BERTH_ROOT=str(root))

    def berth(*args):
        return subprocess.run([BERTH_CLI, *args], capture_output=True, text=True, env=env,
                              timeout=60)

    # -H / DOCKER_HOST: never start anything
    p = subprocess.run([BERTH_CLI, "-H", "unix://%s" % sock, "ps"], capture_output=True,
                       text=True, env=env, timeout=30)
    assert p.returncode == 1 and "Cannot connect to the berth daemon" in p.stderr
    assert not sock.exists()
    # three first commands at once: one daemon wins the root lock, all three get answers
    procs = [subprocess.Popen([BERTH_CLI, "version", "--format", "{{.Server.ApiVersion}}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    p = berth("version", "--format", "{{.Server.ApiVersion}}")
    pidfile = run / "berthd.pid"
    pid = int(pidfile.read_text()) if pidfile.exists() else None
    try:
        assert p.returncode == 0, p.stderr
        assert p.stdout == "1.45\n"
        assert [o for o, _ in outs] == ["1.45\n"] * 3, outs
        assert pid and _pid_alive(pid)
        # not our child: its own session, and a second command reuses it
        assert os.getsid(pid) == pid
        assert berth("ps", "-q").returncode == 0
        assert int(pidfile.read_text()) == pid
        assert (run / "berth.log").exists()
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.time() + 15
            while _pid_alive(pid) and time.time() < deadline:
                time.sleep(0.05)
            assert not _pid_alive(pid), "autostarted daemon ignored SIGTERM"
    assert not sock.exists()
