"""docker commit, export and system df against a berth daemon with the real docker CLI:
a committed image runs and shows its changes (whiteouts, opaque directories, modes and
owners, -c instructions), history and parent links, save/load keeps its ID, export gives
the merged filesystem, bad input leaves nothing behind."""

import io
import json
import os
import subprocess
import tarfile
import threading
import time

import pytest

from test_daemon_common import Daemon, busybox_daemon, import_busybox
from test_daemon_images_archive import dockerd  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-commit"))
    assert os.stat("/dev/null").st_uid == 0


def image_id(d, name):
    return d.docker("image", "inspect", "-f", "{{.Id}}", name).stdout.strip()


def n_images(d):
    return len(d.docker("images", "-aq", "--no-trunc").stdout.split())


def tmp_leftovers(d):
    layers = d.root / "image" / "layers"
    return [n for n in os.listdir(layers) if n.startswith(".tmp-")]


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {m.name.rstrip("/").removeprefix("./"): m for m in t.getmembers()}


def test_commit_runs_with_changes(d):
    d.docker("run", "--name", "cm1", "busybox", "sh", "-c",
             "echo hello > /hello && chown 12:34 /hello && chmod 4750 /hello && "
             "rm /etc/group && mkdir -p /data/sub && echo x > /data/sub/f")
    new = d.docker("commit", "-a", "tester <t@example.com>", "-m", "first commit",
                   "-c", 'CMD ["cat", "/hello"]', "-c", "ENV FOO=bar", "-c", "LABEL team=img",
                   "-c", "EXPOSE 8080/tcp", "-c", "WORKDIR /data", "-c", "USER 0",
                   "-c", "VOLUME /vol", "cm1", "committed:v1").stdout.strip()
    assert new.startswith("sha256:") and new == image_id(d, "committed:v1")
    assert d.docker("run", "--rm", "committed:v1").stdout == "hello\n"
    out = d.docker("run", "--rm", "committed:v1", "sh", "-c",
                   "pwd; echo $FOO; stat -c '%a %u:%g' /hello; "
                   "test -e /etc/group || echo gone; cat /data/sub/f").stdout
    assert out == "/data\nbar\n4750 12:34\ngone\nx\n"
    busybox = image_id(d, "busybox")
    img = d.get_json("/v1.41/images/committed:v1/json")
    cid = d.docker("inspect", "-f", "{{.Id}}", "cm1").stdout.strip()
    assert img["Parent"] == busybox
    assert img["Container"] == cid
    assert img["ContainerConfig"]["Image"] == "busybox"
    assert img["Author"] == "tester <t@example.com>" and img["Comment"] == "first commit"
    cfg = img["Config"]
    assert cfg["Cmd"] == ["cat", "/hello"] and cfg["Labels"] == {"team": "img"}
    assert "FOO=bar" in cfg["Env"] and any(e.startswith("PATH=") for e in cfg["Env"])
    assert cfg["ExposedPorts"] == {"8080/tcp": {}} and cfg["Volumes"] == {"/vol": {}}
    assert cfg["WorkingDir"] == "/data" and cfg["User"] == "0"
    assert len(img["RootFS"]["Layers"]) == 2
    hist = d.get_json("/images/committed:v1/history")
    assert [h["Id"] for h in hist] == [new, busybox]
    assert hist[0]["Comment"] == "first commit" and hist[0]["Size"] > 0
    assert hist[0]["CreatedBy"] == "sh -c " + cfg_cmd_of(d, "cm1")
    # the mount points the runtime made are not part of the image
    layer = members(save_layer(d, "committed:v1", 1))
    assert "etc/.wh.group" in layer and "hello" in layer
    assert not any(n in layer for n in ("proc", "sys", "dev", "etc/hosts"))
    d.docker("rm", "cm1")


def cfg_cmd_of(d, name):
    cmd = json.loads(d.docker("inspect", "-f", "{{json .Config.Cmd}}", name).stdout)
    return " ".join(cmd[2:])


def save_layer(d, name, index):
    """The layer tar number index of image name from its docker save archive."""
    data = d.docker("save", name, input=b"").stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        return t.extractfile(manifest[0]["Layers"][index]).read()


def test_commit_opaque_dir_and_whiteouts(d):
    d.docker("run", "--name", "op1", "busybox", "sh", "-c",
             "mkdir /o && echo a > /o/a && echo b > /o/b && echo keep > /keep")
    d.docker("commit", "op1", "opaque:base")
    d.docker("run", "--name", "op2", "opaque:base", "sh", "-c",
             "rm -rf /o && mkdir /o && echo n > /o/new && rm /keep")
    d.docker("commit", "op2", "opaque:top")
    out = d.docker("run", "--rm", "opaque:top", "sh", "-c",
                   "ls /o; test -e /keep || echo nokeep").stdout
    assert out == "new\nnokeep\n"
    layer = members(save_layer(d, "opaque:top", 2))
    assert "o/.wh..wh..opq" in layer and ".wh.keep" in layer and "o/new" in layer
    assert "o/a" not in layer
    d.docker("rm", "op1", "op2")
    d.docker("rmi", "opaque:top", "opaque:base")


def test_commit_running_pauses_and_resumes(d):
    d.docker("run", "-d", "--name", "run1", "busybox", "sh", "-c",
             "echo up > /up; exec sleep 300")
    new = d.docker("commit", "run1").stdout.strip()
    st = json.loads(d.docker("inspect", "-f", "{{json .State}}", "run1").stdout)
    assert st["Running"] and not st["Paused"]
    assert d.docker("run", "--rm", new, "cat", "/up").stdout == "up\n"
    # docker-py's body: an empty Config object; ?pause=0
    cid = d.docker("inspect", "-f", "{{.Id}}", "run1").stdout.strip()
    r = d.request("POST", "/v1.41/commit?container=%s&pause=0&repo=pyish&tag=t" % cid[:12],
                  body=b"{}", headers={"Content-Type": "application/json"})
    assert r.status == 201, r.data
    assert d.get_json("/images/pyish:t/json")["Id"] == r.json()["Id"]
    d.docker("rm", "-f", "run1")
    d.docker("rmi", new, "pyish:t")


def test_save_load_keeps_committed_id(d, tmp_path):
    d.docker("run", "--name", "sl1", "busybox", "sh", "-c",
             "mkdir -p /a/b && echo data > /a/b/f && ln /a/b/f /a/hl && ln -s b/f /a/sl")
    new = d.docker("commit", "sl1", "saved:1").stdout.strip()
    d.docker("rm", "sl1")
    arch = tmp_path / "saved.tar"
    d.docker("save", "-o", arch, "saved:1")
    d.docker("rmi", "saved:1")
    assert new not in d.docker("images", "-aq", "--no-trunc").stdout
    out = d.docker("load", "-i", arch).stdout
    assert "Loaded image: saved:1" in out
    assert image_id(d, "saved:1") == new
    assert d.docker("run", "--rm", "saved:1", "cat", "/a/hl", "/a/sl").stdout == "data\ndata\n"
    d.docker("rmi", "saved:1")


def test_export_merged_filesystem(d, tmp_path):
    d.docker("run", "--name", "ex1", "busybox", "sh", "-c",
             "echo e > /exported && chmod 0640 /exported && chown 7:8 /exported && "
             "rm /etc/group && mkfifo /fifo")
    out = tmp_path / "ex.tar"
    d.docker("export", "-o", out, "ex1")
    m = members(out.read_bytes())
    f = m["exported"]
    assert (f.mode & 0o7777, f.uid, f.gid, f.size) == (0o640, 7, 8, 2)
    assert "etc/group" not in m and "etc/passwd" in m and "bin/busybox" in m
    assert m["fifo"].isfifo()
    assert not any(".wh." in n for n in m)
    # running: the same through the API, stream read to the end
    d.docker("run", "-d", "--name", "ex2", "busybox", "sh", "-c", "echo r > /r; exec sleep 300")
    data = d.request("GET", "/containers/ex2/export").data
    assert "r" in members(data) and "bin/busybox" in members(data)
    # never started: no upper layer yet, the image alone
    d.docker("create", "--name", "ex3", "busybox")
    m = members(d.request("GET", "/containers/ex3/export").data)
    assert "bin/busybox" in m and "etc/group" in m
    d.docker("rm", "-f", "ex1", "ex2", "ex3")
    assert d.request("GET", "/containers/nosuch/export").status == 404


def test_commit_bad_input_leaves_nothing(d):
    d.docker("run", "--name", "bad1", "busybox", "sh", "-c", "echo x > /x")
    before = n_images(d)
    p = d.docker("commit", "nosuchcontainer", "x:1", check=False)
    assert p.returncode == 1 and "No such container: nosuchcontainer" in p.stderr
    r = d.request("POST", "/commit?container=bad1&repo=Bad/Name")
    assert r.status == 400 and "must be lowercase" in r.message, r.data
    r = d.request("POST", "/commit?container=bad1&repo=ok&tag=bad:tag")
    assert r.status == 400, r.data
    p = d.docker("commit", "-c", "RUN echo no", "bad1", "x:2", check=False)
    assert p.returncode == 1 and "run is not a valid change command" in p.stderr.lower()
    r = d.request("POST", "/commit?container=bad1", body=b'{"Cmd": 5}',
                  headers={"Content-Type": "application/json"})
    assert r.status == 400 and "Cmd" in r.message, r.data
    r = d.request("POST", "/commit?container=bad1", body=b'{}',
                  headers={"Content-Type": "text/plain"})
    assert r.status == 400, r.data
    assert n_images(d) == before and tmp_leftovers(d) == []
    d.docker("rm", "bad1")


def test_commit_unchanged_container_is_empty_layer(d):
    d.docker("create", "--name", "empty1", "busybox", "true")
    new = d.docker("commit", "empty1").stdout.strip()
    img = d.get_json("/images/%s/json" % new)
    assert img["RootFS"]["Layers"] == d.get_json("/images/busybox/json")["RootFS"]["Layers"]
    hist = d.get_json("/images/%s/history" % new)
    assert hist[0]["Size"] == 0 and len(hist) == 2
    d.docker("rm", "empty1")
    d.docker("rmi", new)


def test_system_df(d):
    d.docker("run", "--name", "df1", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /z")
    df = d.get_json("/v1.41/system/df")
    assert set(df) >= {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
    assert df["LayersSize"] > 0 and df["BuildCache"] == []
    bb = [i for i in df["Images"] if "busybox:latest" in i["RepoTags"]][0]
    assert bb["Containers"] >= 1 and bb["SharedSize"] >= 0
    listed = d.get_json("/images/json?shared-size=1")
    assert [i["SharedSize"] for i in listed if i["Id"] == bb["Id"]] == [bb["SharedSize"]]
    assert all(i["SharedSize"] == -1 for i in d.get_json("/images/json"))
    c = [c for c in df["Containers"] if c["Names"] == ["/df1"]][0]
    assert c["SizeRw"] >= 100000 and c["SizeRootFs"] > c["SizeRw"]
    only = d.get_json("/v1.45/system/df?type=image")
    assert only["Containers"] is None and only["Images"]
    assert d.request("GET", "/v1.45/system/df?type=bogus").status == 400
    out = d.docker("system", "df").stdout
    assert out.splitlines()[0].split()[:2] == ["TYPE", "TOTAL"] and "Images" in out
    out = d.docker("system", "df", "-v").stdout
    assert "busybox" in out and "df1" in out
    d.docker("rm", "df1")


def test_orphans_removed_at_start(tmp_path):
    dm = Daemon(tmp_path)
    dm.start()
    try:
        layers = dm.root / "image" / "layers"
        (layers / ".tmp-commit-abc123" / "diff").mkdir(parents=True)
        orphan = layers / ("ab" * 32)
        (orphan / "diff").mkdir(parents=True)
        (orphan / "layer.json").write_text(json.dumps(
            {"chain_id": "sha256:" + "ab" * 32, "diff_id": "sha256:" + "ab" * 32, "size": 0}))
        assert dm.stop() == 0
        dm.start()
        assert os.listdir(layers) == []
    finally:
        assert dm.stop() == 0


def test_rmi_of_committed_chain(d):
    d.docker("run", "--name", "ch1", "busybox", "sh", "-c", "echo 1 > /one")
    mid = d.docker("commit", "ch1").stdout.strip()  # untagged parent
    d.docker("run", "--name", "ch2", mid, "sh", "-c", "echo 2 > /two")
    top = d.docker("commit", "ch2", "chain:top").stdout.strip()
    d.docker("rm", "ch1", "ch2")
    # a parent with children cannot go, even forced
    for args in (["rmi", mid], ["rmi", "-f", mid]):
        p = d.docker(*args, check=False)
        assert p.returncode == 1 and "dependent child images" in p.stderr
    # a container using the image: 409 without force
    d.docker("create", "--name", "ch3", "chain:top")
    p = d.docker("rmi", "chain:top", check=False)
    assert p.returncode == 1 and "is using its referenced image" in p.stderr
    d.docker("rm", "ch3")
    # --no-prune keeps the untagged parent; a plain rmi of the child takes it along
    out = d.docker("rmi", "--no-prune", "chain:top").stdout
    assert "Untagged: chain:top" in out and "Deleted: " + top in out and mid not in out
    assert mid in d.docker("images", "-aq", "--no-trunc").stdout
    d.docker("tag", mid, "chain:mid")
    d.docker("run", "--name", "ch4", "chain:mid", "true")
    top2 = d.docker("commit", "ch4").stdout.strip()
    d.docker("rm", "ch4")
    d.docker("rmi", "chain:mid")  # untag only: the child keeps it
    out = d.docker("rmi", top2).stdout
    assert "Deleted: " + top2 in out and "Deleted: " + mid in out


def test_killed_commit_leaves_no_half_image(tmp_path):
    dm = Daemon(tmp_path / "d")
    dm.start()
    try:
        import_busybox(dm, tmp_path)
        dm.docker("run", "--name", "k1", "busybox", "sh", "-c",
                  "head -c 50000000 /dev/urandom > /big")
        before = set(dm.docker("images", "-aq", "--no-trunc").stdout.split())
        def commit():
            try:
                dm.request("POST", "/commit?container=k1&repo=k")
            except OSError:
                pass  # the daemon was killed before it answered: the point of the test

        t = threading.Thread(target=commit)
        t.start()
        time.sleep(0.05)
        dm.proc.kill()
        dm.proc.wait()
        t.join()
        dm.start()
        after = set(dm.docker("images", "-aq", "--no-trunc").stdout.split())
        assert tmp_leftovers(dm) == []
        for new in after - before:  # finished before the kill: complete and runnable
            out = dm.docker("run", "--rm", new, "sh", "-c", "wc -c < /big").stdout
            assert out.strip() == "50000000"
        used = set()
        for img in after:
            used |= set(dm.get_json("/images/%s/json" % img)["RootFS"]["Layers"])
        assert len(dm.layer_dirs()) == len(used)
        dm.docker("rm", "-f", "k1")
    finally:
        assert dm.stop() == 0


def test_list_filters_and_oci_only_load(d, tmp_path):
    d.docker("run", "--name", "fl1", "busybox", "sh", "-c", "echo 1 > /f")
    dangling = d.docker("commit", "-c", "LABEL stage=one", "fl1").stdout.strip()
    d.docker("run", "--name", "fl2", dangling, "sh", "-c", "echo 2 > /f")
    named = d.docker("commit", "fl2", "filtered:2").stdout.strip()
    d.docker("rm", "fl1", "fl2")

    def ids(*flt):
        args = []
        for f in flt:
            args += ["-f", f]
        return d.docker("images", "-q", "--no-trunc", *args).stdout.split()

    busybox = image_id(d, "busybox")
    assert dangling not in ids("dangling=true")  # an intermediate image: not a head
    assert named in ids("since=busybox") and busybox not in ids("since=busybox")
    assert busybox in ids("before=filtered:2") and named not in ids("before=filtered:2")
    assert ids("reference=filtered:*") == [named]
    assert dangling in d.docker("images", "-aq", "--no-trunc", "-f", "label=stage=one").stdout
    # an archive with only the OCI layout (index.json, blobs): the same image comes back
    arch = tmp_path / "both.tar"
    d.docker("save", "-o", arch, "filtered:2")
    oci = tmp_path / "oci.tar"
    with tarfile.open(arch) as src, tarfile.open(oci, "w") as dst:
        for m in src.getmembers():
            if m.name not in ("manifest.json", "repositories"):
                dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    d.docker("rmi", "filtered:2")
    out = d.docker("load", "-i", oci).stdout
    assert "filtered:2" in out and image_id(d, "filtered:2") == named
    assert d.docker("run", "--rm", "filtered:2", "cat", "/f").stdout == "2\n"
    d.docker("rmi", "filtered:2")


def test_skopeo_reads_committed_save(d, tmp_path):
    import hashlib
    import shutil
    skopeo = shutil.which("skopeo")
    if not skopeo:
        pytest.skip("skopeo not installed")
    d.docker("run", "--name", "sk1", "busybox", "sh", "-c", "echo s > /s && rm /etc/group")
    new = d.docker("commit", "sk1", "skc:1").stdout.strip()
    d.docker("rm", "sk1")
    x = tmp_path / "x.tar"
    d.docker("save", "-o", x, "skc:1")
    out = tmp_path / "dir"
    p = subprocess.run([skopeo, "--insecure-policy", "copy", "docker-archive:%s" % x,
                        "dir:%s" % out], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert (out / new[7:]).exists()  # the config blob, under the image ID
    for diff in d.get_json("/images/skc:1/json")["RootFS"]["Layers"]:
        blob = (out / diff[7:]).read_bytes()
        assert "sha256:" + hashlib.sha256(blob).hexdigest() == diff
    d.docker("rmi", "skc:1")


def test_committed_images_move_to_dockerd_and_back(d, dockerd, tmp_path):
    """A berth commit (whiteout, opaque dir, hard link) saved and loaded into dockerd keeps its
    ID (dockerd checks every diff ID) and runs there; a dockerd commit comes back the same."""
    d.docker("run", "--name", "dk1", "busybox", "sh", "-c",
             "mkdir /o && touch /o/a && echo h > /h && ln /h /hl && rm /etc/group")
    d.docker("commit", "dk1", "dkmid:1")
    d.docker("run", "--name", "dk2", "dkmid:1", "sh", "-c", "rm -rf /o && mkdir /o && touch /o/b")
    top = d.docker("commit", "dk2", "dktop:1").stdout.strip()
    d.docker("rm", "dk1", "dk2")
    a = tmp_path / "from-berth.tar"
    d.docker("save", "-o", a, "dktop:1")
    dockerd("load", "-i", a)
    assert dockerd("image", "inspect", "-f", "{{.Id}}", "dktop:1").stdout.strip() == top
    check = "ls /o; stat -c %h /h; test -e /etc/group || echo nogroup"
    want = "b\n2\nnogroup\n"
    assert dockerd("run", "--rm", "--network", "none", "dktop:1", "sh", "-c",
                   check).stdout == want
    dockerd("run", "--name", "dk3", "--network", "none", "dktop:1", "sh", "-c",
            "echo back > /back && rm /h")
    back = dockerd("commit", "dk3", "dkback:1").stdout.strip()
    b = tmp_path / "from-dockerd.tar"
    dockerd("save", "-o", b, "dkback:1")
    d.docker("load", "-i", b)
    assert image_id(d, "dkback:1") == back
    assert d.docker("run", "--rm", "dkback:1", "sh", "-c",
                    "cat /back; test -e /h || echo noh; ls /o").stdout == "back\nnoh\nb\n"
    d.docker("rmi", "dkback:1", "dktop:1", "dkmid:1")


def test_prune_committed_chain(d):
    d.docker("run", "--name", "pr1", "busybox", "sh", "-c", "echo 1 > /p")
    mid = d.docker("commit", "pr1").stdout.strip()
    d.docker("run", "--name", "pr2", mid, "sh", "-c", "echo 2 > /p")
    top = d.docker("commit", "pr2").stdout.strip()  # dangling head over an untagged parent
    d.docker("rm", "pr1", "pr2")
    out = d.docker("image", "prune", "-f").stdout
    assert "deleted: " + top in out and "deleted: " + mid in out
    left = d.docker("images", "-aq", "--no-trunc").stdout
    assert top not in left and mid not in left and image_id(d, "busybox") in left
    assert "Total reclaimed space: 0B" not in out


def test_forced_rmi_keeps_what_a_stopped_container_stands_on(d):
    """rmi -f of an image a stopped container uses untags it; the container still starts
    (its layers stay), and the image goes once the container is gone."""
    cid = d.docker("create", "busybox", "sh", "-c", "echo base > /b").stdout.strip()
    d.docker("start", "-a", cid)
    d.docker("commit", cid, "rmf:1")
    iid = image_id(d, "rmf:1")
    d.docker("rm", cid)
    user = d.docker("create", "rmf:1", "cat", "/b").stdout.strip()
    p = d.docker("rmi", "rmf:1", check=False)
    assert p.returncode != 0 and "must force" in p.stderr
    p = d.docker("rmi", "-f", "rmf:1")
    assert "Untagged: rmf:1" in p.stdout
    assert d.docker("start", "-a", user).stdout == "base\n"
    d.docker("rm", user)
    d.docker("rmi", iid)
    assert d.request("GET", "/images/%s/json" % iid).status == 404
