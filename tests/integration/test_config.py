"""config.json features seen from inside the container: user, capabilities, rlimits,
mounts, masked and read-only paths, devices, sysctls, hooks, console socket."""

import array
import json
import os
import socket
import subprocess

import pytest

import helpers


def run_out(rt, b):
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr)
    return p.stdout


def test_user_and_groups(rt, make_bundle):
    b = make_bundle("sh", "-c", "id -u; id -g; id -G")
    b.config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 100]}
    b.write()
    assert run_out(rt, b).split("\n")[:3] == ["1000", "1000", "1000 10 100"]


def test_capabilities_and_no_new_privs(rt, make_bundle):
    b = make_bundle("sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status")
    fields = dict(ln.split(":\t") for ln in run_out(rt, b).splitlines())
    # CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29): the default set
    want = (1 << 5) | (1 << 10) | (1 << 29)
    assert int(fields["CapEff"], 16) == want
    assert int(fields["CapBnd"], 16) == want
    assert fields["NoNewPrivs"].strip() == "1"


def test_rlimits(rt, make_bundle):
    b = make_bundle("sh", "-c", "ulimit -n; ulimit -Hn")
    b.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]
    b.write()
    assert run_out(rt, b).split() == ["321", "654"]


def test_readonly_root_and_tmpfs(rt, make_bundle):
    b = make_bundle("sh", "-c", "touch /x 2>/dev/null && echo rw || echo ro; "
                    "touch /scratch/y && echo tmpfs-rw; grep ' /scratch ' /proc/mounts | cut -d' ' -f3")
    b.config["root"]["readonly"] = True
    b.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "size=1m"]})
    b.write()
    assert run_out(rt, b).split() == ["ro", "tmpfs-rw", "tmpfs"]


def test_bind_mounts_rw_and_ro(rt, make_bundle, tmp_path):
    host = tmp_path / "hostdir"
    host.mkdir()
    (host / "in").write_text("from host\n")
    b = make_bundle("sh", "-c", "cat /rw/in; echo back > /rw/out; "
                    "echo no > /ro/out 2>/dev/null && echo ro-writable || echo ro-refused")
    b.config["mounts"] += [
        {"destination": "/rw", "type": "bind", "source": str(host), "options": ["rbind", "rw"]},
        {"destination": "/ro", "type": "bind", "source": str(host), "options": ["rbind", "ro"]},
    ]
    b.write()
    assert run_out(rt, b) == "from host\nro-refused\n"
    assert (host / "out").read_text() == "back\n"
    assert helpers.mounts_under(tmp_path) == []


def test_masked_and_readonly_paths(rt, make_bundle):
    # masked: files read empty, directories list empty (only those this kernel has)
    masked = [p for p in ("/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/kcore")
              if os.path.isfile(p)]
    masked_dirs = [p for p in ("/proc/acpi", "/sys/firmware", "/proc/scsi") if os.path.isdir(p)]
    assert masked and masked_dirs, "nothing to mask on this host"
    script = "".join("wc -c < %s; " % p for p in masked)
    script += "".join("ls -A %s | wc -l; " % p for p in masked_dirs)
    script += "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-rw || echo sys-ro"
    b = make_bundle("sh", "-c", script)
    assert run_out(rt, b).split() == ["0"] * (len(masked) + len(masked_dirs)) + ["sys-ro"]
    # the same with the masks removed shows the check can fail (the host's files have data)
    b.config["linux"]["maskedPaths"] = []
    b.config["linux"]["readonlyPaths"] = []
    b.write()
    out = run_out(rt, b).split()
    assert out != ["0"] * (len(masked) + len(masked_dirs)) + ["sys-ro"]


def test_default_devices(rt, make_bundle):
    devs = "null zero full random urandom tty"
    b = make_bundle("sh", "-c", "for d in %s; do [ -c /dev/$d ] && echo $d; done; "
                    "readlink /dev/fd; readlink /dev/ptmx; echo x > /dev/null && echo null-ok" % devs)
    out = run_out(rt, b).split()
    assert out[:6] == devs.split()
    assert out[6:] == ["/proc/self/fd", "pts/ptmx", "null-ok"]


def test_sysctl_in_own_network_namespace(rt, make_bundle):
    b = make_bundle("cat", "/proc/sys/net/ipv4/ip_forward")
    b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    b.write()
    assert run_out(rt, b) == "1\n"
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host_value = f.read()
    assert host_value in ("0\n", "1\n")  # the host's value is its own; only read here


def test_hostname_and_uts(rt, make_bundle):
    b = make_bundle("hostname")
    b.config["hostname"] = "inside-berth"
    b.write()
    assert run_out(rt, b) == "inside-berth\n"
    assert socket.gethostname() != "inside-berth"


def test_join_existing_network_namespace(rt, make_bundle):
    # linux.namespaces[].path joins another container's namespace
    b1 = make_bundle("sleep", "60")
    rt.create_ok("a", b1)
    pid = rt.state("a")["pid"]
    b2 = make_bundle("sh", "-c", "readlink /proc/self/ns/net")
    for ns in b2.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = "/proc/%d/ns/net" % pid
    b2.write()
    p = rt("run", "--bundle", b2.path, "c2")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == os.readlink("/proc/%d/ns/net" % pid)
    rt.ok("delete", "--force", "a")


def _hook_bundle(make_bundle, out, kinds):
    b = make_bundle("true")
    out.mkdir()
    b.config["hooks"] = {
        k: [{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s.json" % (out, k)]}] for k in kinds
    }
    b.write()
    return b


def test_hooks_get_state_on_stdin(rt, make_bundle, tmp_path):
    out = tmp_path / "hooks"
    b = _hook_bundle(make_bundle, out, ("prestart", "createRuntime", "poststart", "poststop"))
    rt.create_ok("c1", b)
    pid = rt.state("c1")["pid"]
    for k in ("prestart", "createRuntime"):
        st = json.loads((out / ("%s.json" % k)).read_text())
        assert st["id"] == "c1" and st["pid"] == pid, (k, st)
        assert os.path.realpath(st["bundle"]) == os.path.realpath(b.path)
    rt.ok("start", "c1")
    assert json.loads((out / "poststart.json").read_text())["id"] == "c1"
    rt.wait_status("c1", "stopped")
    assert not (out / "poststop.json").exists()
    rt.ok("delete", "c1")
    assert json.loads((out / "poststop.json").read_text())["id"] == "c1"


@pytest.mark.stricter_than_runc("runc 1.1 runs poststart hooks at the end of create")
def test_poststart_hook_runs_at_start_not_create(rt, make_bundle, tmp_path):
    out = tmp_path / "hooks"
    b = _hook_bundle(make_bundle, out, ("poststart",))
    rt.create_ok("c1", b)
    assert not (out / "poststart.json").exists()
    rt.ok("start", "c1")
    assert (out / "poststart.json").exists()
    rt.wait_status("c1", "stopped")
    rt.ok("delete", "c1")


def test_failing_prestart_hook_leaves_nothing(rt, make_bundle, tmp_path):
    b = make_bundle("true")
    b.config["hooks"] = {"prestart": [{"path": "/bin/false", "args": ["false"]}]}
    b.write()
    p = rt.create("c1", b)
    assert p.returncode == 1
    assert "prestart" in p.stderr or "hook" in p.stderr
    assert "c1" not in rt.container_ids()
    assert helpers.marked_pids(b.tag) == []
    del b.config["hooks"]
    b.write()
    assert rt("run", "--bundle", b.path, "c2").returncode == 0  # fails only through the hook


def _recv_fd(conn):
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    assert len(fds) == 1, "no fd received on the console socket"
    return fds[0]


def test_console_socket(rt, make_bundle, tmp_path):
    # containerd's shim: terminal: true, create --console-socket, pty master over SCM_RIGHTS
    b = make_bundle("sh", "-c", "tty; echo hello tty")
    b.config["process"]["terminal"] = True
    b.write()
    path = "/tmp/berth-console-%d.sock" % os.getpid()  # short: sun_path is 108 bytes
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    try:
        p = rt.create("c1", b, "--console-socket", path)
        assert p.returncode == 0, p.stderr
        srv.settimeout(5)
        conn, _ = srv.accept()
        master = _recv_fd(conn)
        conn.close()
        rt.ok("start", "c1")
        data = b""
        while b"hello tty" not in data:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        os.close(master)
        lines = data.decode().replace("\r", "").splitlines()
        assert lines[0].startswith("/dev/pts/")
        assert "hello tty" in lines
        rt.wait_status("c1", "stopped")
        rt.ok("delete", "c1")
    finally:
        srv.close()
        os.unlink(path)


def test_terminal_detached_without_console_socket_refused(rt, make_bundle):
    b = make_bundle("true")
    b.config["process"]["terminal"] = True
    b.write()
    p = rt.create("c1", b)
    assert p.returncode == 1
    assert "console" in p.stderr
    assert "c1" not in rt.container_ids()


def test_oom_score_adj(rt, make_bundle):
    b = make_bundle("cat", "/proc/self/oom_score_adj")
    b.config["process"]["oomScoreAdj"] = 345
    b.write()
    assert run_out(rt, b) == "345\n"


def test_no_pivot(rt, make_bundle):
    b = make_bundle("sh", "-c", "ls /bin/busybox && cat /proc/1/cmdline >/dev/null && echo ok")
    p = rt("run", "--no-pivot", "--bundle", b.path, "c1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "ok"


def test_preserve_fds(rt, make_bundle, tmp_path):
    f = tmp_path / "extra"
    f.write_text("passed fd\n")
    b = make_bundle("sh", "-c", "cat <&3; [ -e /proc/self/fd/4 ] && echo fd4-leaked || echo fd4-closed")
    # a shell opens the file as fd 3 for the runtime (pytest itself uses low fds)
    argv = ["sh", "-c", 'exec "$@" 3<"$0" 4</dev/null', str(f),
            *rt.argv("run", "--preserve-fds", "1", "--bundle", b.path, "c1")]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=helpers.TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["passed fd", "fd4-closed"]


@pytest.mark.parametrize("prop,shown", [("rprivate", None), ("rshared", "shared:"),
                                        ("rslave", None), ("runbindable", "unbindable")])
def test_bind_mount_propagation(rt, make_bundle, tmp_path, prop, shown):
    # docker passes ["rbind", "rprivate"] for volumes; the option must apply to the mount
    host = tmp_path / "vol"
    host.mkdir()
    b = make_bundle("sh", "-c", "grep ' /vol ' /proc/self/mountinfo")
    b.config["mounts"].append({"destination": "/vol", "type": "bind", "source": str(host),
                               "options": ["rbind", prop]})
    b.write()
    line = run_out(rt, b)
    optional = line.split(" - ")[0].split()[6:]
    if shown:
        assert any(f.startswith(shown) for f in optional), line
    else:
        assert not any(f.startswith(("shared:", "unbindable")) for f in optional), line
