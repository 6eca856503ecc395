"""The runtime driven by real container managers: containerd (`ctr run --runc-binary`) and
dockerd (`--add-runtime`). Each daemon runs on its own temporary root and socket, is
stopped by PID, and must leave no mount, cgroup or process behind. Skipped (with the
reason) when containerd or dockerd is not installed."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import helpers
from helpers import TOKEN

CTR_NS = TOKEN + "-ctr"
MOBY_NS = TOKEN + "-moby"
DOCKER_CGROUP = TOKEN + "-docker"
IMAGE = "docker.io/library/busybox:latest"


def _need(*names):
    missing = [n for n in names if not shutil.which(n)]
    if missing:
        pytest.skip("%s not installed (Debian: apt-get install docker.io, or scripts/install-deps)"
                    % ", ".join(missing))


@pytest.fixture(scope="session")
def image_tar(tmp_path_factory):
    out = tmp_path_factory.mktemp("image") / "busybox-image.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkimage"), str(out)], check=True,
                   capture_output=True)
    return out


def _stop(proc, timeout=20):
    """SIGTERM the daemon we started (by its PID), SIGKILL if it does not exit."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _rmdir_ours(path):
    """Removes an empty directory we caused to exist; returns False if it is not empty."""
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


def _cleanup_dir(d, problems):
    mnts = helpers.mounts_under(d)
    if mnts:
        problems.append("mounts left under %s: %s" % (d, mnts))
        helpers.unmount_all(mnts)
    pids = helpers.pids_with_arg(d)
    if pids:
        problems.append("processes left using %s: %s" % (d, pids))
        helpers.kill_pids(pids)
        time.sleep(0.2)
    if not helpers.mounts_under(d):
        shutil.rmtree(d, ignore_errors=True)


def _cleanup_cgroup_parent(name, problems):
    for c in helpers.cgroup_dirs(name):
        if os.path.basename(c) != name:
            continue
        if not _rmdir_ours(c):  # a container's cgroup is still inside
            problems.append("cgroups left under %s: %s" % (c, os.listdir(c)))
            helpers.remove_cgroup_tree(c)


class Containerd:
    def __init__(self, d):
        self.dir = d
        self.sock = os.path.join(d, "c.sock")
        self.cfg = os.path.join(d, "config.toml")
        with open(self.cfg, "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    % (d, d, self.sock, self.sock))
        self.log = open(os.path.join(d, "containerd.log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", self.cfg], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        helpers.wait_for(lambda: self.proc.poll() is not None or self.ctr("version").returncode == 0,
                         timeout=30, what="containerd to answer")
        assert self.proc.poll() is None, "containerd exited: " + self.logtail()

    def ctr(self, *args, ns=CTR_NS, timeout=60):
        return subprocess.run(["ctr", "-a", self.sock, "-n", ns, *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def logtail(self):
        with open(os.path.join(self.dir, "containerd.log")) as f:
            return f.read()[-3000:]


@pytest.fixture(scope="module")
def containerd():
    _need("containerd", "ctr")
    run_containerd_existed = os.path.exists("/run/containerd")
    d = tempfile.mkdtemp(prefix="/tmp/bctr-")
    c = Containerd(d)
    yield c
    problems = []
    _stop(c.proc)
    c.log.close()
    _cleanup_dir(d, problems)
    for ns in (CTR_NS, MOBY_NS):
        _rmdir_ours("/run/containerd/runc/" + ns)
    if not run_containerd_existed:  # the shims' socket directory /run/containerd/s
        for p in ("/run/containerd/s", "/run/containerd/fifo", "/run/containerd/runc",
                  "/run/containerd"):
            _rmdir_ours(p)
    assert not problems, problems


def test_containerd_ctr_run(containerd, image_tar, runtime_bin):
    p = containerd.ctr("images", "import", image_tar)
    assert p.returncode == 0, p.stderr
    assert IMAGE in containerd.ctr("images", "ls", "-q").stdout.split()
    problems = []
    try:
        p = containerd.ctr("run", "--rm", "--runc-binary", runtime_bin, IMAGE, "hi1", "echo", "hi")
        assert p.returncode == 0, "ctr run failed: %s\n%s" % (p.stderr, containerd.logtail())
        assert p.stdout == "hi\n"
        p = containerd.ctr("run", "--rm", "--runc-binary", runtime_bin, IMAGE, "exit3", "sh", "-c", "exit 3")
        assert p.returncode == 3, p.stderr
        assert containerd.ctr("containers", "ls", "-q").stdout.split() == []
        # the runtime's state for the namespace is empty once --rm has deleted the containers
        state = "/run/containerd/runc/" + CTR_NS
        assert not os.path.isdir(state) or os.listdir(state) == []
    finally:
        _cleanup_cgroup_parent(CTR_NS, problems)
    assert not problems, problems


def test_containerd_task_lifecycle(containerd, image_tar, runtime_bin):
    # detached task: exec, kill, delete, as containerd's shim drives the runtime
    assert containerd.ctr("images", "import", image_tar).returncode == 0
    problems = []
    try:
        p = containerd.ctr("run", "-d", "--runc-binary", runtime_bin, IMAGE, "long", "sleep", "300")
        assert p.returncode == 0, p.stderr + containerd.logtail()
        p = containerd.ctr("tasks", "exec", "--exec-id", "e1", "long", "sh", "-c", "echo inexec $$")
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("inexec ")
        p = containerd.ctr("tasks", "ls")
        assert "long" in p.stdout and "RUNNING" in p.stdout
        assert containerd.ctr("tasks", "kill", "-s", "KILL", "long").returncode == 0
        helpers.wait_for(lambda: "STOPPED" in containerd.ctr("tasks", "ls").stdout, what="task stopped")
        p = containerd.ctr("tasks", "delete", "long")
        assert p.returncode == 0, p.stderr
        assert containerd.ctr("containers", "delete", "long").returncode == 0
    finally:
        containerd.ctr("tasks", "delete", "-f", "long")
        containerd.ctr("containers", "delete", "long")
        _cleanup_cgroup_parent(CTR_NS, problems)
    assert not problems, problems


class Dockerd:
    def __init__(self, d, containerd, runtime_bin):
        self.dir = d
        self.host = "unix://%s/docker.sock" % d
        with open(os.path.join(d, "daemon.json"), "w") as f:
            # dockerd 20.10 would otherwise create /etc/docker/key.json
            json.dump({"deprecated-key-path": os.path.join(d, "key.json")}, f)
        self.env = dict(os.environ, DOCKER_CONFIG=os.path.join(d, "cli"), DOCKER_HOST=self.host)
        self.env.pop("DOCKER_CONTEXT", None)
        self.cli = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker")
        args = ["dockerd", "--config-file", os.path.join(d, "daemon.json"),
                "--data-root", os.path.join(d, "data"), "--exec-root", os.path.join(d, "exec"),
                "--pidfile", os.path.join(d, "docker.pid"), "-H", self.host,
                "--containerd", containerd.sock, "--containerd-namespace", MOBY_NS,
                "--containerd-plugins-namespace", MOBY_NS + "-plugins",
                "--bridge=none", "--iptables=false", "--ip-forward=false", "--ip-masq=false",
                "--userland-proxy=false", "--cgroup-parent", "/" + DOCKER_CGROUP,
                "--add-runtime", "berth=" + runtime_bin]
        self.log = open(os.path.join(d, "dockerd.log"), "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=self.env)
        helpers.wait_for(lambda: self.proc.poll() is not None or self.docker("version").returncode == 0,
                         timeout=60, what="dockerd to answer")
        assert self.proc.poll() is None, "dockerd exited: " + self.logtail()

    def docker(self, *args, timeout=120):
        return subprocess.run([self.cli, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, env=self.env, stdin=subprocess.DEVNULL)

    def logtail(self):
        with open(os.path.join(self.dir, "dockerd.log")) as f:
            return f.read()[-3000:]


@pytest.fixture(scope="module")
def dockerd(containerd, runtime_bin):
    _need("dockerd", "docker")
    d = tempfile.mkdtemp(prefix="/tmp/bdkr-")
    dk = Dockerd(d, containerd, runtime_bin)
    yield dk
    problems = []
    _stop(dk.proc, timeout=30)
    dk.log.close()
    _cleanup_dir(d, problems)
    _cleanup_cgroup_parent(DOCKER_CGROUP, problems)
    assert not problems, problems


def test_dockerd_add_runtime(dockerd, image_tar):
    p = dockerd.docker("load", "-i", image_tar)
    assert p.returncode == 0, p.stderr
    assert "busybox:latest" in p.stdout
    info = json.loads(dockerd.docker("info", "--format", "{{json .Runtimes}}").stdout)
    assert "berth" in info
    p = dockerd.docker("run", "--rm", "--runtime", "berth", "busybox", "echo", "hi")
    assert p.returncode == 0, "docker run failed: %s\n%s" % (p.stderr, dockerd.logtail())
    assert p.stdout == "hi\n"
    p = dockerd.docker("run", "--rm", "--runtime", "berth", "busybox", "sh", "-c", "exit 3")
    assert p.returncode == 3, p.stderr


def test_dockerd_detached_exec_stop(dockerd, image_tar):
    assert dockerd.docker("load", "-i", image_tar).returncode == 0
    p = dockerd.docker("run", "-d", "--runtime", "berth", "busybox", "sleep", "300")
    assert p.returncode == 0, p.stderr + dockerd.logtail()
    cid = p.stdout.strip()
    try:
        assert dockerd.docker("inspect", "-f", "{{.HostConfig.Runtime}}", cid).stdout.strip() == "berth"
        p = dockerd.docker("exec", cid, "sh", "-c", "echo inexec; hostname")
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[0] == "inexec"
        assert p.stdout.splitlines()[1] == cid[:12]
        p = dockerd.docker("stop", "-t", "1", cid)
        assert p.returncode == 0, p.stderr
        assert dockerd.docker("inspect", "-f", "{{.State.Status}}", cid).stdout.strip() == "exited"
    finally:
        dockerd.docker("rm", "-f", cid)
