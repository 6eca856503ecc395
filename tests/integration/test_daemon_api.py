"""The daemon's HTTP layer (engine-api.md §0, §1, §5): ping, version, info, version
prefixes, errors, keep-alive, concurrent and long-held connections, chunked request bodies,
hijacking, events; and the docker CLI's `version` and `info` on top."""

import json
import os
import re
import socket
import threading
import time
from urllib.parse import quote

from test_daemon_common import daemon, rootfs_tar  # noqa: F401 (fixture)

STD_HEADERS = {"Api-Version": "1.45", "Docker-Experimental": "false", "Ostype": "linux"}


def check_std_headers(r):
    for k, v in STD_HEADERS.items():
        assert r.headers.get(k) == v, (k, dict(r.headers))
    assert r.headers.get("Server")


def test_ping_get_and_head(daemon):
    for path in ("/_ping", "/v1.41/_ping", "/v1.45/_ping"):
        r = daemon.request("GET", path)
        assert r.status == 200 and r.data == b"OK"
        check_std_headers(r)
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
        assert r.headers["Pragma"] == "no-cache"
        assert r.headers["Swarm"] == "inactive"
    r = daemon.request("HEAD", "/_ping")
    assert r.status == 200 and r.data == b""
    assert r.headers["Content-Length"] == "0"
    check_std_headers(r)


def test_version(daemon):
    v = daemon.get_json("/version")
    assert v["ApiVersion"] == "1.45" and v["MinAPIVersion"] == "1.24"
    for k in ("Version", "GitCommit", "GoVersion", "Os", "Arch", "KernelVersion", "BuildTime",
              "Platform", "Components"):
        assert k in v, k
    assert v["Os"] == "linux" and v["Components"][0]["Name"] == "Engine"
    assert v["KernelVersion"] == os.uname().release
    assert daemon.get_json("/v1.41/version")["ApiVersion"] == "1.45"


def test_info(daemon):
    before = daemon.get_json("/info")["Images"]
    daemon.import_ok(rootfs_tar("info"), repo="infotest")
    info = daemon.get_json("/v1.41/info")
    assert info["Images"] == before + 1
    assert info["Containers"] == 0 and info["ContainersRunning"] == 0
    assert info["Driver"] == "overlay2" and info["OSType"] == "linux"
    assert info["Swarm"]["LocalNodeState"] == "inactive"
    assert info["NCPU"] == os.cpu_count() and info["MemTotal"] > 0
    assert info["CgroupVersion"] in ("1", "2")
    assert info["DockerRootDir"] == os.path.realpath(daemon.root)
    assert info["Architecture"] == os.uname().machine
    assert info["KernelVersion"] == os.uname().release
    assert "runc" in info["Runtimes"] and info["DefaultRuntime"] == "runc"
    assert isinstance(info["Warnings"], list) and info["ID"]
    for k in ("DriverStatus", "Plugins", "MemoryLimit", "SwapLimit", "CpuCfsPeriod",
              "IPv4Forwarding", "NFd", "NGoroutines", "SystemTime", "LoggingDriver",
              "CgroupDriver", "NEventsListener", "OperatingSystem", "IndexServerAddress",
              "RegistryConfig", "Name", "Labels", "ServerVersion", "LiveRestoreEnabled",
              "SecurityOptions", "ContainerdCommit", "RuncCommit", "InitCommit"):
        assert k in info, k


def test_version_prefixes(daemon):
    r = daemon.request("GET", "/v1.99/info")
    assert r.status == 400
    assert r.message == "client version 1.99 is too new. Maximum supported API version is 1.45"
    r = daemon.request("GET", "/v1.11/info")
    assert r.status == 400
    assert r.message == ("client version 1.11 is too old. Minimum supported API version is "
                         "1.24, please upgrade your client to a newer version")
    for v in ("1.24", "1.41", "1.45"):
        assert daemon.request("GET", "/v%s/info" % v).status == 200


def test_errors_are_json_and_unknown_routes_404(daemon):
    for method, path in (("GET", "/nope"), ("GET", "/v1.45/nope"), ("PUT", "/images/json"),
                         ("GET", "/images/create"), ("POST", "/_ping"), ("GET", "/images")):
        r = daemon.request(method, path)
        assert r.status == 404, (method, path)
        assert r.headers["Content-Type"] == "application/json"
        assert r.json() == {"message": "page not found"}
        check_std_headers(r)
    r = daemon.request("GET", "/images/nosuchimage:9/json")
    assert r.status == 404 and r.headers["Content-Type"] == "application/json"
    assert "No such image: nosuchimage:9" in r.message
    # the hijack test route exists only on --debug daemons; this one is
    assert daemon.request("GET", "/_berth/echo").status == 404


def test_keep_alive(daemon):
    c = daemon.connect()
    try:
        daemon.request("GET", "/_ping", conn=c)
        first = c.sock
        for path in ("/version", "/info", "/images/json", "/nope", "/_ping") * 4:
            daemon.request("GET", path, conn=c)
            assert c.sock is first, "the server closed a keep-alive connection"
    finally:
        c.close()


def test_concurrent_connections_and_events(daemon):
    """An events stream stays open (headers at once) while other clients come and go."""
    image_id = daemon.import_ok(rootfs_tar("events"))
    c = daemon.connect()
    c.request("GET", "/events?filters=" + quote(json.dumps({"type": ["image"]})))
    r = c.getresponse()  # headers arrive before any event
    assert r.status == 200 and r.headers["Transfer-Encoding"] == "chunked"
    assert daemon.get_json("/info")["NEventsListener"] >= 1
    errors = []

    def worker():
        try:
            for _ in range(10):
                assert daemon.request("GET", "/info").status == 200
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert daemon.request("POST", "/images/%s/tag?repo=evtest&tag=1" % image_id).status == 201
    ev = json.loads(r.fp.readline() and r.fp.readline())  # chunk size line, then the event
    assert ev["Type"] == "image" and ev["Action"] == "tag" and ev["status"] == "tag"
    assert ev["Actor"]["ID"] == image_id and ev["id"] == image_id
    assert ev["Actor"]["Attributes"]["name"] == "evtest:1" and ev["scope"] == "local"
    assert abs(ev["time"] - time.time()) < 60 and ev["timeNano"] // 10**9 == ev["time"]
    c.close()
    deadline = time.time() + 5  # the daemon notices the client left
    while daemon.get_json("/info")["NEventsListener"] and time.time() < deadline:
        time.sleep(0.1)
    assert daemon.get_json("/info")["NEventsListener"] == 0


def test_events_replay_until(daemon):
    t0 = time.time()
    image_id = daemon.import_ok(rootfs_tar("replay"), repo="replay")
    r = daemon.request("GET", "/events?since=%.9f&until=%d" % (t0 - 1, int(time.time()) + 1))
    assert r.status == 200
    events = [json.loads(line) for line in r.data.decode().splitlines()]
    acts = [(e["Action"], e["Actor"]["Attributes"].get("name")) for e in events
            if e["Actor"]["ID"] == image_id]
    assert acts == [("tag", "replay:latest"), ("import", image_id)]
    r = daemon.request("GET", "/events?filters=" + quote('{"bogus":["x"]}'))
    assert r.status == 400 and r.message == "Invalid filter 'bogus'"


def test_chunked_request_body(daemon):
    data = rootfs_tar("chunked")
    r = daemon.import_tar(data, repo="chunked", chunked=True)
    assert r.status == 200 and r.headers["Transfer-Encoding"] == "chunked"
    assert r.headers["Content-Type"] == "application/json"
    assert r.data.endswith(b"\r\n")
    image_id = json.loads(r.data.decode().splitlines()[-1])["status"]
    assert daemon.get_json("/images/chunked/json")["Id"] == image_id


def test_hijack_upgrade(daemon):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(str(daemon.sock))
    s.sendall(b"POST /v1.45/_berth/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
              b"Upgrade: tcp\r\nContent-Length: 0\r\n\r\nearly bytes|")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    head, rest = head.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 101 ")
    hdrs = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    assert hdrs["upgrade"] == "tcp" and hdrs["connection"].lower() == "upgrade"
    assert hdrs["content-type"] == "application/vnd.docker.raw-stream"
    assert "content-length" not in hdrs and "transfer-encoding" not in hdrs
    got = rest
    while len(got) < len(b"early bytes|"):
        got += s.recv(4096)
    assert got == b"early bytes|"  # bytes past the request head are the session's
    s.sendall(b"ping")
    assert s.recv(4096) == b"ping"
    s.shutdown(socket.SHUT_WR)  # half-close: the session ends, the socket closes
    assert s.recv(4096) == b""
    s.close()
    assert daemon.request("GET", "/_ping").status == 200


def test_content_type_of_streams_and_errors(daemon):
    r = daemon.import_tar(b"definitely not a tar archive, just text" * 20)
    assert r.status == 400 and r.headers["Content-Type"] == "application/json"
    assert r.message.startswith("invalid tar archive")


def test_docker_cli_version_and_info(daemon):
    p = daemon.docker("version")
    assert re.search(r"API version:\s+1\.45 \(minimum version 1\.24\)", p.stdout), p.stdout
    assert "Server:" in p.stdout and "Engine:" in p.stdout
    p = daemon.docker("info")
    for s in ("Storage Driver: overlay2", "Swarm: inactive", "Cgroup Driver: cgroupfs",
              "Docker Root Dir: %s" % os.path.realpath(daemon.root), "Default Runtime: runc"):
        assert s in p.stdout, s
    assert "ERROR" not in p.stderr.upper() or "WARNING" in p.stderr
