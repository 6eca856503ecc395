"""berth daemon --userns-remap: a test user with its own subordinate ranges (made here, and
/etc/passwd, group, shadow, gshadow, subuid, subgid restored byte for byte afterwards); the
containers' root is an unprivileged host uid (uid_map, the owner of what it writes into a
bind mount or a volume), yet root inside; what host root may do it may not; --userns=host opts
out (and is what --privileged, --pid=host, --network=host need); exec, logs, cp, commit and
export work with the container's own ids."""

import io
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

from test_daemon_common import BERTH, DOCKER, Daemon, daemon_teardown, import_busybox

SIZE = 65536
ETC = ["passwd", "group", "shadow", "gshadow", "subuid", "subgid",
       "passwd-", "group-", "shadow-", "gshadow-", "subuid-", "subgid-"]


def _ranges():
    out = []
    for name in ("/etc/subuid", "/etc/subgid"):
        try:
            lines = Path(name).read_text().splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            f = line.split(":")
            if len(f) == 3 and f[1].isdigit() and f[2].isdigit():
                out.append((int(f[1]), int(f[2])))
    return out


def _free_start():
    """A 65536-id range no entry of /etc/subuid or /etc/subgid uses, above 1000000."""
    start = 1000000
    moved = True
    while moved:
        moved = False
        for s, n in _ranges():
            if start < s + n and s < start + SIZE:
                start = s + n
                moved = True
    return start


def _append(path, line):
    old = Path(path).read_bytes() if os.path.exists(path) else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    tmp = path + ".berth-test"
    Path(tmp).write_bytes(old + line.encode())
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


class EtcGuard:
    """The account files as they are now; restore() puts back exactly these bytes, modes
    and owners (shadow's tools also rewrite the '-' backups)."""

    def __init__(self):
        self.saved = {}
        for n in ETC:
            p = "/etc/" + n
            if os.path.exists(p):
                st = os.stat(p)
                self.saved[p] = (Path(p).read_bytes(), st.st_mode & 0o7777, st.st_uid, st.st_gid)
            else:
                self.saved[p] = None

    def restore(self):
        for p, v in self.saved.items():
            if v is None:
                if os.path.exists(p):
                    os.unlink(p)
                continue
            data, mode, uid, gid = v
            st = os.stat(p) if os.path.exists(p) else None
            if st and Path(p).read_bytes() == data and (st.st_mode & 0o7777) == mode and \
                    (st.st_uid, st.st_gid) == (uid, gid):
                continue
            tmp = p + ".berth-restore"
            Path(tmp).write_bytes(data)
            os.chown(tmp, uid, gid)
            os.chmod(tmp, mode)
            os.rename(tmp, p)
        for p, v in self.saved.items():
            assert (Path(p).read_bytes() if os.path.exists(p) else None) == \
                (v[0] if v else None), p


def _deluser(name):
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


@pytest.fixture(scope="module")
def etc():
    guard = EtcGuard()
    made = []
    yield made
    for name in made:
        _deluser(name)
    guard.restore()
    for name in made:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def _traversable_dir():
    """A daemon root whose parents the remapped root may traverse (pytest's are 0700)."""
    d = tempfile.mkdtemp(prefix="berth-userns.", dir="/tmp")
    os.chmod(d, 0o711)
    return d


class Remapped:
    def __init__(self, dm, user, start, top):
        self.dm, self.user, self.start, self.top = dm, user, start, top


@pytest.fixture(scope="module")
def remap(tmp_path_factory, etc):
    user = "berthu" + os.urandom(3).hex()
    subprocess.run(["useradd", "-r", "-U", "-M", "-s", "/bin/false", user], check=True)
    etc.append(user)
    start = _free_start()
    _append("/etc/subuid", "%s:%d:%d\n" % (user, start, SIZE))
    _append("/etc/subgid", "%s:%d:%d\n" % (user, start, SIZE))
    base = tmp_path_factory.mktemp("userns")
    top = _traversable_dir()
    dm = Daemon(base)
    dm.root = Path(top) / "root"
    cfg = base / "daemon.json"  # the config file's key, as dockerd's daemon.json has it
    cfg.write_text(json.dumps({"userns-remap": user}))
    dm.start("-D", "--config-file", cfg)
    import_busybox(dm, base)
    yield Remapped(dm, user, start, top)
    daemon_teardown(dm, top, str(base))
    shutil.rmtree(top)
    assert os.stat("/dev/null").st_uid == 0 and os.stat("/dev/null").st_gid == 0


def _pid(dm, name):
    return int(dm.docker("inspect", "-f", "{{.State.Pid}}", name).stdout)


def test_root_is_unprivileged_on_the_host(remap):
    dm = remap.dm
    dm.docker("run", "-d", "--name", "u1", "busybox", "sleep", "1000")
    try:
        pid = _pid(dm, "u1")
        assert Path("/proc/%d/uid_map" % pid).read_text().split() == ["0", str(remap.start),
                                                                     str(SIZE)]
        assert Path("/proc/%d/gid_map" % pid).read_text().split() == ["0", str(remap.start),
                                                                     str(SIZE)]
        status = Path("/proc/%d/status" % pid).read_text()
        uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
        assert uid_line.split()[1:] == [str(remap.start)] * 4
        # root inside, through exec too
        assert dm.docker("exec", "u1", "id", "-u").stdout.strip() == "0"
        # a tty exec makes /dev/console as the namespace's root (EOVERFLOW as host root)
        assert dm.docker("exec", "-t", "u1", "tty").stdout.strip().startswith("/dev/pts/")
        assert dm.docker("exec", "u1", "sh", "-c",
                         "echo x > /root/f && stat -c %u:%g /root/f").stdout.strip() == "0:0"
        assert dm.docker("inspect", "-f", "{{.HostConfig.UsernsMode}}", "u1").stdout.strip() \
            == ""
    finally:
        dm.docker("rm", "-f", "u1")


def test_files_written_belong_to_the_remapped_root(remap, tmp_path):
    dm = remap.dm
    bind = Path(remap.top) / "bind"
    bind.mkdir(mode=0o777)
    os.chmod(bind, 0o777)
    out = dm.docker("run", "--rm", "-v", "%s:/b" % bind, "-v", "urvol:/v", "-w", "/new/wd",
                    "busybox", "sh", "-c",
                    "id -u; touch /b/f /v/f; echo hi > /etc/written && cat /etc/written; "
                    "echo '1.2.3.4 extra' >> /etc/hosts && echo hosts-ok; touch f && pwd; "
                    "stat -c %u /etc/hosts /etc/hostname /etc/resolv.conf").stdout.split()
    assert out == ["0", "hi", "hosts-ok", "/new/wd", "0", "0", "0"]
    assert os.stat(bind / "f").st_uid == remap.start
    assert os.stat(bind / "f").st_gid == remap.start
    data = json.loads(dm.docker("volume", "inspect", "urvol").stdout)[0]["Mountpoint"]
    assert os.stat(Path(data) / "f").st_uid == remap.start
    dm.docker("volume", "rm", "urvol")


def test_cannot_do_what_host_root_can(remap):
    dm = remap.dm
    ro = Path(remap.top) / "rootonly"
    ro.mkdir(mode=0o755)
    r = dm.docker("run", "--rm", "-v", "%s:/h" % ro, "busybox", "sh", "-c",
                  "touch /h/x; echo touch=$?; mknod /tmp/sda b 8 0; echo mknod=$?; "
                  "cat /proc/1/uid_map >/dev/null; echo 1 > /proc/sys/kernel/panic; "
                  "echo sysctl=$?", check=False)
    assert "touch=1" in r.stdout and "mknod=1" in r.stdout and "sysctl=1" in r.stdout, r
    assert not (ro / "x").exists()
    # the host's files it could read as root stay out of reach through a bind
    secret = Path(remap.top) / "secret"
    secret.write_text("s")
    os.chmod(secret, 0o600)
    r = dm.docker("run", "--rm", "-v", "%s:/s:ro" % secret, "busybox", "cat", "/s", check=False)
    assert r.returncode != 0 and "Permission denied" in r.stderr + r.stdout


def test_userns_host_opts_out_and_dockerd_conflicts(remap):
    dm = remap.dm
    out = dm.docker("run", "--rm", "--userns=host", "busybox", "cat",
                    "/proc/self/uid_map").stdout.split()
    assert out == ["0", "0", "4294967295"]
    for flags, msg in ((["--privileged"], "privileged mode is incompatible with user namespaces"),
                       (["--network=host"], "cannot share the host's network namespace"),
                       (["--pid=host"], "cannot share the host PID namespace")):
        r = dm.docker("run", "--rm", *flags, "busybox", "true", check=False)
        assert r.returncode == 125 and msg in r.stderr, r
        dm.docker("run", "--rm", "--userns=host", *flags, "busybox", "true")
    # dockerd checks no UsernsMode (its CLI does): anything but "host" is the remapped one
    r = dm.request("POST", "/containers/create",
                   json.dumps({"Image": "busybox", "HostConfig": {"UsernsMode": "private",
                                                                  "Privileged": True}}),
                   {"Content-Type": "application/json"})
    assert r.status == 400 and "privileged mode is incompatible" in r.message
    dm.docker("create", "--name", "uh", "--userns=host", "busybox")
    assert dm.docker("inspect", "-f", "{{.HostConfig.UsernsMode}}", "uh").stdout.strip() == \
        "host"
    dm.docker("rm", "uh")


def _tar_owners(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {m.name: (m.uid, m.gid) for m in t.getmembers()}


def test_logs_exec_cp_commit_export(remap, tmp_path):
    dm = remap.dm
    dm.docker("run", "-d", "--name", "u2", "busybox", "sh", "-c",
              "echo started; mkdir /data && echo p > /data/p && sleep 1000")
    try:
        deadline = time.time() + 15
        while "started" not in dm.docker("logs", "u2").stdout and time.time() < deadline:
            time.sleep(0.1)
        assert dm.docker("logs", "u2").stdout == "started\n"
        while dm.docker("exec", "u2", "test", "-f", "/data/p", check=False).returncode and \
                time.time() < deadline:
            time.sleep(0.1)
        # cp out: the container's ids, not the host's
        out = dm.docker("cp", "u2:/data", "-", input=b"").stdout
        assert _tar_owners(out) == {"data": (0, 0), "data/p": (0, 0)}
        # cp in: owned by the container's root (the remapped uid on the host)
        src = tmp_path / "in.txt"
        src.write_text("in")
        dm.docker("cp", str(src), "u2:/data/")
        assert dm.docker("exec", "u2", "stat", "-c", "%u:%g", "/data/in.txt").stdout.strip() \
            == "0:0"
        st = os.stat("/proc/%d/root/data/in.txt" % _pid(dm, "u2"))
        assert (st.st_uid, st.st_gid) == (remap.start, remap.start)
        # commit: an image with the container's ids
        dm.docker("commit", "u2", "urimg")
        out = dm.docker("run", "--rm", "urimg", "stat", "-c", "%n %u", "/data/p",
                        "/data/in.txt").stdout.split("\n")
        assert out[:2] == ["/data/p 0", "/data/in.txt 0"]
        # export, running and stopped
        exp = dm.docker("export", "u2", input=b"").stdout
        owners = _tar_owners(exp)
        assert owners["data/p"] == (0, 0) and owners["bin/busybox"] == (0, 0)
        dm.docker("stop", "-t", "1", "u2")
        out = dm.docker("cp", "u2:/data/p", "-", input=b"").stdout
        assert _tar_owners(out) == {"p": (0, 0)}
    finally:
        dm.docker("rm", "-f", "u2")
        dm.docker("rmi", "urimg", check=False)


def test_info_and_root(remap):
    info = remap.dm.get_json("/info")
    assert "name=userns" in info["SecurityOptions"]
    assert info["DockerRootDir"] == "%s/root/%d.%d" % (remap.top, remap.start, remap.start)
    st = os.stat(info["DockerRootDir"])
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o710, 0, remap.start)


def test_bad_specs_refused(etc, tmp_path):
    top = _traversable_dir()
    try:
        for spec, msg in (("nosuchuser-berth", 'Error during uid lookup for "nosuchuser-berth"'),
                          ("a:b:c", "Invalid user/group specification"),
                          ("daemon", "no subordinate ranges found for daemon")):
            r = subprocess.run([str(BERTH), "daemon", "-H", "unix://%s/s.sock" % tmp_path,
                                "--root", "%s/root" % top, "--run-dir", str(tmp_path / "run"),
                                "--userns-remap", spec], capture_output=True, text=True,
                               timeout=30)
            assert r.returncode == 1 and msg in r.stderr, (spec, r.stderr)
    finally:
        shutil.rmtree(top)


def test_default_creates_dockremap(etc, tmp_path):
    try:
        pwd.getpwnam("dockremap")
        pytest.skip("a dockremap user exists already (left as it is)")
    except KeyError:
        pass
    etc.append("dockremap")
    top = _traversable_dir()
    dm = Daemon(tmp_path)
    dm.root = Path(top) / "root"
    try:
        dm.start("--userns-remap", "default")
        pw = pwd.getpwnam("dockremap")
        lines = [l for l in Path("/etc/subuid").read_text().splitlines()
                 if l.startswith("dockremap:")]
        assert len(lines) == 1
        start = int(lines[0].split(":")[1])
        assert int(lines[0].split(":")[2]) == SIZE
        assert [l for l in Path("/etc/subgid").read_text().splitlines()
                if l.startswith("dockremap:")] == lines
        assert pw.pw_shell == "/bin/false"
        info = dm.get_json("/info")
        assert info["DockerRootDir"] == "%s/root/%d.%d" % (top, start, start)
        rc = dm.stop()
        assert rc == 0, dm.log()
        # a second start finds the user and its ranges: nothing added
        dm.start("--userns-remap", "default")
        assert [l for l in Path("/etc/subuid").read_text().splitlines()
                if l.startswith("dockremap:")] == lines
    finally:
        dm.stop()
        shutil.rmtree(top)


def test_host_ipc_and_uts_in_the_user_namespace(remap):
    """dockerd allows these with remapping: the host's IPC namespace is not the user
    namespace's (no mqueue mount of its own), --uts=host sets no hostname."""
    dm = remap.dm
    assert dm.docker("run", "--rm", "--ipc=host", "busybox", "cat",
                     "/proc/self/uid_map").stdout.split()[1] == str(remap.start)
    assert dm.docker("run", "--rm", "--uts=host", "busybox",
                     "hostname").stdout.strip() == os.uname().nodename


def test_network_namespace_belongs_to_the_container(remap):
    """As dockerd's (runc makes it in the new user namespace): the container's root has its
    network capabilities there, sysfs is its own, and a container sharing its network shares
    its user namespace."""
    dm = remap.dm
    out = dm.docker("run", "--rm", "--cap-add", "NET_ADMIN", "busybox", "sh", "-c",
                    "ping -c1 -W5 127.0.0.1 >/dev/null && echo ping-ok; "
                    "ip link set lo mtu 1500 && echo netadmin-ok; mount | grep ' /sys '").stdout
    assert "ping-ok" in out and "netadmin-ok" in out and out.count("sysfs on /sys") == 1, out
    dm.docker("run", "-d", "--name", "un", "busybox", "sleep", "1000")
    try:
        pid = _pid(dm, "un")
        mine = os.readlink("/proc/%d/ns/user" % pid)
        assert mine != os.readlink("/proc/self/ns/user")
        other = dm.docker("run", "--rm", "--network", "container:un", "busybox", "readlink",
                          "/proc/self/ns/user").stdout.strip()
        assert other == mine
        assert dm.docker("exec", "un", "ping", "-c1", "-W5", "127.0.0.1").returncode == 0
    finally:
        dm.docker("rm", "-f", "un")
    # nothing of it stays mounted in the run directory
    with open("/proc/self/mountinfo") as f:
        assert [l for l in f if str(dm.run) in l] == []


def test_build_layers_and_check(remap, tmp_path):
    """A build's RUN layer gets the container's ids; `berth system check` finds the daemon's
    own idmapped view and a running remapped container consistent."""
    dm = remap.dm
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "x").write_text("data")
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN mkdir /d && touch /d/f && chown 5:5 /d/f\n"
                                    "COPY x /x\n")
    env = dict(dm.env(), DOCKER_BUILDKIT="0")
    subprocess.run([DOCKER, "build", "-q", "-t", "urbuild", str(ctx)], env=env, check=True,
                   capture_output=True, timeout=120)
    try:
        out = dm.docker("run", "--rm", "urbuild", "stat", "-c", "%n %u:%g", "/d", "/d/f",
                        "/x").stdout.split("\n")
        assert out[:3] == ["/d 0:0", "/d/f 5:5", "/x 0:0"]
        dm.docker("run", "-d", "--name", "uck", "busybox", "sleep", "1000")
        assert dm.get_json("/system/check") == {"Problems": []}
    finally:
        dm.docker("rm", "-f", "uck", check=False)
        dm.docker("rmi", "urbuild", check=False)
