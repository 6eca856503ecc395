"""Helpers for berth's integration tests: the runtime under test, bundles, and the host
state (cgroups, mounts, processes) the leak checks look at."""

import copy
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
DEFAULT_RUNTIME = TOP / "build" / "berth-runc"
TIMEOUT = 30  # seconds for any single runtime command

# One token per pytest session: every container's cgroup and environment carry it, so
# what a test leaves behind can be found (and only our own things are ever cleaned up).
TOKEN = "berth-itest-%d" % os.getpid()


def runtime_path():
    return os.path.abspath(os.environ.get("RUNTIME", str(DEFAULT_RUNTIME)))


class Runtime:
    """The runtime binary with a fixed --root, called through its CLI only."""

    def __init__(self, binary, root):
        self.binary = str(binary)
        self.root = str(root)

    def argv(self, *args, global_args=()):
        return [self.binary, *global_args, "--root", self.root, *[str(a) for a in args]]

    def __call__(self, *args, input=None, timeout=TIMEOUT, cwd=None, global_args=()):
        """Runs a command to completion; returns CompletedProcess (text, captured)."""
        return subprocess.run(
            self.argv(*args, global_args=global_args),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    def ok(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, "%s failed (exit %d):\nstdout: %s\nstderr: %s" % (
            " ".join(map(str, args)),
            p.returncode,
            p.stdout,
            p.stderr,
        )
        return p

    def create(self, cid, bundle, *extra, log_dir=None, verb="create", extra_first=()):
        """`create` (or `run --detach`): the container's stdio are files (the init keeps
        them open, so pipes would never reach EOF). Returns CompletedProcess with the
        runtime's own output read back from those files."""
        log_dir = Path(log_dir or bundle.path)
        out, err = log_dir / ("%s.out" % cid), log_dir / ("%s.err" % cid)
        with open(out, "w") as fo, open(err, "w") as fe:
            p = subprocess.run(
                self.argv(verb, *extra_first, "--bundle", bundle.path, *extra, cid),
                stdin=subprocess.DEVNULL,
                stdout=fo,
                stderr=fe,
                timeout=TIMEOUT,
            )
        p.stdout, p.stderr = out.read_text(), err.read_text()
        return p

    def create_ok(self, cid, bundle, *extra):
        p = self.create(cid, bundle, *extra)
        assert p.returncode == 0, "create %s failed (exit %d): %s" % (cid, p.returncode, p.stderr)
        return p

    def state(self, cid):
        return json.loads(self.ok("state", cid).stdout)

    def wait_status(self, cid, status, timeout=10):
        end = time.monotonic() + timeout
        st = None
        while time.monotonic() < end:
            p = self("state", cid)
            if p.returncode == 0:
                st = json.loads(p.stdout)
                if st.get("status") == status:
                    return st
            time.sleep(0.05)
        raise AssertionError("container %s did not become %s (last state: %s)" % (cid, status, st))

    def container_ids(self):
        """IDs found in the state directory (not through `list`, which may be broken)."""
        try:
            return sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []


class Bundle:
    """An OCI bundle: a private copy of the busybox rootfs and a config dict."""

    def __init__(self, path, config, tag):
        self.path = str(path)
        self.config = config
        self.tag = tag  # unique per bundle: cgroup name and environment marker
        self.cgroup = "/" + tag
        self.config.setdefault("linux", {})["cgroupsPath"] = self.cgroup
        env = self.config["process"].setdefault("env", [])
        env.append("BERTH_ITEST=" + tag)
        self.write()

    @property
    def rootfs(self):
        return os.path.join(self.path, self.config["root"]["path"])

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)
        self.write()
        return self

    def write(self, raw=None):
        data = raw if raw is not None else json.dumps(self.config, indent=2)
        with open(os.path.join(self.path, "config.json"), "w") as f:
            f.write(data)

    def edited(self, fn):
        """Writes a modified copy of the config (for bad-input tests); returns it."""
        cfg = copy.deepcopy(self.config)
        fn(cfg)
        self.write(json.dumps(cfg))
        return cfg


# ---- host state: cgroups, mounts, processes -------------------------------------------


def cgroup_mounts():
    """[(mountpoint, fstype, controllers)] of the cgroup hierarchies of this host."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        pre, _, post = line.partition(" - ")
        fstype, _, opts = post.split(" ", 2)
        if fstype not in ("cgroup", "cgroup2"):
            continue
        mnt = pre.split(" ")[4]
        ctrls = set(opts.split(" ")[-1].split(",")) if fstype == "cgroup" else {"unified"}
        out.append((mnt, fstype, ctrls))
    return out


def cgroup_dirs(name_prefix):
    """Every top-level directory of any cgroup hierarchy whose name starts with the prefix
    (the tests' cgroupsPath values are absolute and start with a unique tag)."""
    found = []
    for mnt, _, _ in cgroup_mounts():
        try:
            entries = os.listdir(mnt)
        except OSError:
            continue
        found += [os.path.join(mnt, e) for e in entries if e.startswith(name_prefix)]
    return sorted(found)


def cgroup_file(pid, controller, v1_file, v2_file):
    """Path of a controller's file for the cgroup a process is in (v1 or v2)."""
    lines = Path("/proc/%d/cgroup" % pid).read_text().splitlines()
    mounts = cgroup_mounts()
    for line in lines:
        hid, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(","):
            for mnt, fstype, mc in mounts:
                if fstype == "cgroup" and controller in mc:
                    return os.path.join(mnt + path, v1_file)
    for line in lines:
        if line.startswith("0::"):
            for mnt, fstype, _ in mounts:
                if fstype == "cgroup2":
                    return os.path.join(mnt + line[3:], v2_file)
    raise AssertionError("no %s cgroup for pid %d" % (controller, pid))


def remove_cgroup_tree(path):
    """Kills what is left in a cgroup subtree (it is ours: named with TOKEN), removes it."""
    for dirpath, dirnames, _ in os.walk(path, topdown=False):
        for _ in range(50):
            try:
                pids = Path(dirpath, "cgroup.procs").read_text().split()
            except OSError:
                pids = []
            for p in pids:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            frz = Path(dirpath, "freezer.state")
            if frz.exists():
                try:
                    frz.write_text("THAWED")
                except OSError:
                    pass
            try:
                os.rmdir(dirpath)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


def mounts_under(prefix):
    """Mount points (this mount namespace) at or below a path, deepest first."""
    prefix = str(prefix).rstrip("/")
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" ")
        mnt = fields[4].replace("\\040", " ")
        root = fields[3].replace("\\040", " ")
        if mnt == prefix or mnt.startswith(prefix + "/") or root.startswith(prefix + "/"):
            found.append(mnt)
    return sorted(found, key=len, reverse=True)


def unmount_all(paths):
    for m in paths:
        subprocess.run(["umount", "-l", m], capture_output=True)


def marked_pids(marker):
    """PIDs whose environment holds BERTH_ITEST=<marker>... (container processes)."""
    needle = ("BERTH_ITEST=" + marker).encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            env = Path("/proc", d, "environ").read_bytes()
        except OSError:
            continue
        if any(e.startswith(needle) for e in env.split(b"\0")):
            pids.append(int(d))
    return pids


def pids_with_arg(text):
    """PIDs whose command line mentions text (runtime helpers left holding --root)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            cmd = Path("/proc", d, "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmd:
            pids.append(int(d))
    return pids


def kill_pids(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def pid_alive(pid):
    try:
        st = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return False
    # a zombie is dead for our purposes
    return re.search(r"\) ([A-Za-z]) ", st).group(1) != "Z"


def wait_for(fn, timeout=10, interval=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def dev_null_ok():
    st = os.stat("/dev/null")
    return (st.st_uid, st.st_gid) == (0, 0)
