"""Shared by the test_daemon_* modules (no tests here): a berth daemon on a temporary root,
run dir and socket, a raw HTTP client over its Unix socket, the docker CLI and docker-py
pointed at it, and small deterministic layer tarballs."""

import atexit
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

import helpers
import sanitizer

BERTH = Path(os.environ.get("BERTH", str(helpers.TOP / "build" / "berth")))
DOCKER = os.environ.get("DOCKER_CLI") or shutil.which("docker") or "/usr/local/bin/docker"
TIMEOUT = 30


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over AF_UNIX: keep-alive and chunked handling come from the stdlib."""

    def __init__(self, path, timeout=TIMEOUT):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = str(path)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Response:
    def __init__(self, resp, data):
        self.status = resp.status
        self.reason = resp.reason
        self.headers = resp.headers
        self.data = data

    def json(self):
        return json.loads(self.data)

    @property
    def message(self):
        return self.json().get("message")


_ALL = []


@atexit.register
def _cleanup_all():
    """Daemons a test never stopped (killed, or left running): their processes end with the
    test run, their bridges and table go with them."""
    for d in _ALL:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        d.cleanup_net()


class Daemon:
    """One `berth daemon` process; everything it owns lives under base."""

    def __init__(self, base):
        self.base = Path(base)
        self.root = self.base / "root"
        self.run = self.base / "run"
        self.sock = self.base / "docker.sock"
        self.logpath = self.base / "daemon.log"
        self.cfgdir = self.base / "docker-config"
        self.cfgdir.mkdir(parents=True, exist_ok=True)
        self.proc = None
        # a bridge of its own (IFNAMSIZ: 15 characters), so concurrent daemons never clash
        self.bridge = "bt" + os.urandom(3).hex()
        _ALL.append(self)

    @property
    def host(self):
        return "unix://%s" % self.sock

    def argv(self, *extra):
        return [str(BERTH), "daemon", "-H", self.host, "--root", str(self.root),
                "--run-dir", str(self.run), "--bridge", self.bridge, *[str(a) for a in extra]]

    def start(self, *extra, argv=None):
        log = open(self.logpath, "ab")
        env = dict(os.environ, **sanitizer.env_for(self.base / "sanitizer"))
        self.proc = subprocess.Popen(argv or self.argv(*extra), stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, env=env)
        log.close()
        self.wait_ready()
        return self

    def wait_ready(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited with %d:\n%s" % (self.proc.returncode,
                                                                    self.log()))
            try:
                if self.request("GET", "/_ping").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise AssertionError("daemon not ready after %ds:\n%s" % (timeout, self.log()))

    def stop(self, sig=signal.SIGTERM, timeout=15, cleanup_net=True):
        """Stops the daemon; cleanup_net also removes its bridges and nftables table (the
        daemon keeps them across restarts, as dockerd keeps docker0)."""
        if not self.proc or self.proc.poll() is not None:
            if cleanup_net:
                self.cleanup_net()
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("daemon ignored signal %d:\n%s" % (sig, self.log()))
        finally:
            if cleanup_net:
                self.cleanup_net()
        # a leak or error report at the daemon's exit (LeakSanitizer runs then)
        found = sanitizer.new_reports(self.base / "sanitizer")
        if found:
            raise AssertionError(sanitizer.describe(found))
        return rc

    def bridges(self):
        """The host bridges of this daemon's networks: the default one and user networks'."""
        names = [self.bridge]
        for f in (self.root / "network").glob("*.json"):
            try:
                b = json.loads(f.read_text()).get("_Bridge")
            except (OSError, ValueError):
                continue
            if b and b not in names:
                names.append(b)
        return names

    def cleanup_net(self):
        for b in self.bridges():
            if os.path.exists("/sys/class/net/%s" % b):
                subprocess.run(["ip", "link", "del", b], capture_output=True)
        nft_run("delete table ip berth-%s" % self.bridge)

    def log(self):
        try:
            return self.logpath.read_text(errors="replace")
        except OSError:
            return ""

    def connect(self):
        return UnixHTTPConnection(self.sock)

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.connect()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return Response(r, r.read())
        finally:
            if conn is None:
                c.close()

    def get_json(self, path):
        r = self.request("GET", path)
        assert r.status == 200, (path, r.status, r.data)
        return r.json()

    def env(self):
        e = dict(os.environ)
        e.update(DOCKER_HOST=self.host, DOCKER_CONFIG=str(self.cfgdir))
        e.pop("DOCKER_API_VERSION", None)
        return e

    def docker(self, *args, input=None, check=True, timeout=TIMEOUT):
        p = subprocess.run([DOCKER, *[str(a) for a in args]], input=input,
                           capture_output=True, env=self.env(), timeout=timeout,
                           text=not isinstance(input, bytes))
        if check:
            assert p.returncode == 0, "docker %s: exit %d\nstdout: %s\nstderr: %s" % (
                " ".join(map(str, args)), p.returncode, p.stdout, p.stderr)
        return p

    def import_tar(self, data, repo="", tag="", changes=(), message="", chunked=False):
        """POST /images/create?fromSrc=- with data as the body; returns the Response."""
        q = [("fromSrc", "-")]
        if repo:
            q.append(("repo", repo))
        if tag:
            q.append(("tag", tag))
        if message:
            q.append(("message", message))
        q += [("changes", c) for c in changes]
        from urllib.parse import urlencode
        path = "/v1.45/images/create?" + urlencode(q)
        if chunked:
            # an iterable body without Content-Length goes out chunked
            return self.request("POST", path, body=iter([data[:1000], data[1000:]]),
                                headers={"Content-Type": "application/x-tar"})
        return self.request("POST", path, body=data, headers={"Content-Type": "application/x-tar"})

    def import_ok(self, data, **kw):
        r = self.import_tar(data, **kw)
        assert r.status == 200, (r.status, r.data)
        last = [line for line in r.data.decode().splitlines() if line.strip()][-1]
        image_id = json.loads(last)["status"]
        assert image_id.startswith("sha256:") and len(image_id) == 71, r.data
        return image_id

    def layer_dirs(self):
        d = self.root / "image" / "layers"
        return sorted(os.listdir(d)) if d.exists() else []


def monitors_of(d):
    """PIDs of the berth-monitor processes of daemon d (by its run directory)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path("/proc/%s/cmdline" % pid).read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"berth-monitor") and str(d.run).encode() in b" ".join(cmd):
            out.append(int(pid))
    return out


def nft_run(cmd):
    """One nftables command through libnftables (no nft binary here); (rc, output)."""
    import ctypes
    lib = ctypes.CDLL("libnftables.so.1")
    lib.nft_ctx_new.restype = ctypes.c_void_p
    lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
    ctx = lib.nft_ctx_new(0)
    lib.nft_ctx_buffer_output(ctx)
    lib.nft_ctx_buffer_error(ctx)
    rc = lib.nft_run_cmd_from_buffer(ctx, cmd.encode())
    out = (lib.nft_ctx_get_output_buffer(ctx) or b"").decode()
    lib.nft_ctx_free(ctx)
    return rc, out


def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    """entries: (name, kind, payload, mode, uid); kind in file dir sym hard chr fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            name, kind = e[0], e[1]
            payload = e[2] if len(e) > 2 else None
            mode = e[3] if len(e) > 3 and e[3] is not None else (0o755 if kind == "dir" else 0o644)
            uid = e[4] if len(e) > 4 else 0
            ti = tarfile.TarInfo(name)
            ti.mode, ti.uid, ti.gid, ti.mtime = mode, uid, uid, 1000000000
            data = None
            if kind == "file":
                data = payload.encode() if isinstance(payload, str) else (payload or b"")
                ti.size = len(data)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, payload
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, payload
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def rootfs_tar(marker="x"):
    """A tiny root filesystem; marker changes the content (and so the diff ID)."""
    return tar_bytes([
        ("./", "dir"),
        ("bin/", "dir"),
        ("bin/tool", "file", "#!/bin/sh\necho %s\n" % marker, 0o4755),
        ("bin/tool2", "hard", "bin/tool"),
        ("bin/sh", "sym", "tool"),
        ("etc/", "dir"),
        ("etc/passwd", "file", "root:x:0:0:root:/root:/bin/sh\n"),
        ("home/", "dir", None, 0o750, 1000),
        ("tmp/", "dir", None, 0o1777),
        ("marker", "file", marker),
    ])


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gz(data):
    return gzip.compress(data, mtime=0)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """A debug daemon (hijack test route enabled) shared by a test module."""
    d = Daemon(tmp_path_factory.mktemp("berthd"))
    d.start("-D")
    yield d
    rc = d.stop()
    assert rc == 0, d.log()
    assert not d.sock.exists(), "socket left behind"


BUSYBOX_PATH_ENV = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def import_busybox(dm, base, more=None):
    """busybox:latest in dm, from scripts/mkrootfs's offline rootfs (no ../shared needed);
    more(dm, tar), when given, makes other images of that rootfs tarball before it goes."""
    tar = Path(base) / "rootfs.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkrootfs"), "--tar", str(tar)], check=True,
                   capture_output=True, timeout=120)
    dm.docker("import", "-c", 'CMD ["sh"]', "-c", BUSYBOX_PATH_ENV, str(tar), "busybox:latest")
    if more:
        more(dm, tar)
    tar.unlink()


def busybox_daemon(base, more=None, extra=()):
    """A module fixture's body: a debug daemon (with the flags in extra) with busybox (and
    what more makes, as in import_busybox) under base; at the end its containers go, it
    stops cleanly, nothing stays mounted and no monitor outlives it."""
    dm = Daemon(base)
    dm.start("-D", *extra)
    import_busybox(dm, base, more)
    yield dm
    daemon_teardown(dm, str(base))


def daemon_teardown(dm, *paths):
    """A module daemon's end: its containers go, it stops cleanly, nothing under paths stays
    mounted and no monitor outlives it."""
    left = dm.docker("ps", "-aq").stdout.split()
    if left:
        dm.docker("rm", "-f", *left, check=False)
    rc = dm.stop()
    assert rc == 0, dm.log()
    with open("/proc/self/mountinfo") as f:
        mi = f.read()
    for p in paths:
        assert p not in mi
    # no monitor outlives its container (nor a probe's exec its container)
    deadline = time.time() + 15
    while monitors_of(dm) and time.time() < deadline:
        time.sleep(0.1)
    assert monitors_of(dm) == []
