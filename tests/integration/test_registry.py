"""docker push and pull between a berth daemon and Debian's docker-registry on 127.0.0.1, with
the real docker CLI: a three-layer image (busybox rootfs + two layers, one with a whiteout)
pushed and pulled back with the same image ID and byte-identical layers, pull by digest,
"Layer already exists" and cross-repository mounts, an image pushed by skopeo, the errors
dockerd gives (unknown tag/repository 404 before any output, invalid references 400), and a
tampered blob that is refused with nothing left in the store."""

import hashlib
import io
import json
import os
import subprocess
import tarfile
from urllib.parse import quote

import pytest

import helpers
from registry_common import (SKOPEO_BIN, Proxy, Registry, docker_archive, layer_tar,
                             progress_lines)
from test_daemon_common import Daemon

PATH_ENV = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("registry")).start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    tar = tmp_path_factory.mktemp("rootfs") / "rootfs.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkrootfs"), "--tar", str(tar)], check=True,
                   capture_output=True, timeout=120)
    return tar.read_bytes()


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    dm = Daemon(tmp_path_factory.mktemp("berthd-registry")).start("-D")
    yield dm
    ids = dm.docker("ps", "-aq").stdout.split()
    if ids:
        dm.docker("rm", "-f", *ids, check=False)
    assert dm.stop() == 0, dm.log()
    assert os.stat("/dev/null").st_uid == 0


@pytest.fixture(scope="module")
def multi(d, rootfs, tmp_path_factory):
    """A three-layer image loaded from a hand-made docker-archive, tagged multi:1."""
    layers = [rootfs,
              layer_tar({"etc/": None, "etc/layer1": b"one\n", "srv/": None}),
              layer_tar({"etc/": None, "etc/.wh.layer1": b"", "srv/": None,
                         "srv/data": os.urandom(100000)})]
    archive, image_id, diff_ids = docker_archive(layers, "multi:1")
    path = tmp_path_factory.mktemp("archive") / "multi.tar"
    path.write_bytes(archive)
    d.docker("load", "-i", path)
    return {"id": image_id, "diff_ids": diff_ids, "archive": path, "layers": layers}


@pytest.fixture(scope="module")
def pushed(d, registry, multi):
    """multi pushed as <registry>/spy/multi:1: the CLI output and the manifest digest."""
    ref = "%s/spy/multi:1" % registry.addr
    d.docker("tag", "multi:1", ref)
    out = d.docker("push", ref).stdout
    raw, digest = registry.manifest("spy/multi", "1")
    return {"ref": ref, "out": out, "digest": digest, "manifest": json.loads(raw), "raw": raw}


def inspect(d, name):
    return json.loads(d.docker("image", "inspect", name).stdout)[0]


def tmp_leftovers(d):
    layers = d.root / "image" / "layers"
    return [n for n in os.listdir(layers) if n.startswith(".tmp-")]


def test_push_multilayer(d, registry, multi, pushed):
    lines = progress_lines(pushed["out"])
    assert lines[0] == "The push refers to repository [%s/spy/multi]" % registry.addr
    assert sum(line.endswith(": Pushed") for line in lines) == 3, pushed["out"]
    assert lines[-1] == "1: digest: %s size: %d" % (pushed["digest"], len(pushed["raw"]))
    m = pushed["manifest"]
    assert m["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert m["config"]["digest"] == multi["id"]
    assert len(m["layers"]) == 3
    assert pushed["digest"] == "sha256:" + hashlib.sha256(pushed["raw"]).hexdigest()
    assert "%s/spy/multi@%s" % (registry.addr, pushed["digest"]) in \
        inspect(d, pushed["ref"])["RepoDigests"]


def test_push_twice_layer_already_exists(d, pushed):
    out = d.docker("push", pushed["ref"]).stdout
    lines = progress_lines(out)
    assert sum(line.endswith(": Layer already exists") for line in lines) == 3, out
    assert not any(line.endswith(": Pushed") for line in lines), out
    assert lines[-1].startswith("1: digest: %s " % pushed["digest"])


def test_push_to_other_repository_mounts(d, registry, pushed):
    ref = "%s/spy/other:2" % registry.addr
    d.docker("tag", "multi:1", ref)
    out = d.docker("push", ref).stdout
    assert sum(line.endswith(": Mounted from spy/multi") for line in progress_lines(out)) == 3, \
        out
    d.docker("rmi", ref)


def test_pull_back_same_image(d, registry, multi, pushed):
    d.docker("rmi", "-f", multi["id"])
    assert d.docker("images", "-q").stdout.strip() == ""
    p = d.docker("pull", pushed["ref"])
    lines = progress_lines(p.stdout)
    assert lines[0] == "1: Pulling from spy/multi"
    assert sum(line.endswith(": Pull complete") for line in lines) == 3, p.stdout
    assert "Digest: %s" % pushed["digest"] in lines
    assert "Status: Downloaded newer image for %s" % pushed["ref"] in lines
    info = inspect(d, pushed["ref"])
    assert info["Id"] == multi["id"]
    assert info["RootFS"]["Layers"] == multi["diff_ids"]
    assert info["RepoDigests"] == ["%s/spy/multi@%s" % (registry.addr, pushed["digest"])]
    # the whiteout of layer 3 hides layer 2's file; layer 3's data is there
    out = d.docker("run", "--rm", pushed["ref"], "sh", "-c",
                   "wc -c < /srv/data; test -e /etc/layer1 || echo gone").stdout.split()
    assert out == ["100000", "gone"]
    # the pulled layers save as the exact tars that were pushed (their diff IDs)
    saved = d.request("GET", "/images/%s/get" % quote(pushed["ref"], safe="")).data
    with tarfile.open(fileobj=io.BytesIO(saved)) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        got = [hashlib.sha256(t.extractfile(p).read()).hexdigest() for p in
               manifest[0]["Layers"]]
    assert ["sha256:" + g for g in got] == multi["diff_ids"]
    again = progress_lines(d.docker("pull", pushed["ref"]).stdout)
    assert "Status: Image is up to date for %s" % pushed["ref"] in again


def test_pull_by_digest(d, registry, multi, pushed):
    by_digest = "%s/spy/multi@%s" % (registry.addr, pushed["digest"])
    d.docker("rmi", "-f", multi["id"])
    out = d.docker("pull", by_digest).stdout
    assert "Digest: %s" % pushed["digest"] in out
    info = inspect(d, by_digest)
    assert info["Id"] == multi["id"]
    assert info["RepoTags"] == []
    assert info["RepoDigests"] == [by_digest]
    d.docker("tag", multi["id"], pushed["ref"])


def test_pull_unknown_is_404_before_output(d, registry, pushed):
    r = d.request("POST", "/v1.45/images/create?fromImage=%s&tag=nope"
                  % quote("%s/spy/multi" % registry.addr, safe=""))
    assert r.status == 404, r.data
    assert r.message == ("manifest for %s/spy/multi:nope not found: manifest unknown: "
                           "manifest unknown" % registry.addr)
    r = d.request("POST", "/v1.45/images/create?fromImage=%s&tag=1"
                  % quote("%s/spy/nosuchrepo" % registry.addr, safe=""))
    assert r.status == 404, r.data
    assert "not found" in r.message and "spy/nosuchrepo" in r.message
    p = d.docker("pull", "%s/spy/multi:nope" % registry.addr, check=False)
    assert p.returncode == 1
    assert "manifest for %s/spy/multi:nope not found" % registry.addr in p.stderr


def test_invalid_references_are_400(d, registry):
    r = d.request("POST", "/v1.45/images/create?fromImage=Bad/Name&tag=1")
    assert r.status == 400, r.data
    assert r.message == "invalid reference format: repository name must be lowercase"
    r = d.request("POST", "/v1.45/images/create?fromImage=busybox&tag=a:b")
    assert r.status == 400, r.data
    r = d.request("POST", "/v1.45/images/%s/push?tag=bad:tag" % quote(
        "%s/spy/multi" % registry.addr, safe=""))
    assert r.status == 400, r.data


def test_push_of_missing_image_errs_in_stream(d, registry):
    p = d.docker("push", "%s/spy/nothing:1" % registry.addr, check=False)
    assert p.returncode == 1
    assert "tag does not exist: %s/spy/nothing:1" % registry.addr in p.stderr


def test_tampered_blob_is_refused_and_leaves_nothing(d, registry, multi, pushed):
    proxy = Proxy(registry.addr, tamper=True).start()
    try:
        layers_before = d.layer_dirs()
        images_before = d.docker("images", "-aq", "--no-trunc").stdout.split()
        ref = "%s/spy/multi:1" % proxy.addr
        r = d.request("POST", "/v1.45/images/create?fromImage=%s&tag=1"
                      % quote("%s/spy/multi" % proxy.addr, safe=""))
        # the config blob is read before the stream starts: a plain error then
        assert r.status in (200, 400, 500), r.data
        text = r.data.decode()
        assert "verification failed for digest" in text, text
        if r.status == 200:
            last = json.loads(text.strip().splitlines()[-1])
            assert last["error"] == last["errorDetail"]["message"]
        p = d.docker("pull", ref, check=False)
        assert p.returncode == 1 and "verification failed" in p.stderr
        assert d.layer_dirs() == layers_before
        assert d.docker("images", "-aq", "--no-trunc").stdout.split() == images_before
        assert tmp_leftovers(d) == []
    finally:
        proxy.stop()


def test_tampered_layer_after_good_config(d, registry, multi, pushed):
    """Only layer blobs tampered: the error comes in the stream; no layer is kept."""
    proxy = Proxy(registry.addr, tamper=True)
    good_config = multi["id"]
    real_handle = proxy.handle

    def handle(h):
        if h.path.endswith("/blobs/" + good_config):
            proxy.tamper = False
            try:
                return real_handle(h)
            finally:
                proxy.tamper = True
        return real_handle(h)
    proxy.handle = handle
    proxy.start()
    try:
        d.docker("rmi", "-f", multi["id"])
        layers_before = d.layer_dirs()
        p = d.docker("pull", "%s/spy/multi:1" % proxy.addr, check=False)
        assert p.returncode == 1, p.stdout
        assert "filesystem layer verification failed for digest sha256:" in p.stderr
        assert "Pulling fs layer" in p.stdout
        assert d.layer_dirs() == layers_before
        assert tmp_leftovers(d) == []
        assert d.docker("images", "-q").stdout.strip() == ""
    finally:
        proxy.stop()
        d.docker("pull", pushed["ref"])


@pytest.mark.skipif(not SKOPEO_BIN, reason="skopeo is not installed")
def test_pull_image_pushed_by_skopeo(d, registry, multi):
    subprocess.run([SKOPEO_BIN, "copy", "--quiet", "docker-archive:%s" % multi["archive"],
                    "docker://%s/sk/copied:1" % registry.addr, "--dest-tls-verify=false"],
                   check=True, capture_output=True, timeout=120)
    ref = "%s/sk/copied:1" % registry.addr
    d.docker("pull", ref)
    assert inspect(d, ref)["Id"] == multi["id"]
    d.docker("rmi", ref)


def test_events_run_pulls_and_concurrent_pulls(d, registry, multi, pushed):
    """pull/push events; docker run of a missing image pulls it; two pulls at once both
    succeed with one image; a client that leaves mid-pull cancels it cleanly."""
    d.docker("rmi", "-f", multi["id"])
    p = d.docker("run", "--rm", pushed["ref"], "sh", "-c", "wc -c < /srv/data")
    assert p.stdout.split() == ["100000"]
    assert "Unable to find image '%s' locally" % pushed["ref"] in p.stderr, p.stderr
    d.docker("rmi", "-f", multi["id"])
    import threading
    results = []

    def one():
        results.append(d.docker("pull", pushed["ref"], check=False))
    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert inspect(d, pushed["ref"])["Id"] == multi["id"]
    assert tmp_leftovers(d) == []
    d.docker("push", pushed["ref"])
    ev = d.docker("events", "--since", "60s", "--until", "0s", "--filter", "type=image",
                  "--format", "{{.Action}} {{.Actor.Attributes.name}}").stdout.splitlines()
    assert "pull %s/spy/multi" % registry.addr in ev, ev
    assert "push %s" % pushed["ref"] in ev, ev


def test_client_gone_mid_pull_leaves_nothing(d, registry, multi, pushed):
    import socket
    import time
    proxy = Proxy(registry.addr, slow=0.3).start()
    try:
        d.docker("rmi", "-f", multi["id"])
        layers_before = d.layer_dirs()
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(d.sock))
        s.sendall(("POST /v1.45/images/create?fromImage=%s&tag=1 HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: 0\r\n\r\n" % quote("%s/spy/multi" % proxy.addr, safe=""))
                  .encode())
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.5)
        s.close()
        deadline = time.time() + 20
        while time.time() < deadline and (tmp_leftovers(d) or d.layer_dirs() != layers_before):
            time.sleep(0.1)
        assert tmp_leftovers(d) == [] and d.layer_dirs() == layers_before
        assert d.docker("images", "-q").stdout.strip() == ""
    finally:
        proxy.stop()
        d.docker("pull", pushed["ref"])


def test_pull_all_tags(d, registry, multi, pushed):
    repo = "%s/spy/tags" % registry.addr
    for t in ("a", "b"):
        d.docker("tag", multi["id"], "%s:%s" % (repo, t))
    out = d.docker("push", "--all-tags", repo).stdout
    assert "a: digest: sha256:" in out and "b: digest: sha256:" in out, out
    d.docker("rmi", "%s:a" % repo, "%s:b" % repo)
    out = d.docker("pull", "--all-tags", repo).stdout
    lines = progress_lines(out)
    assert "a: Pulling from spy/tags" in lines and "b: Pulling from spy/tags" in lines, out
    assert "Status: Downloaded newer image for %s" % repo in lines, out
    tags = sorted(inspect(d, "%s:a" % repo)["RepoTags"])
    assert "%s:a" % repo in tags and "%s:b" % repo in tags
    d.docker("rmi", "%s:a" % repo, "%s:b" % repo)
    r = d.request("POST", "/v1.45/images/create?fromImage=%s"
                  % quote("%s/spy/nosuchrepo" % registry.addr, safe=""))
    assert r.status == 404, r.data


def test_push_of_committed_image(d, registry, multi, pushed):
    """A container's change committed, pushed, removed and pulled back runs with it."""
    cid = d.docker("run", "-d", pushed["ref"], "sh", "-c",
                   "echo committed > /srv/new && rm /srv/data").stdout.strip()
    assert d.docker("wait", cid).stdout.strip() == "0"
    ref = "%s/spy/committed:1" % registry.addr
    new_id = d.docker("commit", cid, ref).stdout.strip()
    d.docker("rm", cid)
    out = d.docker("push", ref).stdout
    lines = progress_lines(out)
    assert sum(line.endswith(": Pushed") for line in lines) == 1, out
    assert sum(line.endswith((": Layer already exists", ": Mounted from spy/multi"))
               for line in lines) == 3, out
    d.docker("rmi", ref)
    d.docker("pull", ref)
    assert inspect(d, ref)["Id"] == new_id
    p = d.docker("run", "--rm", ref, "sh", "-c", "cat /srv/new; test -e /srv/data || echo gone")
    assert p.stdout.split() == ["committed", "gone"]
    d.docker("rmi", ref)
