"""docker cp through the daemon with the real CLI: files and directories both ways (content,
modes, owners) on running and stopped containers, writes that follow the container's binds
and volumes, symlinks resolved inside the container (a link to / never reaches the host),
read-only roots and volumes, and bad input (missing paths, tars with ../ entries, links out,
dir/non-dir clashes) refused with nothing written."""

import base64
import io
import json
import os
import tarfile
import time
import uuid
from urllib.parse import quote

import pytest

from test_volumes import load_images, mounts_under
from test_daemon_common import Daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-cp")
    dm = Daemon(base)
    dm.start("-D")
    load_images(dm, base)
    yield dm
    dm.docker("rm", "-f", "-v", *dm.docker("ps", "-aq").stdout.split(), check=False)
    vols = dm.docker("volume", "ls", "-q").stdout.split()
    if vols:
        dm.docker("volume", "rm", "-f", *vols, check=False)
    rc = dm.stop()
    assert rc == 0, dm.log()
    assert mounts_under(dm.base) == []


@pytest.fixture(params=["running", "stopped"])
def ctr(request, d, tmp_path):
    """A container with a bind at /b, a named volume at /vol and a link /lnk -> /."""
    name = "cp-%s" % request.param
    bind = tmp_path / "bind"
    d.docker("create", "--name", name, "-v", "%s:/b" % bind, "-v", "cpvol-%s:/vol" % name,
             "busybox", "sh", "-c", "ln -s / /lnk; mkdir -p /tmp/in; touch /ready; sleep 60")
    try:
        d.docker("start", name)
        deadline = time.time() + 30
        while d.request("HEAD", "/v1.45/containers/%s/archive?path=/ready" % name).status != 200:
            assert time.time() < deadline, "the container never got ready"
            time.sleep(0.05)
        if request.param == "stopped":
            d.docker("stop", "-t", "0", name)
        yield d, name, bind
    finally:
        d.docker("rm", "-f", "-v", name)
        d.docker("volume", "rm", "cpvol-%s" % name)
    assert mounts_under(d.base) == []
    assert os.stat("/dev/null").st_uid == 0


def read_in(d, name, path):
    """A file's bytes from the container, through GET archive."""
    r = d.request("GET", "/v1.45/containers/%s/archive?path=%s" % (name, quote(path)))
    assert r.status == 200, r.data
    t = tarfile.open(fileobj=io.BytesIO(r.data))
    m = t.getmembers()[0]
    return t.extractfile(m).read(), m


def put_tar(d, name, path, entries, query=""):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return d.request("PUT", "/v1.45/containers/%s/archive?path=%s%s" % (name, quote(path), query),
                     body=b.getvalue(), headers={"Content-Type": "application/x-tar"})


def entry(name, data=b"", typ=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname = typ, link
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    return ti, data if typ == tarfile.REGTYPE else None


def test_cp_files_and_dirs_both_ways(ctr, tmp_path):
    d, name, bind = ctr
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "f.txt").write_text("hello cp\n")
    os.chmod(src / "f.txt", 0o640)
    os.chown(src / "f.txt", 1234, 5678)
    (src / "sub" / "g").write_bytes(b"\x00\x01binary")
    os.chmod(src / "sub", 0o711)
    os.symlink("f.txt", src / "ln")
    d.docker("cp", str(src / "f.txt"), "%s:/tmp/in/" % name)
    d.docker("cp", str(src), "%s:/tmp/in/tree" % name)
    data, m = read_in(d, name, "/tmp/in/f.txt")
    assert data == b"hello cp\n" and m.mode == 0o640 and (m.uid, m.gid) == (1234, 5678)
    data, m = read_in(d, name, "/tmp/in/tree/sub/g")
    assert data == b"\x00\x01binary"
    # HEAD: the stat header as the CLI reads it
    r = d.request("HEAD", "/v1.45/containers/%s/archive?path=/tmp/in/tree/sub" % name)
    st = json.loads(base64.b64decode(r.headers["X-Docker-Container-Path-Stat"]))
    assert st["name"] == "sub" and st["mode"] == (1 << 31) | 0o711
    data, m = read_in(d, name, "/tmp/in/tree/f.txt")  # owners as the tar carries them
    assert data == b"hello cp\n" and (m.uid, m.gid, m.mode) == (1234, 5678, 0o640)
    # and back (the CLI extracts without owners)
    out = tmp_path / "out"
    out.mkdir()
    d.docker("cp", "%s:/tmp/in/tree" % name, str(out))
    assert (out / "tree" / "f.txt").read_text() == "hello cp\n"
    assert os.stat(out / "tree" / "f.txt").st_mode & 0o7777 == 0o640
    assert os.readlink(out / "tree" / "ln") == "f.txt"
    assert os.stat(out / "tree" / "sub").st_mode & 0o7777 == 0o711
    assert (out / "tree" / "sub" / "g").read_bytes() == b"\x00\x01binary"
    d.docker("cp", "%s:/tmp/in/f.txt" % name, str(out / "copy.txt"))
    assert (out / "copy.txt").read_text() == "hello cp\n"


def test_cp_follows_mounts(ctr, tmp_path):
    d, name, bind = ctr
    # larger than any buffered request body (64 MiB): the upload is spooled, not held
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.write(os.urandom(1 << 20) * 65 + b"end")
    d.docker("cp", str(big), "%s:/b/" % name, timeout=120)
    assert (bind / "big").stat().st_size == 65 * (1 << 20) + 3
    assert (bind / "big").read_bytes()[-3:] == b"end"
    # and out again, streamed
    d.docker("cp", "%s:/b/big" % name, str(tmp_path / "big-out"), timeout=120)
    assert (tmp_path / "big-out").read_bytes() == big.read_bytes()
    # a client that leaves mid-tar: the container is not held
    c = d.connect()
    c.request("GET", "/v1.45/containers/%s/archive?path=/b/big" % name)
    resp = c.getresponse()
    assert resp.status == 200 and len(resp.read(1 << 16)) == 1 << 16
    c.close()
    r = d.request("HEAD", "/v1.45/containers/%s/archive?path=/b/big" % name)
    assert r.status == 200
    os.unlink(bind / "big")
    f = tmp_path / "m.txt"
    f.write_text("to the mounts\n")
    d.docker("cp", str(f), "%s:/b/" % name)
    assert (bind / "m.txt").read_text() == "to the mounts\n"
    d.docker("cp", str(f), "%s:/vol/" % name)
    vol = d.root / "volumes" / ("cpvol-%s" % name) / "_data"
    assert (vol / "m.txt").read_text() == "to the mounts\n"
    (bind / "host.txt").write_text("from the host\n")
    assert read_in(d, name, "/b/host.txt")[0] == b"from the host\n"


def test_cp_symlink_to_root_stays_inside(ctr, tmp_path):
    d, name, bind = ctr
    secret = "/tmp/berth-cp-secret-%s" % uuid.uuid4().hex
    with open(secret, "w") as f:
        f.write("host only\n")
    try:
        r = d.request("GET", "/v1.45/containers/%s/archive?path=%s" % (name, quote("/lnk" + secret)))
        assert r.status == 404
        plant = "berth-cp-plant-%s" % uuid.uuid4().hex
        f = tmp_path / plant
        f.write_text("x\n")
        d.docker("cp", str(f), "%s:/lnk/tmp/" % name)
        assert not os.path.exists("/tmp/" + plant)
        assert read_in(d, name, "/tmp/" + plant)[0] == b"x\n"
        target = "/tmp/berth-cp-plant-%s" % uuid.uuid4().hex
        # a tar that makes a link to / and writes through it is refused whole
        r = put_tar(d, name, "/tmp/in", [entry("esc", typ=tarfile.SYMTYPE, link="/"),
                                         entry("esc" + target, b"pwn")])
        assert r.status == 400 and "symbolic link" in r.json()["message"]
        assert not os.path.exists(target)
        r = d.request("GET", "/v1.45/containers/%s/archive?path=/tmp/in/esc" % name)
        assert r.status == 404
    finally:
        os.unlink(secret)


def test_cp_bad_input(ctr, tmp_path):
    d, name, bind = ctr
    f = tmp_path / "f"
    f.write_text("x")
    p = d.docker("cp", str(f), "%s:/no/such/dir/" % name, check=False)
    assert p.returncode == 1
    p = d.docker("cp", "%s:/no/such/file" % name, str(tmp_path), check=False)
    assert p.returncode == 1 and "Could not find the file /no/such/file" in p.stderr
    r = put_tar(d, name, "/no/such", [entry("a", b"a")])
    assert r.status == 404 and "Could not find the file /no/such" in r.json()["message"]
    r = put_tar(d, name, "/tmp/in", [entry("first", b"1"), entry("../../escaped", b"2")])
    assert r.status == 400 and "outside the target" in r.json()["message"]
    r = put_tar(d, name, "/tmp/in", [entry("hl", typ=tarfile.LNKTYPE, link="../../etc/passwd")])
    assert r.status == 400
    assert d.request("GET", "/v1.45/containers/%s/archive?path=/tmp/in/first" % name).status == 404
    assert not os.path.exists("/escaped") and not os.path.exists("/tmp/escaped")
    # noOverwriteDirNonDir: a file over a directory (and back) is refused
    r = put_tar(d, name, "/tmp", [entry("in", b"f")], "&noOverwriteDirNonDir=1")
    assert r.status == 400 and "cannot overwrite directory" in r.json()["message"]
    r = d.request("PUT", "/v1.45/containers/%s/archive?path=/tmp" % name, body=b"not a tar")
    assert r.status == 400
    r = put_tar(d, "nosuchctr", "/tmp", [entry("a", b"a")])
    assert r.status == 404


@pytest.mark.parametrize("state", ["running", "stopped"])
def test_cp_read_only(d, tmp_path, state):
    f = tmp_path / "f"
    f.write_text("x")
    name = "ro-" + state
    d.docker("run", "-d", "--name", name, "--read-only", "-v", "rw-%s:/rw" % name,
             "-v", "ro-%s:/ro:ro" % name, "busybox", "sleep", "60")
    if state == "stopped":
        d.docker("stop", "-t", "0", name)
    try:
        p = d.docker("cp", str(f), "%s:/tmp/" % name, check=False)
        assert p.returncode == 1 and "container rootfs is marked read-only" in p.stderr
        p = d.docker("cp", str(f), "%s:/ro/" % name, check=False)
        assert p.returncode == 1 and "mounted volume is marked read-only" in p.stderr
        d.docker("cp", str(f), "%s:/rw/" % name)
        assert (d.root / "volumes" / ("rw-" + name) / "_data" / "f").read_text() == "x"
    finally:
        d.docker("rm", "-f", name)
        d.docker("volume", "rm", "rw-" + name, "ro-" + name)


def test_cp_kernel_file_systems(ctr):
    """/proc, /sys and the like are mount points to cp, never contents (a running container's
    would be endless or the host's)."""
    d, name, bind = ctr
    r = d.request("GET", "/v1.45/containers/%s/archive?path=/" % name)
    assert r.status == 200
    names = tarfile.open(fileobj=io.BytesIO(r.data)).getnames()
    assert "./bin/sh" in names and "./proc" in names and "./sys" in names
    assert not [n for n in names if n.startswith(("./proc/", "./sys/", "./dev/pts/"))]
    r = d.request("GET", "/v1.45/containers/%s/archive?path=/proc/cpuinfo" % name)
    assert r.status == 404
    if name.endswith("running"):  # stopped: plain directories of the root, as in dockerd
        r = put_tar(d, name, "/proc", [entry("x", b"x")])
        assert r.status == 400 and "kernel file system" in r.json()["message"]
        r = put_tar(d, name, "/", [entry("proc/x", b"x")])
        assert r.status == 400 and "kernel file system" in r.json()["message"]


def test_cp_get_stat_header_each_time(ctr):
    """Each GET archive's X-Docker-Container-Path-Stat is its path's: the stat is handed over
    before the tar's thread starts (they once raced, and an ASan daemon's exit showed the
    stat the thread overwrote as a leak)."""
    d, name, bind = ctr
    for _ in range(20):
        r = d.request("GET", "/v1.45/containers/%s/archive?path=/ready" % name)
        assert r.status == 200
        st = json.loads(base64.b64decode(r.headers["X-Docker-Container-Path-Stat"]))
        assert (st["name"], st["size"], st["linkTarget"]) == ("ready", 0, "")
        assert tarfile.open(fileobj=io.BytesIO(r.data)).getnames() == ["ready"]
