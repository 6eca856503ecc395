"""Shared by the test_registry* modules (no tests here): Debian's docker-registry on 127.0.0.1
at a free port with its storage in a temporary directory (optionally behind htpasswd), a small
HTTP proxy in front of it that can ask for bearer tokens, tamper with blobs or go slowly, and
docker-archive tarballs built by hand (multi-layer images without a registry or a build)."""

import base64
import hashlib
import http.client
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"
HTPASSWD_BIN = shutil.which("htpasswd")
SKOPEO_BIN = shutil.which("skopeo")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=15, ok=(200, 401)):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status in ok:
                    return
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("%s not answering after %ds" % (url, timeout))


class Registry:
    """docker-registry serve with a config of our own; stopped by its PID."""

    def __init__(self, base, users=None):
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.users = users or {}
        self.port = None
        self.proc = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def _htpasswd(self):
        path = self.base / "htpasswd"
        lines = []
        for user, pw in self.users.items():
            out = subprocess.run([HTPASSWD_BIN, "-Bbn", user, pw], check=True,
                                 capture_output=True, text=True).stdout.strip()
            lines.append(out)
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self):
        if not os.access(REGISTRY_BIN, os.X_OK):
            pytest.skip("docker-registry is not installed (scripts/install-deps)")
        auth = ""
        if self.users:
            if not HTPASSWD_BIN:
                pytest.skip("htpasswd (apache2-utils) is not installed")
            auth = "auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n" % self._htpasswd()
        for _ in range(5):
            self.port = free_port()
            cfg = self.base / "config.yml"
            cfg.write_text(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
                "http:\n  addr: 127.0.0.1:%d\n%s" % (self.base / "data", self.port, auth))
            log = open(self.base / "registry.log", "ab")
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(cfg)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            log.close()
            try:
                wait_http("http://%s/v2/" % self.addr, timeout=10)
                return self
            except AssertionError:
                self.stop()  # the port was taken meanwhile: another one
        raise AssertionError("docker-registry did not start: %s" %
                             (self.base / "registry.log").read_text()[-2000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def manifest(self, repo, ref, auth=None):
        req = urllib.request.Request("http://%s/v2/%s/manifests/%s" % (self.addr, repo, ref),
                                     headers={"Accept": "application/vnd.docker.distribution."
                                              "manifest.v2+json"})
        if auth:
            req.add_header("Authorization", "Basic " +
                           base64.b64encode(("%s:%s" % auth).encode()).decode())
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read(), r.headers.get("Docker-Content-Digest")


class Proxy:
    """A threaded HTTP proxy to a registry. tamper: flips a byte of every blob it serves;
    slow: seconds to sleep between 64 KiB pieces of a blob; bearer: {user: password} makes it
    demand tokens from its own /token endpoint (Basic credentials in, a token out)."""

    TOKEN = "berth-test-token"

    def __init__(self, upstream, tamper=False, slow=0.0, bearer=None, host="127.0.0.1",
                 cut_patch=False):
        self.upstream = upstream
        self.tamper, self.slow, self.bearer = tamper, slow, bearer
        # cut_patch=N: the Nth PATCH is not forwarded (a 500 instead); "half": the first is
        # half forwarded, then a 500 (the registry's state is then stale)
        self.cut_patch = cut_patch
        self.patches = []
        self.token_requests = []
        self.blob_gets = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                proxy.handle(self)

            do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _reply(self, h, status, headers, body=b""):
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    REFRESH = "berth-test-refresh-token"

    def _token(self, h):
        self.token_requests.append(h.path)
        if h.command == "POST":  # OAuth: grant_type=refresh_token with an identity token
            n = int(h.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(h.rfile.read(n).decode())
            self.token_requests.append(form)
            if form.get("grant_type") != ["refresh_token"] or \
                    form.get("refresh_token") != [self.REFRESH]:
                return self._reply(h, 401, [("Content-Type", "application/json")], b"{}")
            body = json.dumps({"access_token": self.TOKEN, "expires_in": 300}).encode()
            return self._reply(h, 200, [("Content-Type", "application/json")], body)
        auth = h.headers.get("Authorization", "")
        user_pw = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
        user, _, pw = user_pw.partition(":")
        if not user_pw or self.bearer.get(user) != pw:
            return self._reply(h, 401, [("Content-Type", "application/json")],
                               b'{"details":"incorrect username or password"}')
        body = json.dumps({"token": self.TOKEN, "expires_in": 300}).encode()
        self._reply(h, 200, [("Content-Type", "application/json")], body)

    def handle(self, h):
        if self.bearer is not None and h.path.startswith("/token"):
            return self._token(h)
        if self.bearer is not None and h.headers.get("Authorization") != "Bearer " + self.TOKEN:
            challenge = 'Bearer realm="http://%s/token",service="berth-test"' % self.addr
            body = (b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required",'
                    b'"detail":null}]}')
            return self._reply(h, 401, [("WWW-Authenticate", challenge),
                                        ("Content-Type", "application/json")], body)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in ("authorization", "connection", "content-length")}
        if h.command == "PATCH":
            self.patches.append(headers.get("Content-Range"))
        cut = h.command == "PATCH" and self.cut_patch and body and len(body) > 1 and (
            self.cut_patch == "half" or len(self.patches) == self.cut_patch)
        if cut and self.cut_patch != "half":
            self.cut_patch = False
            return self._reply(h, 500, [("Content-Type", "application/json")],
                               b'{"errors":[{"code":"UNKNOWN","message":"cut by the test"}]}')
        if cut:
            self.cut_patch = False
            start = int((headers.get("Content-Range") or "0-").split("-")[0])
            body = body[:len(body) // 2]
            headers["Content-Range"] = "%d-%d" % (start, start + len(body) - 1)
        c = http.client.HTTPConnection(self.upstream, timeout=60)
        c.request(h.command, h.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        if cut:  # the registry has half: the client hears of a failure
            return self._reply(h, 500, [("Content-Type", "application/json")],
                               b'{"errors":[{"code":"UNKNOWN","message":"cut by the test"}]}')
        is_blob = h.command == "GET" and "/blobs/sha256:" in h.path and r.status == 200
        if is_blob:
            self.blob_gets += 1
        if is_blob and self.tamper and data:
            data = bytes([data[0] ^ 1]) + data[1:]
        out = [(k, v) for k, v in r.getheaders()
               if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        if not (is_blob and self.slow):
            return self._reply(h, r.status, out, data)
        h.send_response(r.status)
        for k, v in out:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            for i in range(0, len(data), 65536):
                h.wfile.write(data[i:i + 65536])
                h.wfile.flush()
                time.sleep(self.slow)
        except OSError:
            pass


def layer_tar(files):
    """A layer tarball from {name: bytes or None (a directory)}; deterministic."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.mtime = 1000000000
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.mode, ti.size = 0o644, len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def docker_archive(layers, tag, cmd=("sh",)):
    """A docker-archive (docker save's format) of one image made of the given layer tars;
    returns (archive bytes, image ID, diff IDs)."""
    diff_ids = ["sha256:" + hashlib.sha256(data).hexdigest() for data in layers]
    config = {
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": list(cmd), "Env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "layer %d" % i}
                    for i in range(len(layers))],
    }
    raw = json.dumps(config, separators=(",", ":")).encode()
    image_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    paths = ["%s/layer.tar" % d[7:] for d in diff_ids]
    manifest = [{"Config": image_id[7:] + ".json", "RepoTags": [tag], "Layers": paths}]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), 1000000000, 0o644
            t.addfile(ti, io.BytesIO(data))
        for p, data in zip(paths, layers):
            add(p, data)
        add(image_id[7:] + ".json", raw)
        add("manifest.json", json.dumps(manifest).encode())
    return buf.getvalue(), image_id, diff_ids


def progress_lines(stdout):
    """The "id: status" lines the CLI prints when not on a terminal."""
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def push_blob(addr, repo, data):
    """A monolithic upload (POST, then PUT ?digest=); returns the digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    c = http.client.HTTPConnection(addr, timeout=30)
    c.request("POST", "/v2/%s/blobs/uploads/" % repo, body=b"")
    r = c.getresponse()
    r.read()
    assert r.status == 202, r.status
    loc = r.getheader("Location")
    if loc.startswith("http"):
        loc = "/" + loc.split("/", 3)[3]
    c.request("PUT", "%s%sdigest=%s" % (loc, "&" if "?" in loc else "?", digest), body=data,
              headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse()
    r.read()
    assert r.status == 201, r.status
    c.close()
    return digest


def put_manifest(addr, repo, ref, media_type, doc):
    """PUT a manifest (a dict, serialised here); returns (bytes, digest)."""
    body = json.dumps(doc).encode()
    c = http.client.HTTPConnection(addr, timeout=30)
    c.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), body=body,
              headers={"Content-Type": media_type})
    r = c.getresponse()
    data = r.read()
    assert r.status == 201, (r.status, data)
    c.close()
    return body, "sha256:" + hashlib.sha256(body).hexdigest()
