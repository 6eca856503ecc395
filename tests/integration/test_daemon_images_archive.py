"""docker save / docker load / image prune through the Engine API, the docker CLI and
docker-py: archives in dockerd's format loaded with the same image IDs and diff IDs, round
trips (layer tars rebuilt byte for byte from their tar-split), the OCI index, refusal of
archives that escape (400, nothing left) and of bad ones (error in the 200 stream), prune
filters and events."""

import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
from urllib.parse import quote

import pytest

import helpers
from test_daemon_common import Daemon, rootfs_tar, sha256, tar_bytes

@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("berthd-arch"))
    d.start("-D")
    yield d
    d.docker("rm", "-f", *d.docker("ps", "-aq").stdout.split(), check=False)
    rc = d.stop()
    assert rc == 0, d.log()


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    """The busybox root filesystem tarball, made offline by scripts/mkrootfs."""
    out = tmp_path_factory.mktemp("rootfs") / "busybox.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkrootfs"), "--tar", str(out)], check=True,
                   capture_output=True, timeout=300)
    return out.read_bytes()


def add(t, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = len(data), mode, 0
    t.addfile(ti, io.BytesIO(data))


def config_for(layers, cmd=("sh",), label=None):
    cfg = {"architecture": "amd64", "os": "linux", "created": "2020-01-01T00:00:00Z",
           "config": {"Cmd": list(cmd), "Env": ["PATH=/bin"]},
           "rootfs": {"type": "layers", "diff_ids": [sha256(x) for x in layers]},
           "history": [{"created": "2020-01-01T00:00:00Z"} for _ in layers]}
    if label:
        cfg["config"]["Labels"] = label
    return json.dumps(cfg, separators=(",", ":"), sort_keys=True).encode()


def dockerd_archive(images, dedup_link=False):
    """A `docker save` archive as dockerd 20.10 writes it: <v1 id>/{VERSION,json,layer.tar},
    <config>.json, manifest.json, repositories. images: [(config, [layers], [tags])]."""
    buf = io.BytesIO()
    manifest, repos, seen = [], {}, {}
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for cfg, layers, tags in images:
            paths = []
            for i, layer in enumerate(layers):
                v1 = hashlib.sha256(cfg + b"%d" % i).hexdigest()
                add(t, v1 + "/VERSION", b"1.0")
                add(t, v1 + "/json", json.dumps({"id": v1}).encode())
                if dedup_link and sha256(layer) in seen:
                    ti = tarfile.TarInfo(v1 + "/layer.tar")
                    ti.type, ti.linkname = tarfile.SYMTYPE, "../%s/layer.tar" % seen[sha256(layer)]
                    t.addfile(ti)
                else:
                    add(t, v1 + "/layer.tar", layer)
                    seen[sha256(layer)] = v1
                paths.append(v1 + "/layer.tar")
            cid = hashlib.sha256(cfg).hexdigest()
            add(t, cid + ".json", cfg)
            manifest.append({"Config": cid + ".json", "RepoTags": tags or None, "Layers": paths})
            for tag in tags:
                name, _, tg = tag.rpartition(":")
                repos.setdefault(name, {})[tg] = paths[-1].split("/")[0]
        add(t, "manifest.json", json.dumps(manifest).encode())
        add(t, "repositories", json.dumps(repos).encode())
    return buf.getvalue()


def load(daemon, data, quiet=True, chunked=False):
    path = "/v1.45/images/load" + ("?quiet=1" if quiet else "")
    body = iter([data[:7000], data[7000:]]) if chunked else data
    return daemon.request("POST", path, body=body,
                          headers={"Content-Type": "application/x-tar"})


def stream_lines(r):
    return [json.loads(x) for x in r.data.decode().splitlines() if x.strip()]


def leftovers(daemon):
    d = daemon.root / "image" / "layers"
    return [n for n in os.listdir(d) if n.startswith(".")]


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {m.name: (t.extractfile(m).read() if m.isfile() else None) for m in t}


def test_load_dockerd_archive(daemon, rootfs):
    top = tar_bytes([("etc/", "dir"), ("etc/motd", "file", "hello from layer 2\n")])
    cfg = config_for([rootfs, top], label={"arch": "test"})
    data = dockerd_archive([(cfg, [rootfs, top], ["archbox:latest", "archbox:v2"])])
    p = daemon.docker("load", input=data)
    assert p.stdout.decode().splitlines() == ["Loaded image: archbox:latest",
                                              "Loaded image: archbox:v2"]
    info = daemon.get_json("/images/archbox:v2/json")
    assert info["Id"] == sha256(cfg)
    assert info["RootFS"]["Layers"] == [sha256(rootfs), sha256(top)]
    assert sorted(info["RepoTags"]) == ["archbox:latest", "archbox:v2"]
    assert info["Config"]["Labels"] == {"arch": "test"}
    out = daemon.docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", "archbox").stdout
    assert json.loads(out) == [sha256(rootfs), sha256(top)]
    assert leftovers(daemon) == []


def test_save_load_round_trip_same_id(daemon, rootfs, tmp_path):
    cfg = config_for([rootfs])
    daemon.docker("load", input=dockerd_archive([(cfg, [rootfs], ["rtbox:latest"])]))
    x = tmp_path / "x.tar"
    daemon.docker("save", "rtbox", "-o", x)
    m = members(x.read_bytes())
    manifest = json.loads(m["manifest.json"])
    assert manifest == [{"Config": "blobs/sha256/" + sha256(cfg)[7:],
                         "RepoTags": ["rtbox:latest"],
                         "Layers": ["blobs/sha256/" + sha256(rootfs)[7:]]}]
    assert m["blobs/sha256/" + sha256(cfg)[7:]] == cfg  # the config byte for byte
    assert m["blobs/sha256/" + sha256(rootfs)[7:]] == rootfs  # the layer tar byte for byte
    assert json.loads(m["repositories"]) == {"rtbox": {"latest": sha256(rootfs)[7:]}}
    assert json.loads(m["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    idx = json.loads(m["index.json"])
    desc = idx["manifests"][0]
    assert desc["annotations"]["io.containerd.image.name"] == "docker.io/library/rtbox:latest"
    oci = json.loads(m["blobs/sha256/" + desc["digest"][7:]])
    assert oci["config"]["digest"] == sha256(cfg)
    assert [lay["digest"] for lay in oci["layers"]] == [sha256(rootfs)]
    daemon.docker("rmi", "rtbox")
    assert daemon.request("GET", "/images/rtbox/json").status == 404
    p = daemon.docker("load", "-i", x)
    assert p.stdout.strip() == "Loaded image: rtbox:latest"
    assert daemon.get_json("/images/rtbox/json")["Id"] == sha256(cfg)


def test_save_two_images_imported_and_loaded(daemon, tmp_path):
    data = rootfs_tar("two-a")
    a = daemon.import_ok(data, repo="twoa:1")
    b = daemon.import_ok(rootfs_tar("two-b"), repo="twob:1")
    x = tmp_path / "two.tar"
    daemon.docker("save", "-o", x, "twoa:1", "twob:1")
    m = members(x.read_bytes())
    # an imported layer is saved as the very tar it came from (tar-split recorded at import)
    assert m["blobs/sha256/" + sha256(data)[7:]] == data
    tags = sorted(t for item in json.loads(m["manifest.json"]) for t in item["RepoTags"])
    assert tags == ["twoa:1", "twob:1"]
    daemon.docker("rmi", "twoa:1", "twob:1")
    out = daemon.docker("load", "-i", x).stdout.split("\n")
    assert sorted(line for line in out if line) == ["Loaded image: twoa:1",
                                                     "Loaded image: twob:1"]
    assert daemon.get_json("/images/twoa:1/json")["Id"] == a
    assert daemon.get_json("/images/twob:1/json")["Id"] == b


def test_save_by_id_and_repo_name(daemon):
    a = daemon.import_ok(rootfs_tar("byid"), repo="byid:1")
    daemon.docker("tag", "byid:1", "byid:2")
    r = daemon.request("GET", "/images/%s/get" % a[7:19])
    assert r.status == 200 and r.headers["Content-Type"] == "application/x-tar"
    assert r.headers.get("Transfer-Encoding") == "chunked"
    man = json.loads(members(r.data)["manifest.json"])
    assert man[0]["RepoTags"] is None  # saved by ID: no tags, as dockerd
    r = daemon.request("GET", "/images/get?names=byid")
    man = json.loads(members(r.data)["manifest.json"])
    assert sorted(man[0]["RepoTags"]) == ["byid:1", "byid:2"]  # a repository: all its tags
    daemon.docker("rmi", "-f", a)
    assert daemon.request("GET", "/images/get?names=byid").status == 404


def test_load_untagged_reports_id(daemon):
    a = daemon.import_ok(rootfs_tar("untagged"), repo="untag:1")
    data = daemon.request("GET", "/images/%s/get" % a).data
    daemon.docker("rmi", "untag:1")
    r = load(daemon, data, chunked=True)
    assert r.status == 200 and r.headers.get("Transfer-Encoding") == "chunked"
    assert stream_lines(r) == [{"stream": "Loaded image ID: %s\n" % a}]
    assert daemon.get_json("/images/%s/json" % a)["RepoTags"] == []


def test_save_unknown(daemon, tmp_path):
    r = daemon.request("GET", "/images/get?names=nosuch:9")
    assert r.status == 404 and r.message == "reference does not exist"
    r = daemon.request("GET", "/images/nosuch/get")
    assert r.status == 404 and r.message == "reference does not exist"
    p = daemon.docker("save", "nosuch:1", "-o", tmp_path / "x.tar", check=False)
    assert p.returncode == 1 and "reference does not exist" in p.stderr
    assert not (tmp_path / "x.tar").exists()


def test_load_oci_index_only(daemon):
    a = daemon.import_ok(rootfs_tar("oci"), repo="ocionly:1")
    full = members(daemon.request("GET", "/images/ocionly:1/get").data)
    daemon.docker("rmi", "ocionly:1")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in full.items():
            if data is not None and name not in ("manifest.json", "repositories"):
                add(t, name, data)
    lines = stream_lines(load(daemon, buf.getvalue()))
    assert lines == [{"stream": "Loaded image: ocionly:1\n"}]
    assert daemon.get_json("/images/ocionly:1/json")["Id"] == a


def test_load_shared_layer_symlink(daemon):
    """dockerd links a layer already in the archive (same diff ID) instead of copying it."""
    base = rootfs_tar("shared-base")
    c1, c2 = config_for([base], cmd=["a"]), config_for([base], cmd=["b"])
    data = dockerd_archive([(c1, [base], ["sh1:1"]), (c2, [base], ["sh2:1"])],
                           dedup_link=True)
    lines = stream_lines(load(daemon, data))
    assert lines == [{"stream": "Loaded image: sh1:1\n"}, {"stream": "Loaded image: sh2:1\n"}]
    assert daemon.get_json("/images/sh2:1/json")["Id"] == sha256(c2)


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink-out", "layer-dotdot"])
def test_load_refuses_escaping_archives(daemon, tmp_path, case):
    good = rootfs_tar("esc")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        if case == "dotdot":
            add(t, "../../escape", b"x")
        elif case == "absolute":
            add(t, str(tmp_path / "abs"), b"x")
        elif case == "symlink-out":
            ti = tarfile.TarInfo("l/layer.tar")
            ti.type, ti.linkname = tarfile.SYMTYPE, "../../../etc/passwd"
            t.addfile(ti)
        else:
            bad = tar_bytes([("a/", "dir"), ("a/../../x", "file", "x")])
            cfg = config_for([good, bad])
            add(t, "1/layer.tar", good)
            add(t, "2/layer.tar", bad)
            add(t, "c.json", cfg)
            add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["esc:1"],
                                                  "Layers": ["1/layer.tar", "2/layer.tar"]}
                                                 ]).encode())
    images = daemon.get_json("/images/json?all=1")
    layers = daemon.layer_dirs()
    r = load(daemon, buf.getvalue())
    assert r.status == 400, (r.status, r.data)
    assert "refused" in r.message
    assert not (tmp_path / "abs").exists() and not (tmp_path.parent / "escape").exists()
    assert daemon.get_json("/images/json?all=1") == images
    assert daemon.layer_dirs() == layers and leftovers(daemon) == []
    p = daemon.docker("load", input=buf.getvalue(), check=False)
    assert p.returncode == 1 and b"refused" in p.stderr


def test_load_bad_archives_report_in_stream(daemon, rootfs):
    other = rootfs_tar("wrong-diff")
    cfg = config_for([rootfs])
    wrong = dockerd_archive([(cfg, [other], ["wrong:1"])])
    cases = [(b"abc", "invalid archive"),
             (tar_bytes([("x", "file", "x")]), "no manifest.json"),
             (wrong, "invalid diffID for layer 0: expected \"%s\", got \"%s\"" % (
                 sha256(rootfs), sha256(other)))]
    layers = daemon.layer_dirs()
    for data, msg in cases:
        r = load(daemon, data)
        assert r.status == 200
        last = stream_lines(r)[-1]
        assert msg in last["error"] and last["errorDetail"]["message"] == last["error"], last
        assert daemon.layer_dirs() == layers and leftovers(daemon) == []
    assert daemon.request("GET", "/images/wrong:1/json").status == 404
    docker = pytest.importorskip("docker")
    c = docker.DockerClient(base_url=daemon.host, version="1.41")
    try:
        with pytest.raises(docker.errors.ImageLoadError):
            c.images.load(b"abc")
    finally:
        c.close()


def test_whiteouts_saved_back(daemon):
    """Overlay whiteouts go back to .wh. files: exactly (tar-split) and, without the
    recorded split, in the canonical form."""
    layer = tar_bytes([("d/", "dir"), ("d/.wh..wh..opq", "file", ""), ("d/keep", "file", "k"),
                       (".wh.gone", "file", "")])
    a = daemon.import_ok(layer, repo="wh:1")
    info = daemon.get_json("/images/wh:1/json")
    blob = "blobs/sha256/" + info["RootFS"]["Layers"][0][7:]
    assert members(daemon.request("GET", "/images/wh:1/get").data)[blob] == layer
    chain = info["RootFS"]["Layers"][0][7:]
    os.unlink(daemon.root / "image" / "layers" / chain / "tar-split")
    canon = members(daemon.request("GET", "/images/wh:1/get").data)[blob]
    with tarfile.open(fileobj=io.BytesIO(canon)) as t:
        names = {m.name: m for m in t}
    assert set(names) == {"d", "d/.wh..wh..opq", "d/keep", ".wh.gone"}
    assert names[".wh.gone"].isfile() and names[".wh.gone"].size == 0
    assert daemon.get_json("/images/%s/json" % a)["Id"] == a


def test_events_save_load(daemon):
    t0 = time.time()
    a = daemon.import_ok(rootfs_tar("ev-arch"), repo="evarch:1")
    data = daemon.request("GET", "/images/evarch:1/get").data
    load(daemon, data)
    r = daemon.request("GET", "/events?since=%.3f&until=%d&filters=%s" % (
        t0 - 0.5, int(time.time()) + 1, quote(json.dumps({"image": [a]}))))
    actions = [e["Action"] for e in stream_lines(r)]
    assert actions[-2:] == ["save", "load"]


def filters(**f):
    return "filters=" + quote(json.dumps(f))


def test_prune(daemon):
    dangling = daemon.import_ok(rootfs_tar("prune-dangling"))
    kept = daemon.import_ok(rootfs_tar("prune-kept"), repo="prunekept:1",
                            changes=["LABEL keep=yes"])
    old = daemon.import_ok(rootfs_tar("prune-old"), repo="pruneold:1")
    r = daemon.request("POST", "/images/prune")
    assert r.status == 200
    body = r.json()
    assert {"Deleted": dangling} in body["ImagesDeleted"]
    assert body["SpaceReclaimed"] > 0
    assert daemon.request("GET", "/images/%s/json" % dangling).status == 404
    assert daemon.request("POST", "/images/prune").json() == {"ImagesDeleted": None,
                                                              "SpaceReclaimed": 0}
    # dangling=false with a label! filter and an until in the future: everything else goes
    r = daemon.request("POST", "/images/prune?" + filters(dangling=["false"],
                                                         **{"label!": ["keep=yes"]}))
    deleted = r.json()["ImagesDeleted"]
    assert {"Untagged": "pruneold:1"} in deleted and {"Deleted": old} in deleted
    assert daemon.get_json("/images/prunekept:1/json")["Id"] == kept
    r = daemon.request("POST", "/images/prune?" + filters(bogus=["1"]))
    assert r.status == 400 and r.message == "Invalid filter 'bogus'"
    r = daemon.request("POST", "/images/prune?" + filters(until=["1h"], dangling=["false"]))
    assert r.status == 200 and r.json()["ImagesDeleted"] is None  # imported just now
    p = daemon.docker("image", "prune", "-a", "-f", "--filter", "label=keep=yes")
    assert "untagged: prunekept:1" in p.stdout and "Total reclaimed space" in p.stdout


def test_prune_skips_images_in_use(daemon, rootfs):
    cfg = config_for([rootfs], cmd=["true"])
    daemon.docker("load", input=dockerd_archive([(cfg, [rootfs], ["inuse:1"])]))
    cid = daemon.docker("create", "inuse:1").stdout.strip()
    try:
        r = daemon.request("POST", "/images/prune?" + filters(dangling=["false"]))
        deleted = r.json()["ImagesDeleted"] or []
        assert {"Deleted": sha256(cfg)} not in deleted
        assert daemon.get_json("/images/inuse:1/json")["Id"] == sha256(cfg)
    finally:
        daemon.docker("rm", "-f", cid)


def test_docker_py_save_load(daemon):
    docker = pytest.importorskip("docker")
    a = daemon.import_ok(rootfs_tar("dpy-arch"), repo="dpyarch:1")
    c = docker.DockerClient(base_url=daemon.host, version="1.41")
    try:
        img = c.images.get("dpyarch:1")
        data = b"".join(img.save(named="dpyarch:1"))
        c.images.remove("dpyarch:1")
        loaded = c.images.load(data)
        assert [i.id for i in loaded] == [a] and loaded[0].tags == ["dpyarch:1"]
        data = b"".join(c.api.get_image(a))
        out = list(c.api.load_image(data))
        assert out == [{"stream": "Loaded image ID: %s\n" % a}]
    finally:
        c.close()


def test_load_same_layer_under_two_parents(daemon, tmp_path):
    """Identical layers at two places of one image (empty layers of some builders)."""
    empty = tar_bytes([("e/", "dir")])
    mid = tar_bytes([("m", "file", "middle")])
    cfg = config_for([empty, mid, empty])
    lines = stream_lines(load(daemon, dockerd_archive([(cfg, [empty, mid, empty], ["twice:1"])],
                                                      dedup_link=True)))
    assert lines == [{"stream": "Loaded image: twice:1\n"}]
    info = daemon.get_json("/images/twice:1/json")
    assert info["Id"] == sha256(cfg) and info["RootFS"]["Layers"] == [sha256(empty),
                                                                        sha256(mid),
                                                                        sha256(empty)]
    x = tmp_path / "twice.tar"
    daemon.docker("save", "-o", x, "twice:1")
    daemon.docker("rmi", "twice:1")
    assert daemon.docker("load", "-i", x).stdout.strip() == "Loaded image: twice:1"
    assert leftovers(daemon) == []


def test_interrupted_load_leaves_nothing(daemon, tmp_path):
    import socket
    data = dockerd_archive([(config_for([rootfs_tar("cut")]), [rootfs_tar("cut")], ["cut:1"])])
    images, layers = daemon.get_json("/images/json?all=1"), daemon.layer_dirs()
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(daemon.sock))
    s.sendall(b"POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data)
              + data[:len(data) // 2])
    time.sleep(0.3)
    assert [n for n in leftovers(daemon) if n.startswith(".tmp-load-")]  # in progress
    s.close()
    deadline = time.time() + 5
    while leftovers(daemon) and time.time() < deadline:
        time.sleep(0.05)
    assert leftovers(daemon) == [] and daemon.layer_dirs() == layers
    assert daemon.get_json("/images/json?all=1") == images


def test_daemon_killed_mid_load(tmp_path):
    import signal
    import socket
    d = Daemon(tmp_path / "killed")
    d.start()
    try:
        data = dockerd_archive([(config_for([rootfs_tar("kill")]), [rootfs_tar("kill")],
                                 ["kill:1"])])
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(d.sock))
        s.sendall(b"POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                  % len(data) + data[:len(data) - 100])
        time.sleep(0.3)
        d.stop(sig=signal.SIGKILL)
        s.close()
        d.start()
        assert leftovers(d) == [] and d.layer_dirs() == []
        assert d.get_json("/images/json?all=1") == []
    finally:
        assert d.stop() == 0


def test_skopeo_reads_and_writes(daemon, tmp_path):
    """skopeo (Debian's) reads berth's saves as docker-archive and oci-archive; its own
    docker-archive (<digest>.tar layers) and oci-archive (ref.name annotation) load."""
    import shutil
    skopeo = shutil.which("skopeo")
    if not skopeo:
        pytest.skip("skopeo not installed")
    layer = rootfs_tar("skopeo")
    a = daemon.import_ok(layer, repo="skop:1")
    x = tmp_path / "x.tar"
    daemon.docker("save", "-o", x, "skop:1")

    def sk(*args):
        p = subprocess.run([skopeo, "--insecure-policy", *map(str, args)], capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout

    sk("copy", "docker-archive:%s" % x, "dir:%s" % (tmp_path / "dir"))
    assert (tmp_path / "dir" / sha256(layer)[7:]).read_bytes() == layer
    assert (tmp_path / "dir" / a[7:]).exists()
    sk("copy", "oci-archive:%s" % x, "dir:%s" % (tmp_path / "dir2"))
    assert (tmp_path / "dir2" / a[7:]).exists()
    sk("copy", "docker-archive:%s" % x, "docker-archive:%s:skopbox:1" % (tmp_path / "sk.tar"))
    assert daemon.docker("load", "-i", tmp_path / "sk.tar").stdout.strip() == \
        "Loaded image: skopbox:1"
    assert daemon.get_json("/images/skopbox:1/json")["Id"] == a
    sk("copy", "docker-archive:%s" % x, "oci-archive:%s:ocibox:2" % (tmp_path / "oci.tar"))
    assert daemon.docker("load", "-i", tmp_path / "oci.tar").stdout.strip() == \
        "Loaded image: ocibox:2"
    info = daemon.get_json("/images/ocibox:2/json")
    assert info["RootFS"]["Layers"] == [sha256(layer)]


def test_compressed_import_saved_exactly(daemon):
    """A gzipped import: the saved layer is the uncompressed tar, hashing to the diff ID."""
    from test_daemon_common import gz
    data = rootfs_tar("gz-arch")
    a = daemon.import_ok(gz(data), repo="gzarch:1")
    blob = members(daemon.request("GET", "/images/gzarch:1/get").data)
    assert blob["blobs/sha256/" + sha256(data)[7:]] == data
    daemon.docker("rmi", "gzarch:1")
    lines = stream_lines(load(daemon, daemon_save_bytes(blob)))
    assert lines == [{"stream": "Loaded image: gzarch:1\n"}]
    assert daemon.get_json("/images/gzarch:1/json")["Id"] == a


def daemon_save_bytes(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            if data is not None:
                add(t, name, data)
    return buf.getvalue()


def test_load_progress_when_not_quiet(daemon):
    layer = rootfs_tar("progress")
    cfg = config_for([layer])
    data = dockerd_archive([(cfg, [layer], ["progress:1"])])
    r = daemon.request("POST", "/images/load?quiet=0", body=data)
    lines = stream_lines(r)
    assert lines[0]["status"] == "Loading layer" and lines[0]["id"] == sha256(layer)[7:19]
    assert lines[0]["progressDetail"] == {"current": len(layer), "total": len(layer)}
    assert lines[1:] == [{"stream": "Loaded image: progress:1\n"}]
    # again: the layer is there already, nothing to load
    lines = stream_lines(daemon.request("POST", "/images/load?quiet=0", body=data))
    assert lines == [{"stream": "Loaded image: progress:1\n"}]


@pytest.fixture
def dockerd(tmp_path):
    """A private dockerd 20.10 (Debian's docker.io) on temporary roots, no networking."""
    import shutil
    import signal
    exe = shutil.which("dockerd")
    if not exe:
        pytest.skip("dockerd not installed")
    base = tmp_path / "dk"
    base.mkdir()
    sock = base / "docker.sock"
    log = open(base / "log", "wb")
    proc = subprocess.Popen([exe, "--data-root", str(base / "data"), "--exec-root",
                             str(base / "exec"), "--pidfile", str(base / "pid"), "-H",
                             "unix://%s" % sock, "--bridge=none", "--iptables=false",
                             "--ip-masq=false", "--ip-forward=false"],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    env = dict(os.environ, DOCKER_HOST="unix://%s" % sock, DOCKER_BUILDKIT="0",
               DOCKER_CONFIG=str(base))
    env.pop("DOCKER_API_VERSION", None)

    def dk(*args, check=True):
        from test_daemon_common import DOCKER
        p = subprocess.run([DOCKER, *map(str, args)], capture_output=True, text=True,
                           env=env, timeout=120)
        assert p.returncode == 0 or not check, "docker %s: %s" % (args, p.stderr)
        return p

    try:
        deadline = time.time() + 30
        while dk("version", check=False).returncode != 0:
            assert proc.poll() is None and time.time() < deadline, \
                (base / "log").read_text(errors="replace")
            time.sleep(0.3)
        yield dk
    finally:
        dk("rm", "-f", *dk("ps", "-aq", check=False).stdout.split(), check=False)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert helpers.mounts_under(base) == []


def test_dockerd_round_trip(daemon, dockerd, rootfs, tmp_path):
    """dockerd's save loads into berth with the same IDs and runs; berth's save of the same
    images loads back into dockerd (which checks every diff ID) and runs there."""
    src = tmp_path / "rootfs.tar"
    src.write_bytes(rootfs)
    base_id = dockerd("import", "-c", 'CMD ["sh"]', src, "dkbox:1").stdout.strip()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM dkbox:1\n"
        "RUN mkdir -p /srv /opq && echo hello > /srv/hello && touch /opq/a && rm -f /bin/vi\n"
        "RUN rm -rf /opq && mkdir /opq && touch /opq/b && ln /srv/hello /srv/link\n")
    dockerd("build", "-q", "-t", "dkbuilt:1", ctx)
    built_id = dockerd("image", "inspect", "-f", "{{.Id}}", "dkbuilt:1").stdout.strip()
    check = "ls /opq; test -e /bin/vi || echo novi; cat /srv/hello; stat -c %h /srv/link"
    want = "b\nnovi\nhello\n2\n"
    a = tmp_path / "from-dockerd.tar"
    dockerd("save", "-o", a, "dkbox:1", "dkbuilt:1")
    out = daemon.docker("load", "-i", a).stdout
    # dockerd's manifest order follows its own map iteration: compare as sets
    assert sorted(out.split("\n")[:2]) == ["Loaded image: dkbox:1", "Loaded image: dkbuilt:1"]
    assert daemon.get_json("/images/dkbox:1/json")["Id"] == base_id
    assert daemon.get_json("/images/dkbuilt:1/json")["Id"] == built_id
    p = daemon.docker("run", "--rm", "dkbuilt:1", "sh", "-c", check, check=False)
    if p.returncode == 0:  # containers may be missing in a partial build
        assert p.stdout == want
    b = tmp_path / "from-berth.tar"
    daemon.docker("save", "-o", b, "dkbox:1", "dkbuilt:1")
    dockerd("container", "prune", "-f")
    dockerd("rmi", "dkbuilt:1", "dkbox:1")
    assert dockerd("images", "-aq").stdout.strip() == ""
    dockerd("load", "-i", b)
    assert dockerd("image", "inspect", "-f", "{{.Id}}", "dkbuilt:1").stdout.strip() == built_id
    assert dockerd("image", "inspect", "-f", "{{.Id}}", "dkbox:1").stdout.strip() == base_id
    p = dockerd("run", "--rm", "--network", "none", "dkbuilt:1", "sh", "-c", check)
    assert p.stdout == want


def test_load_ignores_unreferenced_files(daemon):
    """Like dockerd, only the layers the manifest names are used: a broken or hostile tar
    beside them does not matter (and leaves nothing)."""
    layer = rootfs_tar("extra")
    cfg = config_for([layer])
    good = dockerd_archive([(cfg, [layer], ["extra:1"])])
    buf = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(good)) as src, tarfile.open(fileobj=buf, mode="w") as t:
        for m in src:
            t.addfile(m, src.extractfile(m) if m.isfile() else None)
        add(t, "junk/layer.tar", tar_bytes([("../../x", "file", "x")]))
        add(t, "notes.txt", b"hello")
    assert stream_lines(load(daemon, buf.getvalue())) == [{"stream": "Loaded image: extra:1\n"}]
    assert leftovers(daemon) == []
