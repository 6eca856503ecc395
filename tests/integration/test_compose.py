"""docker-compose (Debian's, on docker-py) against berth: a two-service project (busybox httpd
with a named volume; a client fetching from it by service name) brought up, listed, its logs
read and taken down with its volume, leaving nothing behind."""

import json
import os
import shutil
import subprocess
import time

import pytest

import helpers
from test_daemon_common import Daemon, import_busybox

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

COMPOSE = shutil.which("docker-compose")
PROJECT_DIR = helpers.TOP / "tests" / "integration" / "compose"


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-compose")
    dm = Daemon(base)
    dm.start()
    import_busybox(dm, base)
    yield dm
    assert dm.stop() == 0, dm.log()
    with open("/proc/self/mountinfo") as f:
        assert [line for line in f if str(base) in line] == []


def missing_engine_parts(d):
    """What the project needs from the daemon that it does not serve yet."""
    missing = []
    if d.request("GET", "/v1.41/networks").status == 404:
        missing.append("user-defined networks with DNS (/networks)")
    if d.request("GET", "/v1.41/volumes").status == 404:
        missing.append("named volumes (/volumes)")
    return missing


def compose(d, *args, check=True, timeout=120):
    env = d.env()
    env.pop("BERTH_HOST", None)
    env["COMPOSE_PROJECT_NAME"] = "berthcompose"
    p = subprocess.run([COMPOSE, "-f", str(PROJECT_DIR / "docker-compose.yml"), *args],
                       capture_output=True, text=True, env=env, timeout=timeout)
    if check:
        assert p.returncode == 0, "docker-compose %s: exit %d\n%s\n%s\n%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr, d.log()[-3000:])
    return p


@pytest.mark.skipif(not COMPOSE, reason="docker-compose is not installed (scripts/install-deps)")
def test_compose_two_services(d):
    missing = missing_engine_parts(d)
    if missing:
        pytest.skip("the daemon does not serve " + " and ".join(missing) + " yet")
    net_id = "no network made"
    try:
        compose(d, "up", "-d")
        ps = compose(d, "ps").stdout
        assert "berthcompose_web_1" in ps and "berthcompose_client_1" in ps
        # the client fetches by service name, then exits 0
        deadline = time.time() + 60
        state = {}
        while time.time() < deadline:
            state = json.loads(d.docker("inspect", "berthcompose_client_1").stdout)[0]["State"]
            if not state["Running"]:
                break
            time.sleep(0.2)
        logs = compose(d, "logs", "client").stdout
        assert state.get("ExitCode") == 0, logs + compose(d, "logs", "web").stdout
        assert "hello-from-the-volume" in logs
        assert "Up" in compose(d, "ps", "web").stdout
        vols = d.docker("volume", "ls", "-q").stdout.split()
        assert "berthcompose_webdata" in vols
        nets = d.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        assert "berthcompose_default" in nets
        net_id = d.docker("network", "inspect", "-f", "{{.Id}}",
                          "berthcompose_default").stdout.strip()
    finally:
        compose(d, "down", "-v", "--timeout", "1", check=False)
    assert d.docker("ps", "-aq").stdout == ""
    assert "berthcompose_webdata" not in d.docker("volume", "ls", "-q").stdout
    assert "berthcompose_default" not in d.docker("network", "ls", "--format",
                                                  "{{.Name}}").stdout
    assert compose(d, "ps", "-q").stdout.strip() == ""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert net_id[:12] not in links, "the project's bridge is still there"
