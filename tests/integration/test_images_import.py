"""docker import from a URL (the daemon fetches it with libcurl): a local HTTP server on
127.0.0.1 serves the archive; the image runs; progress lines come as dockerd sends them; an
HTTP error or a non-tar download is an error and leaves nothing in the store."""

import http.server
import json
import os
import subprocess
import threading
import urllib.parse

import pytest

import helpers
from test_daemon_common import Daemon


class Server:
    def __init__(self, files):
        files = dict(files)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                cut = None
                if isinstance(body, tuple):  # (body, n): only n bytes are sent
                    body, cut = body
                self.send_response(200)
                self.send_header("Content-Type", "application/x-tar")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:cut])
                self.close_connection = True

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-importurl")
    tar = base / "rootfs.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkrootfs"), "--tar", str(tar)], check=True,
                   capture_output=True, timeout=120)
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name in ("a", "b"):
            ti = tarfile.TarInfo(name)
            ti.size = 1 << 20
            t.addfile(ti, io.BytesIO(b"x" * ti.size))
    two = buf.getvalue()
    srv = Server({"/rootfs.tar": tar.read_bytes(), "/junk.tar": b"not a tar archive" * 100,
                  # cut right after the first file: what arrived is a tar missing its end
                  "/cut.tar": (two, 512 + (1 << 20))})
    tar.unlink()
    dm = Daemon(base)
    dm.start("-D")
    yield dm, srv
    srv.close()
    rc = dm.stop()
    assert rc == 0, dm.log()


def test_import_url_runs(env):
    d, srv = env
    p = d.docker("import", "-c", 'CMD ["sh"]', "-c",
                 "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "-m", "from the web", srv.url("/rootfs.tar"), "webimg:1")
    new = p.stdout.strip().splitlines()[-1]
    assert new.startswith("sha256:")
    assert d.docker("run", "--rm", "webimg:1", "echo", "ok").stdout == "ok\n"
    img = d.get_json("/images/webimg:1/json")
    assert img["Id"] == new and img["Comment"] == "from the web"
    d.docker("rmi", "webimg:1")


def test_import_url_progress_stream(env):
    d, srv = env
    url = srv.url("/rootfs.tar")
    q = urllib.parse.urlencode({"fromSrc": url, "repo": "webimg", "tag": "2"})
    r = d.request("POST", "/v1.41/images/create?" + q)
    assert r.status == 200 and r.headers["Transfer-Encoding"] == "chunked"
    msgs = [json.loads(ln) for ln in r.data.decode().splitlines() if ln.strip()]
    assert msgs[0] == {"status": "Downloading from %s" % url}
    bars = [m for m in msgs if m.get("status") == "Importing"]
    assert bars and bars[-1]["progressDetail"]["current"] == bars[-1]["progressDetail"]["total"]
    assert msgs[-1]["status"] == d.get_json("/images/webimg:2/json")["Id"]
    img = d.get_json("/images/webimg:2/json")
    assert img["Comment"] == "Imported from %s" % url
    # no scheme: http:// is assumed
    q = urllib.parse.urlencode({"fromSrc": url[len("http://"):]})
    r = d.request("POST", "/images/create?" + q)
    other = json.loads(r.data.decode().splitlines()[-1])["status"]
    assert d.get_json("/images/%s/json" % other)["RootFS"] == img["RootFS"]
    d.docker("rmi", "webimg:2", other)


def test_import_url_errors_leave_nothing(env):
    d, srv = env
    before = d.docker("images", "-aq").stdout
    layers = sorted(os.listdir(d.root / "image" / "layers"))
    p = d.docker("import", srv.url("/missing.tar"), "bad:1", check=False)
    assert p.returncode != 0 and "404" in p.stderr
    p = d.docker("import", srv.url("/junk.tar"), "bad:2", check=False)
    assert p.returncode != 0 and "tar" in p.stderr
    p = d.docker("import", srv.url("/cut.tar"), "bad:3", check=False)
    assert p.returncode != 0, p.stdout
    r = d.request("POST", "/images/create?fromSrc=" + urllib.parse.quote("ftp://x/y.tar"))
    assert r.status == 400 or "only http" in r.data.decode()
    assert d.docker("images", "-aq").stdout == before
    assert sorted(os.listdir(d.root / "image" / "layers")) == layers
