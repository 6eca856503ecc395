"""Registry credentials and transport with the real docker CLI: docker-registry behind
htpasswd (basic auth: refused without login, docker login checked by POST /auth, then push and
pull), a bearer-token registry (a proxy with its own token endpoint), --insecure-registry for a
non-loopback address (plain HTTP only when configured), a blob upload cut in the middle and
resumed where the registry says it stands, and a pull killed with the daemon that leaves no
image and no layer after a restart."""

import json
import os
import signal
import socket
import subprocess
import time
from urllib.parse import quote

import pytest

import helpers
from registry_common import Proxy, Registry, docker_archive, layer_tar, progress_lines
from test_daemon_common import Daemon


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """A two-layer image archive (small, no rootfs needed: nothing runs here)."""
    layers = [layer_tar({"a/": None, "a/one": b"1" * 1000}),
              layer_tar({"b/": None, "b/two": os.urandom(300000)})]
    archive, image_id, _ = docker_archive(layers, "authimg:1")
    path = tmp_path_factory.mktemp("auth-archive") / "img.tar"
    path.write_bytes(archive)
    return {"path": path, "id": image_id}


@pytest.fixture(scope="module")
def d(tmp_path_factory, image):
    dm = Daemon(tmp_path_factory.mktemp("berthd-auth")).start("-D")
    dm.docker("load", "-i", image["path"])
    yield dm
    assert dm.stop() == 0, dm.log()


def login(d, server, user, pw):
    return d.docker("login", "-u", user, "--password-stdin", server, input=pw + "\n",
                    check=False)


def test_basic_auth_htpasswd(d, image, tmp_path):
    reg = Registry(tmp_path / "reg", users={"alice": "s3cret"}).start()
    try:
        ref = "%s/team/app:1" % reg.addr
        d.docker("tag", "authimg:1", ref)
        p = d.docker("push", ref, check=False)
        assert p.returncode == 1 and "no basic auth credentials" in p.stderr, p.stderr
        bad = login(d, reg.addr, "alice", "wrong")
        assert bad.returncode == 1
        assert "401 Unauthorized" in bad.stderr, bad.stderr
        r = d.request("POST", "/v1.45/auth", body=json.dumps(
            {"username": "alice", "password": "wrong", "serveraddress": reg.addr}),
            headers={"Content-Type": "application/json"})
        assert r.status == 401 and "login attempt to" in r.message, r.data
        r = d.request("POST", "/v1.45/auth", body=json.dumps(
            {"username": "alice", "password": "s3cret", "serveraddress": reg.addr}),
            headers={"Content-Type": "application/json"})
        assert r.status == 200 and r.json()["Status"] == "Login Succeeded", r.data
        ok = login(d, reg.addr, "alice", "s3cret")
        assert ok.returncode == 0 and "Login Succeeded" in ok.stdout, ok.stderr
        out = d.docker("push", ref).stdout
        assert sum(line.endswith(": Pushed") for line in progress_lines(out)) == 2, out
        d.docker("rmi", ref)
        d.docker("rmi", "-f", image["id"])
        d.docker("pull", ref)
        assert d.docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip() == image["id"]
        d.docker("logout", reg.addr)
        d.docker("rmi", ref)
        p = d.docker("pull", ref, check=False)
        assert p.returncode == 1 and "no basic auth credentials" in p.stderr, p.stderr
    finally:
        reg.stop()
        d.docker("load", "-i", image["path"])


def test_bearer_token_auth(d, image, tmp_path):
    reg = Registry(tmp_path / "reg").start()
    proxy = Proxy(reg.addr, bearer={"bob": "pw"}).start()
    try:
        ref = "%s/bear/app:1" % proxy.addr
        d.docker("tag", "authimg:1", ref)
        assert login(d, proxy.addr, "bob", "nope").returncode == 1
        assert login(d, proxy.addr, "bob", "pw").returncode == 0
        d.docker("push", ref)
        scopes = [p for p in proxy.token_requests if "scope=" in p]
        assert any("repository%3Abear%2Fapp%3Apull%2Cpush" in p for p in scopes), scopes
        assert all("account=bob" in p for p in scopes), scopes
        d.docker("rmi", ref)
        d.docker("rmi", "-f", image["id"])
        d.docker("pull", ref)
        assert d.docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip() == image["id"]
        d.docker("logout", proxy.addr)
        d.docker("rmi", ref)
        p = d.docker("pull", ref, check=False)  # anonymous: the token server says no
        assert p.returncode == 1 and "unauthorized" in p.stderr, p.stderr
    finally:
        proxy.stop()
        reg.stop()
        d.docker("load", "-i", image["path"])


def test_identity_token_refresh(d, image, tmp_path):
    """X-Registry-Auth with an identitytoken: the token is got by dockerd's OAuth form POST."""
    import base64
    reg = Registry(tmp_path / "reg").start()
    proxy = Proxy(reg.addr, bearer={}).start()
    try:
        ref = "%s/oauth/app" % proxy.addr

        def auth(tok):
            raw = json.dumps({"identitytoken": tok, "serveraddress": proxy.addr}).encode()
            return {"X-Registry-Auth": base64.urlsafe_b64encode(raw).decode().rstrip("=")}
        d.docker("tag", "authimg:1", ref + ":1")
        r = d.request("POST", "/v1.45/images/%s/push?tag=1" % quote(ref, safe=""),
                      headers=auth(Proxy.REFRESH))
        assert r.status == 200 and b"errorDetail" not in r.data, r.data
        forms = [f for f in proxy.token_requests if isinstance(f, dict)]
        assert forms and forms[0]["client_id"] == ["docker"], proxy.token_requests
        assert "repository:oauth/app:pull,push" in forms[0]["scope"][0], forms
        r = d.request("POST", "/v1.45/images/create?fromImage=%s&tag=1" % quote(ref, safe=""),
                      headers=auth("wrong"))
        assert r.status != 200 or b"errorDetail" in r.data, r.data
        d.docker("rmi", ref + ":1")
    finally:
        proxy.stop()
        reg.stop()


def host_ip():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.123", 9))  # no packet is sent: only the route is looked up
        ip = s.getsockname()[0]
    if ip.startswith("127."):
        pytest.skip("no non-loopback address on this host")
    return ip


def test_insecure_registry_only_when_configured(d, image, tmp_path):
    reg = Registry(tmp_path / "reg").start()
    proxy = Proxy(reg.addr, host="0.0.0.0").start()
    other = None
    try:
        addr = "%s:%d" % (host_ip(), proxy.port)
        ref = "%s/ins/app:1" % addr
        d.docker("tag", "authimg:1", ref)
        p = d.docker("push", ref, check=False)  # TLS by default: a plain HTTP server fails
        assert p.returncode == 1, p.stdout
        d.docker("rmi", ref)
        cfg = tmp_path / "daemon.json"
        cfg.write_text(json.dumps({"insecure-registries": ["%s/32" % host_ip()]}))
        other = Daemon(tmp_path / "d2").start("--config-file", cfg)
        rc = json.loads(other.docker("info", "--format", "{{json .RegistryConfig}}").stdout)
        assert rc["InsecureRegistryCIDRs"] == ["127.0.0.0/8", "%s/32" % host_ip()], rc
        other.docker("load", "-i", image["path"])
        other.docker("tag", "authimg:1", ref)
        other.docker("push", ref)
        other.docker("rmi", ref)
        other.docker("rmi", "-f", image["id"])
        other.docker("pull", ref)
    finally:
        if other:
            other.stop()
        proxy.stop()
        reg.stop()


def test_killed_pull_leaves_nothing_after_restart(image, tmp_path):
    reg = Registry(tmp_path / "reg").start()
    src = Daemon(tmp_path / "src").start()
    ref = "%s/slow/app:1" % reg.addr
    try:
        src.docker("load", "-i", image["path"])
        src.docker("tag", "authimg:1", ref)
        src.docker("push", ref)
    finally:
        src.stop()
    proxy = Proxy(reg.addr, slow=0.2).start()
    d = Daemon(tmp_path / "victim").start()
    try:
        sref = "%s/slow/app:1" % proxy.addr
        puller = subprocess.Popen(["docker", "pull", sref], env=d.env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        layers = d.root / "image" / "layers"
        deadline = time.time() + 20
        while time.time() < deadline:
            if layers.exists() and any(n.startswith(".tmp-pull-") for n in os.listdir(layers)):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the pull never started")
        time.sleep(0.3)  # some bytes are extracted by now
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        puller.wait(10)
        assert puller.returncode != 0
        d.start()
        assert d.docker("images", "-aq").stdout.strip() == ""
        assert os.listdir(layers) == []
        assert json.loads(d.request("GET", "/images/json?all=1").data) == []
        r = d.request("POST", "/v1.45/images/create?fromImage=%s&tag=1"
                      % quote("%s/slow/app" % reg.addr, safe=""))
        assert r.status == 200 and b"Status: Downloaded newer image" in r.data, r.data
    finally:
        d.stop()
        proxy.stop()
        reg.stop()


def test_interrupted_upload_resumes(d, tmp_path):
    """A 20 MiB layer goes up in two chunks; the second is lost: the push asks the registry
    where the upload stands and sends the rest from there. A chunk half received (the
    registry's upload state then stale, docker-registry drops the upload) starts over."""
    reg = Registry(tmp_path / "reg").start()
    big = layer_tar({"big": os.urandom(20 << 20)})
    archive, image_id, _ = docker_archive([big], "bigimg:1")
    (tmp_path / "big.tar").write_bytes(archive)
    d.docker("load", "-i", tmp_path / "big.tar")
    try:
        for mode, expect in ((2, [0, 16 << 20, 16 << 20]), ("half", None)):
            proxy = Proxy(reg.addr, cut_patch=mode).start()
            try:
                ref = "%s/resume/%s:1" % (proxy.addr, "a" if mode == 2 else "b")
                d.docker("tag", "bigimg:1", ref)
                out = d.docker("push", ref).stdout
                assert out.count(": Pushed") == 1, out
                starts = [int(p.split("-")[0]) for p in proxy.patches]
                if expect:
                    assert starts == expect, proxy.patches
                else:
                    assert starts.count(0) >= 2, proxy.patches
                d.docker("rmi", ref)
            finally:
                proxy.stop()
        d.docker("rmi", "-f", image_id)
        d.docker("pull", "%s/resume/a:1" % reg.addr)
        info = d.docker("image", "inspect", "-f", "{{.Id}}", "%s/resume/a:1" % reg.addr)
        assert info.stdout.strip() == image_id
        d.docker("rmi", "%s/resume/a:1" % reg.addr)
    finally:
        reg.stop()


def test_registry_mirror_for_docker_io(d, image, tmp_path):
    """--registry-mirror: docker.io images come from the mirror (offline here), and keep their
    docker.io names; a flag and a config-file key both work."""
    reg = Registry(tmp_path / "reg").start()
    other = None
    try:
        mirror_ref = "%s/library/hello-world:latest" % reg.addr
        d.docker("tag", "authimg:1", mirror_ref)
        d.docker("tag", "authimg:1", "%s/library/hello-world:linux" % reg.addr)
        d.docker("push", "--all-tags", "%s/library/hello-world" % reg.addr)
        d.docker("rmi", mirror_ref, "%s/library/hello-world:linux" % reg.addr)
        other = Daemon(tmp_path / "d2").start("--registry-mirror", "http://%s" % reg.addr,
                                              "--insecure-registry", "myreg.test:5000")
        rc = json.loads(other.docker("info", "--format", "{{json .RegistryConfig}}").stdout)
        assert rc["Mirrors"] == ["http://%s/" % reg.addr], rc
        assert rc["IndexConfigs"]["docker.io"]["Mirrors"] == rc["Mirrors"], rc
        assert rc["IndexConfigs"]["myreg.test:5000"]["Secure"] is False, rc
        info = other.docker("info").stdout
        assert "Registry Mirrors:" in info and "myreg.test:5000" in info, info
        out = other.docker("pull", "hello-world").stdout
        assert "latest: Pulling from library/hello-world" in out, out
        assert "Status: Downloaded newer image for hello-world:latest" in out, out
        info = json.loads(other.docker("image", "inspect", "hello-world").stdout)[0]
        assert info["Id"] == image["id"]
        assert info["RepoTags"] == ["hello-world:latest"]
        assert info["RepoDigests"][0].startswith("hello-world@sha256:")
        out = other.docker("pull", "--all-tags", "hello-world").stdout
        assert "linux: Pulling from library/hello-world" in out, out
        other.stop()
        cfg = tmp_path / "daemon.json"
        cfg.write_text(json.dumps({"registry-mirrors": ["http://%s/" % reg.addr]}))
        other = Daemon(tmp_path / "d3").start("--config-file", cfg)
        other.docker("pull", "library/hello-world:linux")
    finally:
        if other:
            other.stop()
        reg.stop()
