"""Manifest formats a pull must read, uploaded by hand to docker-registry: an OCI index with
linux/arm64 and linux/amd64 entries (the amd64 image is pulled, the index digest is the
RepoDigest), an OCI image manifest with gzip, zstd and uncompressed tar layers, and a foreign
layer refused with a clear error and nothing stored."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from registry_common import Registry, layer_tar, push_blob, put_manifest
from test_daemon_common import Daemon

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("registry-formats")).start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    dm = Daemon(tmp_path_factory.mktemp("berthd-formats")).start()
    yield dm
    assert dm.stop() == 0, dm.log()


def zstd(data):
    if not shutil.which("zstd"):
        pytest.skip("no zstd binary to make a zstd layer")
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                          check=True).stdout


def image(addr, repo, layers, arch="amd64"):
    """Uploads layers ((tar, compressed blob, media type)) and a config; returns the OCI
    manifest dict and the config digest (the image ID)."""
    diff_ids = ["sha256:" + hashlib.sha256(tar).hexdigest() for tar, _, _ in layers]
    config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cdigest = push_blob(addr, repo, config)
    descs = []
    for tar, blob, mt in layers:
        descs.append({"mediaType": mt, "digest": push_blob(addr, repo, blob),
                      "size": len(blob)})
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": cdigest, "size": len(config)},
                "layers": descs}
    return manifest, cdigest


def test_oci_index_picks_linux_amd64(d, registry):
    repo = "fmt/idx"
    t_arm = layer_tar({"arch": b"arm64\n"})
    t_amd = layer_tar({"arch": b"amd64\n"})
    arm, arm_id = image(registry.addr, repo, [(t_arm, gzip.compress(t_arm),
                        "application/vnd.oci.image.layer.v1.tar+gzip")], arch="arm64")
    amd, amd_id = image(registry.addr, repo, [(t_amd, gzip.compress(t_amd),
                        "application/vnd.oci.image.layer.v1.tar+gzip")])
    arm_body, arm_digest = put_manifest(registry.addr, repo, "arm", OCI_MANIFEST, arm)
    amd_body, amd_digest = put_manifest(registry.addr, repo, "amd", OCI_MANIFEST, amd)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": arm_digest, "size": len(arm_body),
         "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": OCI_MANIFEST, "digest": amd_digest, "size": len(amd_body),
         "platform": {"os": "linux", "architecture": "amd64"}}]}
    _, idx_digest = put_manifest(registry.addr, repo, "multi", OCI_INDEX, index)
    ref = "%s/%s:multi" % (registry.addr, repo)
    out = d.docker("pull", ref).stdout
    assert "Digest: %s" % idx_digest in out
    info = json.loads(d.docker("image", "inspect", ref).stdout)[0]
    assert info["Id"] == amd_id
    assert info["RepoDigests"] == ["%s/%s@%s" % (registry.addr, repo, idx_digest)]
    d.docker("rmi", ref)


def test_oci_manifest_gzip_zstd_and_plain_layers(d, registry):
    repo = "fmt/mixed"
    t1 = layer_tar({"one/": None, "one/f": b"1" * 5000})
    t2 = layer_tar({"two/": None, "two/f": os.urandom(20000)})
    t3 = layer_tar({"three": b"3\n"})
    m, image_id = image(registry.addr, repo, [
        (t1, gzip.compress(t1), "application/vnd.oci.image.layer.v1.tar+gzip"),
        (t2, zstd(t2), "application/vnd.oci.image.layer.v1.tar+zstd"),
        (t3, t3, "application/vnd.oci.image.layer.v1.tar")])
    put_manifest(registry.addr, repo, "1", OCI_MANIFEST, m)
    ref = "%s/%s:1" % (registry.addr, repo)
    out = d.docker("pull", ref).stdout
    assert out.count("Pull complete") == 3, out
    info = json.loads(d.docker("image", "inspect", ref).stdout)[0]
    assert info["Id"] == image_id
    assert len(info["RootFS"]["Layers"]) == 3
    d.docker("rmi", ref)


def test_foreign_layer_is_refused(d, registry):
    """A layer that names a URL outside the registry: refused before anything is fetched."""
    repo = "fmt/old"
    t = layer_tar({"x": b"x"})
    m, _ = image(registry.addr, repo, [(t, gzip.compress(t),
                 "application/vnd.oci.image.layer.v1.tar+gzip")])
    m["layers"][0]["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    m["layers"][0]["urls"] = ["https://example.invalid/layer"]
    put_manifest(registry.addr, repo, "1", OCI_MANIFEST, m)
    p = d.docker("pull", "%s/%s:1" % (registry.addr, repo), check=False)
    assert p.returncode == 1
    assert "foreign layer" in p.stderr, p.stderr
    assert d.docker("images", "-q").stdout.strip() == ""


def test_distribution_inspect(d, registry):
    """GET /distribution/{name}/json (docker-py inspect_distribution): the manifest's
    descriptor and its platforms, nothing pulled."""
    from urllib.parse import quote
    t = layer_tar({"d": b"d\n"})
    m, _ = image(registry.addr, "fmt/dist", [(t, gzip.compress(t),
                 "application/vnd.oci.image.layer.v1.tar+gzip")], arch="amd64")
    body, digest = put_manifest(registry.addr, "fmt/dist", "1", OCI_MANIFEST, m)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body),
         "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body),
         "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}}]}
    ibody, idigest = put_manifest(registry.addr, "fmt/dist", "multi", OCI_INDEX, index)
    r = d.get_json("/v1.45/distribution/%s/json" % quote("%s/fmt/dist:1" % registry.addr))
    assert r["Descriptor"] == {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body)}
    assert r["Platforms"] == [{"architecture": "amd64", "os": "linux"}]
    r = d.get_json("/v1.45/distribution/%s/json" % quote("%s/fmt/dist:multi" % registry.addr))
    assert r["Descriptor"]["digest"] == idigest and r["Descriptor"]["size"] == len(ibody)
    assert r["Platforms"] == [{"architecture": "amd64", "os": "linux"},
                              {"architecture": "arm", "os": "linux", "variant": "v7"}]
    r = d.get_json("/v1.45/distribution/%s/json" % quote("%s/fmt/dist@%s" % (registry.addr,
                                                                              idigest)))
    assert r["Descriptor"]["digest"] == idigest
    r = d.request("GET", "/v1.45/distribution/%s/json" % quote("%s/fmt/dist:nope"
                                                               % registry.addr))
    assert r.status == 404, r.data
    r = d.request("GET", "/v1.45/distribution/Bad/json")
    assert r.status == 400, r.data
    assert d.docker("images", "-q").stdout.strip() == ""
