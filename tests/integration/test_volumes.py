"""Volumes and mounts through the daemon, driven by the real docker CLI: named volumes that
outlive their containers, image VOLUMEs filled from the image, binds (created when missing),
read-only mounts and roots, tmpfs sizes as the kernel shows them, --volumes-from, the volume
API (filters, prune, rm conflicts, option volumes mounted while used) and bad specs refused
with nothing made. Every test leaves no container, volume or mount behind."""

import io
import json
import os
import re
import tarfile
import time

import pytest

from test_daemon_common import BUSYBOX_PATH_ENV, Daemon, import_busybox

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


def volume_image_tar(rootfs, out):
    """rootfs plus /data (1000:1000, 0750) holding hello (0640): an image with content at
    its VOLUME path."""
    src = tarfile.open(rootfs)
    with tarfile.open(out, "w") as t:
        for m in src.getmembers():
            t.addfile(m, src.extractfile(m) if m.isfile() else None)
        d = tarfile.TarInfo("data")
        d.type, d.mode, d.uid, d.gid = tarfile.DIRTYPE, 0o750, 1000, 1000
        t.addfile(d)
        data = b"from the image\n"
        f = tarfile.TarInfo("data/hello")
        f.size, f.mode, f.uid, f.gid = len(data), 0o640, 1000, 1000
        t.addfile(f, io.BytesIO(data))


def volimg(dm, tar):
    vtar = tar.parent / "volimg.tar"
    volume_image_tar(tar, vtar)
    dm.docker("import", "-c", 'CMD ["sh"]', "-c", BUSYBOX_PATH_ENV, "-c", "VOLUME /data",
              str(vtar), "volimg:latest")
    vtar.unlink()


def load_images(dm, base):
    """busybox:latest and volimg:latest (busybox with content at its VOLUME /data)."""
    import_busybox(dm, base, more=volimg)


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if str(path) in line]


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-vol")
    dm = Daemon(base)
    dm.start("-D")
    load_images(dm, base)
    yield dm
    dm.docker("rm", "-f", *dm.docker("ps", "-aq").stdout.split(), check=False)
    vols = dm.docker("volume", "ls", "-q").stdout.split()
    if vols:
        dm.docker("volume", "rm", "-f", *vols, check=False)
    rc = dm.stop()
    assert rc == 0, dm.log()
    assert mounts_under(dm.base) == []


@pytest.fixture
def clean(d):
    """Checks after the test that it left no container, volume or mount behind."""
    yield d
    assert d.docker("ps", "-aq").stdout.split() == []
    assert d.docker("volume", "ls", "-q").stdout.split() == []
    assert mounts_under(d.base) == []
    assert os.stat("/dev/null").st_uid == 0


def mounts_of(d, name):
    return json.loads(d.docker("inspect", "-f", "{{json .Mounts}}", name).stdout)


def volume_events(d, since):
    out = d.docker("events", "--since", since, "--until", str(int(time.time()) + 1),
                   "--filter", "type=volume", "--format", "{{json .}}").stdout
    return [json.loads(l) for l in out.splitlines()]


def test_named_volume_persists(clean):
    d = clean
    since = str(int(time.time()) - 1)
    d.docker("run", "--name", "wr", "-v", "keep:/data", "busybox", "sh", "-c",
             "echo persisted > /data/f")
    cid = d.docker("inspect", "-f", "{{.Id}}", "wr").stdout.strip()
    ev = [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"]) for e in volume_events(d, since)]
    assert ev[0] == ("create", "keep", {"driver": "local"})
    assert ev[1] == ("mount", "keep", {"container": cid, "destination": "/data", "driver": "local",
                                       "propagation": "", "read/write": "true"})
    assert ev[2] == ("unmount", "keep", {"container": cid, "driver": "local"})
    out = d.docker("events", "--since", since, "--until", str(int(time.time()) + 1),
                   "--filter", "volume=keep", "--format", "{{.Type}} {{.Action}}").stdout
    assert out.splitlines() == ["volume create", "volume mount", "volume unmount"]
    [m] = mounts_of(d, "wr")
    assert m["Type"] == "volume" and m["Name"] == "keep" and m["Driver"] == "local"
    assert m["Source"] == str(d.root / "volumes" / "keep" / "_data")
    assert m["Destination"] == "/data" and m["Mode"] == "z" and m["RW"] is True
    assert m["Propagation"] == ""
    assert (d.root / "volumes" / "keep" / "_data" / "f").read_text() == "persisted\n"
    out = d.docker("run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/f").stdout
    assert out == "persisted\n"
    [v] = json.loads(d.docker("volume", "inspect", "keep").stdout)
    assert v["Name"] == "keep" and v["Scope"] == "local" and v["Driver"] == "local"
    assert v["Mountpoint"] == m["Source"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v["CreatedAt"])
    # system df: the bytes in it and the containers using it
    [u] = [x for x in d.get_json("/v1.45/system/df")["Volumes"] if x["Name"] == "keep"]
    assert u["UsageData"] == {"Size": len("persisted\n"), "RefCount": 1}
    for f in ("volume=keep", "volume=/data"):
        assert d.docker("ps", "-aq", "--no-trunc", "-f", f).stdout.split() == [
            d.docker("inspect", "-f", "{{.Id}}", "wr").stdout.strip()]
    assert d.docker("ps", "-aq", "-f", "volume=other").stdout == ""
    listed = json.loads(d.docker("ps", "-a", "--format", "{{json .Mounts}}").stdout)
    assert listed == "keep"
    # in use by a stopped container: 409 naming it; rm -v keeps named volumes
    p = d.docker("volume", "rm", "keep", check=False)
    assert p.returncode == 1 and "volume is in use" in p.stderr
    assert cid in p.stderr
    d.docker("rm", "-v", "wr")
    assert d.docker("volume", "ls", "-q").stdout.split() == ["keep"]
    d.docker("volume", "rm", "keep")
    assert not (d.root / "volumes" / "keep").exists()


def test_image_volume_prepopulated(clean):
    d = clean
    out = d.docker("run", "--name", "img", "volimg", "sh", "-c",
                   "cat /data/hello; stat -c '%u:%g %a' /data /data/hello; echo new > /data/n")
    assert out.stdout == "from the image\n1000:1000 750\n1000:1000 640\n"
    [m] = mounts_of(d, "img")
    assert m["Type"] == "volume" and re.fullmatch("[0-9a-f]{64}", m["Name"])
    assert m["Mode"] == "" and m["Destination"] == "/data"
    data = d.root / "volumes" / m["Name"] / "_data"
    assert sorted(os.listdir(data)) == ["hello", "n"]
    # a second start finds the volume non-empty: nothing is copied over it
    (data / "hello").write_text("changed\n")
    d.docker("start", "-a", "img")
    assert (data / "hello").read_text() == "changed\n"
    # rm -v takes the anonymous volume; --rm does so too
    d.docker("rm", "-v", "img")
    assert not data.parent.exists()
    d.docker("run", "--rm", "volimg", "true")
    # nocopy: the volume stays empty
    out = d.docker("run", "--rm", "-v", "nc:/data:nocopy", "volimg", "ls", "-A", "/data")
    assert out.stdout == ""
    d.docker("volume", "rm", "nc")


def test_read_only(clean, tmp_path):
    d = clean
    p = d.docker("run", "--rm", "-v", "rov:/data:ro", "busybox", "touch", "/data/x",
                 check=False)
    assert p.returncode == 1 and "Read-only file system" in p.stderr
    p = d.docker("run", "--rm", "--read-only", "--tmpfs", "/run", "busybox", "sh", "-c",
                 "touch /run/ok && touch /x", check=False)
    assert p.returncode == 1 and "Read-only file system" in p.stderr
    src = tmp_path / "robind"
    src.mkdir()
    d.docker("run", "--name", "rob", "--mount", "type=bind,src=%s,dst=/b,readonly" % src,
             "busybox", "sh", "-c", "touch /b/x || true")
    assert os.listdir(src) == []
    [m] = mounts_of(d, "rob")
    assert m["Type"] == "bind" and m["RW"] is False and m["Source"] == str(src)
    d.docker("rm", "rob")
    d.docker("volume", "rm", "rov")


def test_tmpfs_sizes(clean):
    d = clean
    out = d.docker("run", "--rm", "--tmpfs", "/t:size=1m", "busybox", "grep", " /t ",
                   "/proc/mounts").stdout.split()
    assert out[2] == "tmpfs" and "size=1024k" in out[3].split(",")
    assert "noexec" in out[3].split(",")
    out = d.docker("run", "--rm", "--mount", "type=tmpfs,dst=/t2,tmpfs-size=2m,tmpfs-mode=1770",
                   "busybox", "sh", "-c", "grep ' /t2 ' /proc/mounts; stat -c %a /t2")
    line, mode = out.stdout.splitlines()
    assert "size=2048k" in line.split()[3].split(",") and mode == "1770"


def test_volumes_from(clean, tmp_path):
    d = clean
    host = tmp_path / "shared"
    d.docker("create", "--name", "src", "-v", "vf:/shared", "-v", "%s:/hostdir" % host,
             "busybox")
    d.docker("run", "--rm", "--volumes-from", "src", "busybox", "sh", "-c",
             "echo shared > /shared/f; echo h > /hostdir/g")
    assert (host / "g").read_text() == "h\n"
    out = d.docker("run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c",
                   "cat /shared/f; touch /shared/x", check=False)
    assert out.stdout == "shared\n" and "Read-only file system" in out.stderr
    p = d.docker("run", "--rm", "--volumes-from", "nosuchctr", "busybox", "true", check=False)
    assert p.returncode == 125 and "No such container: nosuchctr" in p.stderr
    d.docker("rm", "-v", "src")
    d.docker("volume", "rm", "vf")


def test_bind_missing_source_created(clean, tmp_path):
    d = clean
    src = tmp_path / "a" / "b"
    d.docker("run", "--name", "bm", "-v", "%s:/m:rw,rslave" % src, "busybox", "sh", "-c",
             "echo in > /m/f")
    assert (src / "f").read_text() == "in\n"
    [m] = mounts_of(d, "bm")
    assert m == {"Type": "bind", "Source": str(src), "Destination": "/m", "Mode": "rw,rslave",
                 "RW": True, "Propagation": "rslave"}
    d.docker("rm", "bm")


def test_volume_api(clean):
    d = clean
    d.docker("volume", "create", "--label", "team=a", "plain")
    d.docker("volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs",
             "-o", "o=size=1m,mode=0750", "tmp")
    [v] = json.loads(d.docker("volume", "inspect", "tmp").stdout)
    assert v["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m,mode=0750"}
    data = d.root / "volumes" / "tmp" / "_data"
    # mounted while a container uses it, off afterwards
    cid = d.docker("run", "-d", "-v", "tmp:/t", "busybox", "sleep", "30").stdout.strip()
    assert [l for l in mounts_under(data) if " - tmpfs " in l]
    out = d.docker("exec", cid, "grep", " /t ", "/proc/mounts").stdout
    assert "size=1024k" in out
    assert d.docker("volume", "ls", "-q", "-f", "dangling=true").stdout.split() == ["plain"]
    assert d.docker("volume", "ls", "-q", "-f", "dangling=false").stdout.split() == ["tmp"]
    assert d.docker("volume", "ls", "-q", "-f", "label=team=a").stdout.split() == ["plain"]
    assert d.docker("volume", "ls", "-q", "-f", "name=pla").stdout.split() == ["plain"]
    assert sorted(d.docker("volume", "ls", "-q", "-f", "driver=local").stdout.split()) == [
        "plain", "tmp"]
    p = d.docker("volume", "ls", "-f", "bogus=1", check=False)
    assert p.returncode == 1 and "Invalid filter 'bogus'" in p.stderr
    d.docker("rm", "-f", cid)
    assert mounts_under(data) == []
    # prune (API 1.45): anonymous only; -a: every unused one
    d.docker("run", "--name", "anon", "-v", "/x", "busybox", "true")
    anon = mounts_of(d, "anon")[0]["Name"]
    d.docker("rm", "anon")
    out = d.docker("volume", "prune", "-f").stdout
    assert anon in out and "plain" not in out
    out = d.docker("volume", "prune", "-af").stdout
    assert "plain" in out and "tmp" in out
    assert d.docker("volume", "rm", "-f", "gone-already").returncode == 0
    p = d.docker("volume", "rm", "gone-already", check=False)
    assert p.returncode == 1 and "no such volume" in p.stderr


BAD_SPECS = [
    (["-v", "/a:/b:bogus"], "invalid mode: bogus"),
    (["-v", "a/b:/x"], "includes invalid characters for a local volume name"),
    (["-v", "vol:relative"], "mount path must be absolute"),
    (["-v", "/h:/"], "invalid volume specification: '/h:/': invalid mount config for type "
                     "\"bind\": invalid specification: destination can't be '/'"),
    (["-v", "/a:/b:nocopy"], "field VolumeOptions must not be specified"),
    (["-v", "vv:/b:rshared"], "field BindOptions must not be specified"),
    (["-v", "d1:/same", "-v", "d2:/same"], "Duplicate mount point: /same"),
    (["--mount", "type=bind,src=/nonexistent-berth,dst=/x"], "bind source path does not exist"),
    (["--volumes-from", "nosuch"], "No such container: nosuch"),
    (["--volume-driver", "nosuchdriver", "-v", "dv:/x"], 'plugin "nosuchdriver" not found'),
    # the volume made before the failing one is removed again: nothing half-done
    (["-v", "made1:/a", "--mount", "type=volume,dst=/x,volume-driver=nosuchdriver"],
     'plugin "nosuchdriver" not found'),
]


@pytest.mark.parametrize("args,msg", BAD_SPECS)
def test_bad_mount_specs(clean, args, msg):
    d = clean
    p = d.docker("create", *args, "busybox", "true", check=False)
    assert p.returncode != 0 and msg in p.stderr, p.stderr
    assert d.docker("ps", "-aq").stdout == ""
    assert d.docker("volume", "ls", "-q").stdout == ""


def test_bad_volume_requests(clean):
    d = clean
    p = d.docker("volume", "create", "a/b", check=False)
    assert p.returncode == 1 and "includes invalid characters" in p.stderr
    p = d.docker("volume", "create", "-d", "nosuchdriver", "x1", check=False)
    assert p.returncode == 1 and 'plugin "nosuchdriver" not found' in p.stderr
    p = d.docker("volume", "create", "-o", "bogus=1", "x2", check=False)
    assert p.returncode == 1 and 'create x2: invalid option: "bogus"' in p.stderr
    p = d.docker("volume", "create", "-o", "type=tmpfs", "x3", check=False)
    assert p.returncode == 1 and 'create x3: missing required option: "device"' in p.stderr
    for binds, msg in ([":/b"], "invalid volume specification: ':/b'"), (
            ["/a:/b:ro:x"], "invalid volume specification: '/a:/b:ro:x'"), (
            ["/a:/b:ro,rw"], "invalid mode: ro,rw"):
        r = d.request("POST", "/v1.45/containers/create",
                      body=json.dumps({"Image": "busybox", "HostConfig": {"Binds": binds}}),
                      headers={"Content-Type": "application/json"})
        assert r.status == 400 and r.json()["message"] == msg
    r = d.request("GET", "/v1.45/volumes/x1")
    assert r.status == 404 and r.json()["message"] == "get x1: no such volume"
    assert d.docker("volume", "ls", "-q").stdout == ""
    assert not [n for n in os.listdir(d.root / "volumes") if not n.startswith(".")]


def test_volumes_survive_daemon_restart(clean):
    d = clean
    d.docker("volume", "create", "--label", "k=v", "kept")
    d.docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m",
             "tmpk")
    before = json.loads(d.docker("volume", "inspect", "kept").stdout)
    cid = d.docker("run", "-d", "-v", "kept:/k", "-v", "tmpk:/t", "busybox", "sleep", "60"
                   ).stdout.strip()
    data = d.root / "volumes" / "tmpk" / "_data"
    assert d.stop(cleanup_net=False) == 0
    d.start("-D")
    assert json.loads(d.docker("volume", "inspect", "kept").stdout) == before
    p = d.docker("volume", "rm", "kept", check=False)
    assert p.returncode == 1 and cid in p.stderr
    assert [l for l in mounts_under(data) if " - tmpfs " in l]  # still in use
    d.docker("rm", "-f", cid)
    assert mounts_under(data) == []  # its last user is gone, after a restart too
    d.docker("volume", "rm", "kept", "tmpk")
