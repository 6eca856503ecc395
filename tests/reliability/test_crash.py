"""Crash safety: the daemon is killed with SIGKILL at random points while the docker CLI
creates, starts, runs, stops, removes, imports, loads, commits and makes volumes; after each
restart the store must be consistent (GET /system/check lists no problem), containers that
were running still run, finished ones keep their exit codes. Then the same for kill -9 of a
container's monitor."""

import io
import os
import random
import signal
import subprocess
import tarfile
import time

import pytest

from conftest import (DOCKER, all_ids, cgroups_of, check, figures, import_busybox, inspect,
                      monitors_of, remove_all, scale, finish, wait_for)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

KILLS = scale(30, 240)
BRIDGE_PREFIX = "brw%d-" % (os.getpid() % 1000)


def bridges_left(d):
    """Our test bridges that no network of the daemon owns (a create cut short)."""
    nets = set(d.docker("network", "ls", "--format", "{{.Name}}").stdout.split())
    left = []
    for name in os.listdir("/sys/class/net"):
        if name.startswith(BRIDGE_PREFIX) and "net" + name[len(BRIDGE_PREFIX):] not in nets:
            left.append(name)
    return left


def drop_bridges():
    for name in os.listdir("/sys/class/net"):
        if name.startswith(BRIDGE_PREFIX):
            subprocess.run(["ip", "link", "del", name], capture_output=True)


class Crasher:
    def __init__(self, d, base, tar, rng):
        self.d = d
        self.base = base
        self.tar = tar
        self.rng = rng
        self.ids = set()  # every container ID ever seen, for the cgroup leak check
        self.running = set()  # confirmed running (sleep 600), must survive restarts
        self.exited = {}  # confirmed exited: id -> exit code
        self.n = 0
        self.pull_ref = None  # an image of its own layer in a local registry

    def docker(self, *args, **kw):
        return self.d.docker(*args, **kw)

    def some_container(self, running=None):
        ids = all_ids(self.d)
        if running is not None:
            ids = [i for i in ids if (i in self.running) == running and i not in self.exited]
        return self.rng.choice(ids) if ids else None

    def prepare(self, op):
        """The CLI command of op, after setting up what it needs (daemon healthy)."""
        self.n += 1
        n = self.n
        if op == "create":
            return ["create", "--name", "c%d" % n, "busybox", "true"]
        if op == "start":
            cid = self.docker("create", "busybox", "sh", "-c", "exit 5").stdout.strip()
            self.ids.add(cid)
            return ["start", cid]
        if op == "run_rm":
            return ["run", "--rm", "busybox", "sh", "-c", "echo hello"]
        if op == "run_d":
            return ["run", "-d", "busybox", "sleep", "600"]
        if op == "stop":
            cid = self.docker("run", "-d", "busybox", "sleep", "600").stdout.strip()
            self.ids.add(cid)
            return ["stop", "-t", "1", cid]
        if op == "rm":
            cid = self.some_container(running=False)
            return ["rm", "-f", cid] if cid else ["create", "busybox"]
        if op == "import":
            return ["import", str(self.tar), "imp:%d" % n]
        if op == "load":
            self.docker("rmi", "-f", "saved:latest", check=False)
            return ["load", "-i", str(self.base / "saved.tar")]
        if op == "commit":
            cid = self.docker("run", "-d", "busybox", "sh", "-c",
                              "echo x > /file; sleep 600").stdout.strip()
            self.ids.add(cid)
            return ["commit", cid, "committed:%d" % n]
        if op == "rmi":
            imgs = [i for i in self.docker("images", "--format", "{{.Repository}}:{{.Tag}}")
                    .stdout.split() if i.startswith(("imp:", "committed:"))]
            return ["rmi", self.rng.choice(imgs)] if imgs else ["images"]
        if op == "volume":
            return ["volume", "create", "v%d" % n]
        if op == "pull":
            self.docker("rmi", "-f", self.pull_ref, check=False)
            return ["pull", self.pull_ref]
        if op == "network":
            # a bridge name of ours: one left without its network is attributable
            return ["network", "create", "-o", "com.docker.network.bridge.name=%s%d"
                    % (BRIDGE_PREFIX, n), "net%d" % n]
        raise AssertionError(op)

    def track(self):
        """Containers whose state must survive: one running, one finished with code 3."""
        cid = self.docker("run", "-d", "busybox", "sleep", "600").stdout.strip()
        self.running.add(cid)
        cid2 = self.docker("run", "-d", "busybox", "sh", "-c", "exit 3").stdout.strip()
        wait_for(lambda: not inspect(self.d, cid2)["State"]["Running"], what="exit 3")
        self.exited[cid2] = 3
        self.ids.update((cid, cid2))

    def verify(self):
        """After a restart: what was running runs, what finished has its code."""
        bad = []
        for cid in list(self.running):
            st = inspect(self.d, cid)["State"]
            if not st["Running"] or not os.path.exists("/proc/%d" % st["Pid"]):
                bad.append("container %s no longer runs: %s" % (cid[:12], st))
        for cid, code in self.exited.items():
            st = inspect(self.d, cid)["State"]
            if st["Running"] or st["ExitCode"] != code:
                bad.append("container %s: exit code %s, not %d" % (cid[:12], st, code))
        return bad


def converged(d, timeout=10):
    """The check's problems once recovery's exit handling (on watcher threads) is done: what
    is still wrong after timeout seconds."""
    deadline = time.time() + timeout
    while True:
        problems = check(d)
        if not problems or time.time() > deadline:
            return problems
        time.sleep(0.1)


def ops_available(d):
    ops = ["create", "start", "run_rm", "run_d", "stop", "rm", "import", "load", "rmi"]
    if d.request("GET", "/volumes").status == 200:
        ops.append("volume")
    if d.request("GET", "/networks").status == 200:
        ops.append("network")
    if d.request("POST", "/commit?container=none").status == 404:
        ops.append("commit")  # the route exists: 404 is "No such container"
    return ops


def registry_image(d, base, tar):
    """A local docker-registry holding an image whose layer nothing else has (so a pull
    downloads and extracts it); None when docker-registry is not installed."""
    from registry_common import REGISTRY_BIN, Registry
    if not os.access(REGISTRY_BIN, os.X_OK):
        return None, None
    reg = Registry(base / "registry").start()
    uniq = base / "uniq.tar"
    with tarfile.open(tar) as src, tarfile.open(uniq, "w") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
        info = tarfile.TarInfo("uniq.txt")
        info.size = 5
        dst.addfile(info, io.BytesIO(b"uniq\n"))
    ref = "%s/uniq:latest" % reg.addr
    d.docker("import", str(uniq), ref)
    d.docker("push", ref, timeout=120)
    d.docker("rmi", ref)
    return reg, ref


def test_kill_daemon_at_random_points(daemon, tmp_path, rootfs_tar, request):
    rng = random.Random(int(os.environ.get("SEED", time.time())))
    d = daemon
    import_busybox(d, rootfs_tar)
    import_busybox(d, rootfs_tar, "saved:latest")
    d.docker("save", "-o", str(tmp_path / "saved.tar"), "saved:latest")
    cr = Crasher(d, tmp_path, rootfs_tar, rng)
    ops = ops_available(d)
    reg, cr.pull_ref = registry_image(d, tmp_path, rootfs_tar)
    if reg:
        request.addfinalizer(reg.stop)
        ops.append("pull")
    failures, survived, per_op = [], 0, {}
    for i in range(KILLS):
        if i % 20 == 0:
            if i:
                remove_all(d)
                d.docker("network", "prune", "-f")
                cr.running.clear()
                cr.exited.clear()
            cr.track()
        op = rng.choice(ops)
        argv = cr.prepare(op)
        delay = rng.uniform(0, 0.3)
        p = subprocess.Popen([DOCKER, *argv], env=d.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        time.sleep(delay)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        out, _ = p.communicate(timeout=60)
        if p.returncode == 0 and op in ("run_d", "create") and out.strip():
            cr.ids.add(out.strip())
        d.start()
        problems = converged(d) + cr.verify() + ["bridge %s without its network" % b
                                                   for b in bridges_left(d)]
        cr.ids.update(all_ids(d))
        per_op[op] = per_op.get(op, 0) + 1
        if problems:
            failures.append("kill %d during %s after %.3fs: %s" % (i, op, delay, problems))
        else:
            survived += 1
    figures("crash-daemon", kill_points=KILLS, survived=survived, inconsistent=len(failures),
            ops=",".join("%s:%d" % kv for kv in sorted(per_op.items())))
    remove_all(d)
    d.docker("network", "prune", "-f")
    leaked = bridges_left(d)
    drop_bridges()
    assert failures == [], "\n".join(failures[:20])
    assert leaked == []
    finish(d, cr.ids)


def monitor_of(d, cid):
    for pid in monitors_of(d):
        cmd = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")
        if cid.encode() in cmd and b"run" in cmd:
            return pid
    return None


def test_kill_monitor(daemon, tmp_path, rootfs_tar):
    d = daemon
    import_busybox(d, rootfs_tar)
    ids = set()
    rounds = scale(5, 20)
    for _ in range(rounds):
        cid = d.docker("run", "-d", "busybox", "sleep", "600").stdout.strip()
        ids.add(cid)
        pid = inspect(d, cid)["State"]["Pid"]
        mon = wait_for(lambda: monitor_of(d, cid), what="the monitor")
        os.kill(mon, signal.SIGKILL)
        st = wait_for(lambda: (lambda s: None if s["Running"] else s)(inspect(d, cid)["State"]),
                      what="the container to be marked exited")
        assert st["ExitCode"] == 137, st
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), what="the container's process")
        assert converged(d) == []
        assert cgroups_of([cid]) == []
        # it starts again, and a stop after that finds a working monitor
        d.docker("start", cid)
        d.docker("stop", "-t", "1", cid)
        assert converged(d) == []
    figures("crash-monitor", kills=rounds, inconsistent=0)
    finish(d, ids)
