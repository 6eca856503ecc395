"""Images through the Engine API, the docker CLI and docker-py: import (changes, message,
chunked, compressed), layer identity (diff ID = sha256 of the tar), list filters, inspect
shapes per API version, history, tag, reference resolution, rmi rules, and refusal of bad
archives with nothing left behind."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from test_daemon_common import daemon, gz, rootfs_tar, sha256, tar_bytes  # noqa: F401

import helpers


def filters(**f):
    return "filters=" + quote(json.dumps(f))


def test_import_with_cli(daemon, tmp_path):
    data = rootfs_tar("cli")
    f = tmp_path / "layer.tar"
    f.write_bytes(data)
    p = daemon.docker("import", "-m", "hello message", "-c", 'CMD ["sh"]', "-c",
                      "ENV A=1 B=two", "-c", "LABEL team=berth", "-c", "EXPOSE 80",
                      "-c", "WORKDIR /srv", "-c", "USER nobody", "-c", "VOLUME /data",
                      "-c", 'ENTRYPOINT ["/bin/tool"]', f, "clitest:v1")
    image_id = p.stdout.strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    info = daemon.get_json("/images/clitest:v1/json")
    assert info["Id"] == image_id and info["RepoTags"] == ["clitest:v1"]
    assert info["RepoDigests"] == [] and info["Parent"] == ""
    assert info["Comment"] == "hello message"
    assert info["RootFS"] == {"Type": "layers", "Layers": [sha256(data)]}
    cfg = info["Config"]
    assert cfg["Cmd"] == ["sh"] and cfg["Entrypoint"] == ["/bin/tool"]  # CMD set first
    assert cfg["Env"] == ["A=1", "B=two"] and cfg["Labels"] == {"team": "berth"}
    assert cfg["ExposedPorts"] == {"80/tcp": {}} and cfg["Volumes"] == {"/data": {}}
    assert cfg["WorkingDir"] == "/srv" and cfg["User"] == "nobody"
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    # Size counts regular files once (hard links not again) and symlink targets
    files = len("#!/bin/sh\necho cli\n") + len("root:x:0:0:root:/root:/bin/sh\n") + 3
    assert info["Size"] == files + len("tool")
    assert info["GraphDriver"]["Name"] == "overlay2"
    upper = Path(info["GraphDriver"]["Data"]["UpperDir"])
    assert (upper / "marker").read_text() == "cli"
    st = os.lstat(upper / "bin" / "tool")
    assert st.st_mode & 0o7777 == 0o4755 and st.st_nlink == 2
    assert os.lstat(upper / "home").st_uid == 1000
    assert os.lstat(upper / "tmp").st_mode & 0o7777 == 0o1777
    assert os.readlink(upper / "bin" / "sh") == "tool"
    assert info["Metadata"]["LastTagTime"] != "0001-01-01T00:00:00Z"


def test_import_stdin_gzip_same_layer(daemon):
    data = rootfs_tar("gz")
    p = daemon.docker("import", "-", "gzimg", input=gz(data))
    info = daemon.get_json("/images/gzimg/json")
    assert info["Id"] == p.stdout.decode().strip()
    assert info["RootFS"]["Layers"] == [sha256(data)]  # diff ID of the uncompressed stream
    assert info["Comment"] == "Imported from -"
    assert info["Config"]["Cmd"] is None and info["Config"]["Labels"] is None
    # the same content again is the same layer: one directory for both
    before = daemon.layer_dirs()
    daemon.import_ok(data, repo="gzimg2")
    assert daemon.layer_dirs() == before


def test_import_repo_and_tag_params(daemon):
    data = rootfs_tar("params")
    a = daemon.import_ok(data, repo="spyimg:1")
    assert daemon.get_json("/images/spyimg:1/json")["Id"] == a
    b = daemon.import_ok(data, repo="docker.io/library/spyimg:1", tag="2")
    assert "spyimg:2" in daemon.get_json("/images/%s/json" % b)["RepoTags"]
    r = daemon.import_tar(data, repo="Upper")
    assert r.status == 400
    assert r.message == "invalid reference format: repository name must be lowercase"
    r = daemon.import_tar(data, repo="x@sha256:" + "a" * 64)
    assert r.status == 400 and r.message == "cannot import digest reference"
    r = daemon.import_tar(data, repo="x", tag="bad tag")
    assert r.status == 400 and r.message == "invalid tag format"


def test_import_bad_changes(daemon):
    n = len(daemon.get_json("/images/json?all=1"))
    for change, msg in (("RUN true", "run is not a valid change command"),
                        ("EXPOSE 99999", "invalid containerPort: 99999"),
                        ("ENV A=\"x", "unexpected end of statement while looking for "
                                      "matching \"")):
        r = daemon.import_tar(rootfs_tar("badchange"), changes=[change])
        assert r.status == 400 and r.message == msg, (change, r.data)
    assert len(daemon.get_json("/images/json?all=1")) == n


def leftovers(daemon):
    layers = daemon.root / "image" / "layers"
    return [n for n in os.listdir(layers) if n.startswith(".")]


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink-parent", "symlink-rel",
                                  "hardlink-out", "hardlink-abs", "hardlink-via-symlink",
                                  "not-a-tar", "truncated", "empty"])
def test_import_refuses_bad_archives(daemon, tmp_path, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    entries = {
        "dotdot": [("a/", "dir"), ("a/../../escape", "file", "x")],
        "absolute": [(str(outside / "pwned"), "file", "x")],
        "symlink-parent": [("evil", "sym", str(outside)), ("evil/pwned", "file", "x")],
        "symlink-rel": [("evil", "sym", "../../../../../../../../" + str(outside)),
                        ("evil/pwned", "file", "x")],
        "hardlink-out": [("h", "hard", "../../../../../../../" + str(outside / "secret"))],
        "hardlink-abs": [("h", "hard", str(outside / "secret"))],
        "hardlink-via-symlink": [("evil", "sym", str(outside)), ("h", "hard", "evil/secret")],
    }
    if case in entries:
        data = tar_bytes(entries[case])
    elif case == "not-a-tar":
        data = b"this is not an archive " * 100
    elif case == "truncated":
        data = rootfs_tar("trunc")[:700]
    else:
        data = b""
    images = daemon.get_json("/images/json?all=1")
    layers = daemon.layer_dirs()
    r = daemon.import_tar(data, repo="evil")
    assert r.status == 400, (case, r.status, r.data)
    assert r.headers["Content-Type"] == "application/json" and r.message
    assert sorted(os.listdir(outside)) == ["secret"]
    assert (outside / "secret").read_text() == "secret"
    assert os.stat(outside / "secret").st_nlink == 1
    assert not (tmp_path / "escape").exists()
    assert daemon.get_json("/images/json?all=1") == images
    assert daemon.layer_dirs() == layers and leftovers(daemon) == []
    assert daemon.request("GET", "/images/evil/json").status == 404


def test_import_refusal_messages(daemon):
    r = daemon.import_tar(tar_bytes([("../x", "file", "x")]))
    assert r.message == "archive entry '../x': path with '..' refused"
    r = daemon.import_tar(tar_bytes([("/etc/x", "file", "x")]))
    assert r.message == "archive entry '/etc/x': absolute path refused"
    r = daemon.import_tar(b"")
    assert r.message == "invalid tar archive: the archive is empty"


def test_import_refused_early_in_a_large_body(daemon):
    # the extraction stops at the first entry while 16 MiB still come: the daemon reads them
    # away and answers; nothing waits for the end of a stream that was cut short
    images = daemon.get_json("/images/json?all=1")
    layers = daemon.layer_dirs()
    data = tar_bytes([("../x", "file", "x"), ("big", "file", os.urandom(1 << 20) * 16)])
    for chunked in (False, True):
        r = daemon.import_tar(data, repo="early", chunked=chunked)
        assert r.status == 400 and r.message == "archive entry '../x': path with '..' refused"
    assert daemon.get_json("/images/json?all=1") == images
    assert daemon.layer_dirs() == layers and leftovers(daemon) == []


def test_images_list_and_filters(daemon):
    a = daemon.import_ok(rootfs_tar("fa"), repo="flt/a", changes=["LABEL k=v", "LABEL x=1"])
    b = daemon.import_ok(rootfs_tar("fb"), repo="flt/b:1")
    d = daemon.import_ok(rootfs_tar("fdangling"))

    def ids(q=""):
        r = daemon.request("GET", "/images/json" + ("?" + q if q else ""))
        assert r.status == 200, r.data
        return [i["Id"] for i in r.json()]

    assert ids(filters(reference=["flt/*"])) == [b, a]  # newest first
    assert ids(filters(reference={"flt/a": True})) == [a]  # the CLI's map form
    assert ids(filters(reference=["flt/b:1"])) == [b]
    assert ids(filters(label=["k=v"])) == [a] and ids(filters(label=["k"])) == [a]
    assert ids(filters(label=["k=w"])) == []
    assert d in ids(filters(dangling=["true"])) and a not in ids(filters(dangling=["true"]))
    assert d not in ids(filters(dangling=["false"])) and a in ids(filters(dangling=["false"]))
    assert ids(filters(before=[b], reference=["flt/*"])) == [a]
    assert ids(filters(since=[a], reference=["flt/*"])) == [b]
    r = daemon.request("GET", "/images/json?" + filters(bogus=["x"]))
    assert r.status == 400 and r.message == "Invalid filter 'bogus'"
    r = daemon.request("GET", "/images/json?" + filters(dangling=["maybe"]))
    assert r.status == 400 and r.message == "Invalid filter 'dangling=[maybe]'"
    r = daemon.request("GET", "/images/json?" + filters(before=["nosuch"]))
    assert r.status == 404
    old = [i for i in daemon.get_json("/v1.41/images/json") if i["Id"] == d][0]
    assert old["RepoTags"] == ["<none>:<none>"] and old["RepoDigests"] == ["<none>@<none>"]
    assert old["VirtualSize"] == old["Size"]
    new = [i for i in daemon.get_json("/v1.45/images/json") if i["Id"] == d][0]
    assert new["RepoTags"] == [] and new["RepoDigests"] == [] and "VirtualSize" not in new
    item = [i for i in daemon.get_json("/images/json") if i["Id"] == a][0]
    assert item["Labels"] == {"k": "v", "x": "1"} and item["Containers"] == -1
    assert item["SharedSize"] == -1 and item["ParentId"] == "" and item["RepoTags"] == ["flt/a:latest"]
    out = daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}",
                        "flt/*").stdout.split("\n")
    assert "flt/a:latest %s" % a[7:19] in out and "flt/b:1 %s" % b[7:19] in out
    assert daemon.docker("images", "-q", "--filter", "label=k=v").stdout.split() == [a[7:19]]


def test_inspect_per_api_version(daemon):
    image_id = daemon.import_ok(rootfs_tar("versions"), repo="vers")
    v41 = daemon.get_json("/v1.41/images/vers/json")
    assert v41["Container"] == "" and v41["ContainerConfig"]["Cmd"] is None
    assert v41["VirtualSize"] == v41["Size"]
    v44 = daemon.get_json("/v1.44/images/vers/json")
    assert "ContainerConfig" in v44 and "VirtualSize" not in v44
    v45 = daemon.get_json("/v1.45/images/vers/json")
    assert "Container" not in v45 and "ContainerConfig" not in v45
    assert v45["Id"] == image_id and v45["DockerVersion"]
    for k in ("Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion",
              "Author", "Config", "Architecture", "Os", "Size", "GraphDriver", "RootFS",
              "Metadata"):
        assert k in v45, k


def test_reference_resolution(daemon):
    image_id = daemon.import_ok(rootfs_tar("resolve"), repo="resolve")
    hexid = image_id[7:]
    for name in (image_id, hexid, hexid[:12], hexid[:4], "sha256:" + hexid[:12], "resolve",
                 "resolve:latest", "library/resolve", "docker.io/library/resolve",
                 "index.docker.io/library/resolve:latest"):
        r = daemon.request("GET", "/images/%s/json" % name)
        assert r.status == 200 and r.json()["Id"] == image_id, name
    r = daemon.request("GET", "/images/Resolve/json")
    assert r.status == 400
    assert r.message == "invalid reference format: repository name must be lowercase"
    r = daemon.request("GET", "/images/resolve:nope/json")
    assert r.status == 404
    assert r.message == "no such image: resolve:nope: No such image: resolve:nope"
    r = daemon.request("GET", "/images/nosuch/json")
    assert r.message == "no such image: nosuch: No such image: nosuch:latest"
    assert daemon.request("GET", "/images/sha256:%s/json" % ("0" * 64)).status == 404


def test_tag(daemon):
    image_id = daemon.import_ok(rootfs_tar("tag"), repo="tagsrc")
    r = daemon.request("POST", "/images/tagsrc/tag?repo=docker.io/spytag/bb&tag=v1")
    assert r.status == 201 and r.data == b""
    r = daemon.request("POST", "/images/%s/tag?repo=tagged" % image_id[7:19])
    assert r.status == 201
    daemon.docker("tag", "tagsrc", "127.0.0.1:5000/spy/bb:1")
    tags = daemon.get_json("/images/tagsrc/json")["RepoTags"]
    assert sorted(tags) == ["127.0.0.1:5000/spy/bb:1", "spytag/bb:v1", "tagged:latest",
                            "tagsrc:latest"]
    r = daemon.request("POST", "/images/tagsrc/tag?repo=x&tag=bad%20tag")
    assert r.status == 400 and r.message == "invalid tag format"
    r = daemon.request("POST", "/images/tagsrc/tag?repo=UP")
    assert r.status == 400
    r = daemon.request("POST", "/images/nosuch/tag?repo=x")
    assert r.status == 404 and "No such image" in r.message
    r = daemon.request("POST", "/images/tagsrc/tag?repo=sha256&tag=abc")
    assert r.status == 400
    # moving a tag to another image
    other = daemon.import_ok(rootfs_tar("tag2"))
    assert daemon.request("POST", "/images/%s/tag?repo=tagged" % other).status == 201
    assert daemon.get_json("/images/tagged/json")["Id"] == other


def test_rmi(daemon):
    image_id = daemon.import_ok(rootfs_tar("rmi"), repo="rmi1")
    layer = sha256(rootfs_tar("rmi"))
    daemon.docker("tag", "rmi1", "rmi2:x")
    short = image_id[7:19]
    r = daemon.request("DELETE", "/images/%s" % short)
    assert r.status == 409
    assert r.message == ("conflict: unable to delete %s (must be forced) - image is "
                         "referenced in multiple repositories" % short)
    r = daemon.request("DELETE", "/images/rmi2:x")
    assert r.status == 200 and r.json() == [{"Untagged": "rmi2:x"}]
    p = daemon.docker("rmi", "rmi1")
    assert p.stdout.splitlines() == ["Untagged: rmi1:latest", "Deleted: " + image_id,
                                     "Deleted: " + layer]
    assert daemon.request("GET", "/images/%s/json" % image_id).status == 404
    assert layer[7:] not in daemon.layer_dirs()
    r = daemon.request("DELETE", "/images/rmi1")
    assert r.status == 404 and r.message == "No such image: rmi1:latest"
    # force by ID removes every reference
    image_id = daemon.import_ok(rootfs_tar("rmi-force"), repo="rf1")
    daemon.docker("tag", "rf1", "rf2")
    r = daemon.request("DELETE", "/images/%s?force=1" % image_id)
    assert r.status == 200
    assert r.json() == [{"Untagged": "rf1:latest"}, {"Untagged": "rf2:latest"},
                        {"Deleted": image_id}, {"Deleted": sha256(rootfs_tar("rmi-force"))}]
    # a shared layer stays while another image uses it
    data = rootfs_tar("shared")
    one = daemon.import_ok(data, repo="shared1")
    two = daemon.import_ok(data, repo="shared2")
    assert one != two
    r = daemon.request("DELETE", "/images/shared1")
    assert r.json() == [{"Untagged": "shared1:latest"}, {"Deleted": one}]
    assert sha256(data)[7:] in daemon.layer_dirs()
    assert daemon.docker("rmi", "nosuch:1", check=False).returncode == 1


def test_history(daemon):
    image_id = daemon.import_ok(rootfs_tar("hist"), repo="hist", message="from the test")
    h = daemon.get_json("/images/hist/history")
    assert len(h) == 1
    assert h[0]["Id"] == image_id and h[0]["Tags"] == ["hist:latest"]
    assert h[0]["Comment"] == "from the test" and h[0]["CreatedBy"] == ""
    assert h[0]["Size"] == daemon.get_json("/images/hist/json")["Size"]
    out = daemon.docker("history", "hist").stdout
    assert "from the test" in out and image_id[7:19] in out


def test_events_of_image_operations(daemon):
    import time
    t0 = time.time()
    image_id = daemon.import_ok(rootfs_tar("ev"), repo="evimg", changes=["LABEL evl=1"])
    daemon.docker("tag", "evimg", "evimg:2")
    daemon.docker("rmi", "-f", image_id)
    r = daemon.request("GET", "/events?since=%.3f&until=%d&%s" % (
        t0 - 0.5, int(time.time()) + 1, filters(type=["image"])))
    evs = [json.loads(line) for line in r.data.decode().splitlines()]
    got = [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in evs
           if e["Actor"]["ID"] == image_id]
    assert got == [("tag", "evimg:latest"), ("import", image_id), ("tag", "evimg:2"),
                   ("untag", image_id), ("untag", image_id), ("delete", image_id)]
    assert all(e["Actor"]["Attributes"].get("evl") == "1" for e in evs
               if e["Actor"]["ID"] == image_id), "image events carry the image's labels"


def test_docker_py(daemon):
    docker = pytest.importorskip("docker")
    c = docker.DockerClient(base_url=daemon.host, version="auto")
    try:
        assert c.ping() is True
        image_id = daemon.import_ok(rootfs_tar("dpy"), repo="dpyimg")
        img = c.images.get("dpyimg")
        assert img.id == image_id and img.tags == ["dpyimg:latest"] and img.labels == {}
        assert img.tag("dpyimg", "other") is True
        assert "dpyimg:other" in c.images.get(image_id).tags
        assert image_id in [i.id for i in c.images.list()]
        with pytest.raises(docker.errors.ImageNotFound):
            c.images.get("nosuchimage:9")
        c.images.remove("dpyimg:other")
        c.images.remove(image_id, force=True)
        with pytest.raises(docker.errors.ImageNotFound):
            c.images.get(image_id)
    finally:
        c.close()


def test_busybox_peer_load(daemon):
    """shared/peer/busybox-image.sh --load: the docker CLI imports the busybox rootfs."""
    script = helpers.TOP.parent / "shared" / "peer" / "busybox-image.sh"
    if not script.exists():
        pytest.skip("shared/peer/busybox-image.sh not found")
    env = daemon.env()
    env["BERTH_PEER_CACHE"] = env.get("BERTH_PEER_CACHE",
                                      os.path.expanduser("~/.cache/berth-peer"))
    p = subprocess.run([str(script), "--load", daemon.host], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 failed" in p.stdout
    bb = daemon.get_json("/images/busybox/json")
    assert daemon.get_json("/images/alpine:3.10/json")["Id"] == bb["Id"]
    assert bb["Config"]["Cmd"] == ["sh"]
    upper = Path(bb["GraphDriver"]["Data"]["UpperDir"])
    assert os.access(upper / "bin" / "busybox", os.X_OK)
    assert os.readlink(upper / "bin" / "sh") == "busybox"
    out = daemon.docker("image", "inspect", "-f", "{{.Comment}}", "busybox").stdout
    assert out.startswith("berth-peer busybox sha256:")
    assert shutil.which("tar")
