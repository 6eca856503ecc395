"""`berth daemon` as a process: options and config file, socket mode and group, one daemon
per root and per socket, clean exit on SIGTERM/SIGINT, and recovery at start (images kept,
leftovers of interrupted imports removed)."""

import grp
import json
import os
import signal
import socket
import stat
import subprocess

import pytest

from test_daemon_common import BERTH, Daemon, rootfs_tar, sha256


@pytest.fixture
def make_daemon(tmp_path):
    made = []

    def make(name="d"):
        d = Daemon(tmp_path / name)
        made.append(d)
        return d

    yield make
    for d in made:  # never leave a daemon behind, whatever the test did
        if d.proc and d.proc.poll() is None:
            d.stop()


def test_socket_mode_group_and_pidfile(make_daemon):
    d = make_daemon().start()
    st = os.stat(d.sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
    try:
        want = grp.getgrnam("docker").gr_gid
    except KeyError:
        try:
            want = grp.getgrnam("berth").gr_gid
        except KeyError:
            want = 0
    assert st.st_gid == want
    pidfile = d.run / "berthd.pid"
    assert pidfile.read_text().strip() == str(d.proc.pid)
    assert (d.root / "berth.lock").read_text().strip() == str(d.proc.pid)
    assert d.stop() == 0
    assert not d.sock.exists() and not pidfile.exists()
    assert "daemon stopped" in d.log()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_exit_with_open_connections(make_daemon, sig):
    d = make_daemon().start("-D")
    d.import_ok(rootfs_tar("exit"), repo="exit")
    events = d.connect()
    events.request("GET", "/events")
    assert events.getresponse().status == 200
    idle = socket.socket(socket.AF_UNIX)
    idle.connect(str(d.sock))
    assert d.stop(sig, timeout=10) == 0
    assert not d.sock.exists()
    idle.close()
    events.close()


def test_second_daemon_on_same_root_refused(make_daemon):
    first = make_daemon("a").start()
    second = make_daemon("b")
    p = subprocess.run(second.argv()[:2] + ["-H", second.host, "--root", str(first.root),
                                           "--run-dir", str(second.run)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert ("another daemon (pid %d) is already using root directory" % first.proc.pid
            in p.stderr), p.stderr
    assert not second.sock.exists()
    assert (first.run / "berthd.pid").read_text().strip() == str(first.proc.pid)
    assert first.request("GET", "/_ping").status == 200


def test_second_daemon_on_same_socket_refused(make_daemon):
    first = make_daemon("a").start()
    second = make_daemon("b")
    argv = [str(BERTH), "daemon", "-H", first.host, "--root", str(second.root), "--run-dir",
            str(second.run)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert "another daemon is already listening on %s" % first.sock in p.stderr
    assert first.sock.exists() and first.request("GET", "/_ping").status == 200


def test_stale_socket_is_replaced(make_daemon):
    d = make_daemon()
    d.base.mkdir(parents=True, exist_ok=True)
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(d.sock))
    s.close()  # a socket file nobody listens on, as after a crash
    d.start()
    assert d.request("GET", "/_ping").status == 200


def test_config_file_and_options(make_daemon, tmp_path):
    d = make_daemon()
    cfg = tmp_path / "daemon.json"
    cfg.write_text(json.dumps({"hosts": [d.host], "data-root": str(d.root),
                               "exec-root": str(d.run), "pidfile": str(tmp_path / "p.pid"),
                               "debug": True}))
    d.start(argv=[str(BERTH), "daemon", "--config-file", str(cfg)])
    assert (tmp_path / "p.pid").read_text().strip() == str(d.proc.pid)
    assert d.get_json("/info")["Debug"] is True
    assert d.get_json("/info")["DockerRootDir"] == os.path.realpath(d.root)
    assert d.stop() == 0
    cfg.write_text(json.dumps({"hosts": [d.host], "bogus-key": 1}))
    p = subprocess.run([str(BERTH), "daemon", "--config-file", str(cfg)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1 and "unknown or mistyped configuration key 'bogus-key'" in p.stderr
    p = subprocess.run([str(BERTH), "daemon", "--no-such-flag"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1 and "unknown or incomplete option '--no-such-flag'" in p.stderr
    p = subprocess.run([str(BERTH), "daemon", "-H", "tcp://0.0.0.0:2375", "--root",
                        str(tmp_path / "r2"), "--run-dir", str(tmp_path / "x2")],
                       capture_output=True, text=True, timeout=30)
    # plain TCP: refused before anything is made (test_tls.py has TCP with TLS)
    assert p.returncode == 1 and "TCP needs TLS with client certificates" in p.stderr
    assert not (tmp_path / "r2").exists()
    p = subprocess.run([str(BERTH), "daemon", "-H", "ssh://h", "--root", str(tmp_path / "r3"),
                        "--run-dir", str(tmp_path / "x3")], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and "invalid host ssh://h: unix:///path or tcp://" in p.stderr
    assert not (tmp_path / "r3").exists()
    p = subprocess.run([str(BERTH), "daemon", "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "Usage: berth daemon" in p.stdout
    berthd = BERTH.parent / "berthd"
    if berthd.exists():
        p = subprocess.run([str(berthd), "--version"], capture_output=True, text=True)
        assert p.returncode == 0 and p.stdout.startswith("berth version ")


def test_restart_recovers(make_daemon):
    d = make_daemon().start()
    data = rootfs_tar("recover")
    image_id = d.import_ok(data, repo="keep", changes=["CMD [\"x\"]"])
    d.docker("tag", "keep", "keep:2")
    assert d.stop() == 0
    layers = d.root / "image" / "layers"
    # what interrupted operations leave: a partial import, a half-removed layer, a layer
    # whose image was never written, a temporary config file
    (layers / ".tmp-import-abc123" / "diff" / "bin").mkdir(parents=True)
    (layers / ".tmp-rm-deadbeef").mkdir()
    orphan = sha256(b"orphan")
    (layers / orphan[7:] / "diff").mkdir(parents=True)
    (layers / orphan[7:] / "layer.json").write_text(json.dumps(
        {"chain_id": orphan, "diff_id": orphan, "size": 0}))
    (layers / ("f" * 64)).mkdir()  # no layer.json: never completed
    (d.root / "image" / "configs" / ".tmp-x.json-123456").write_text("{")
    bad = d.root / "image" / "configs" / (("0" * 64) + ".json")
    bad.write_text('{"rootfs":{"type":"layers","diff_ids":[]}}')  # name is not its hash
    d.start()
    assert sorted(os.listdir(layers)) == [sha256(data)[7:]]
    # the damaged config is skipped (and kept for inspection), the temporary file removed
    assert sorted(os.listdir(d.root / "image" / "configs")) == sorted(
        [image_id[7:] + ".json", bad.name])
    info = d.get_json("/images/keep:2/json")
    assert info["Id"] == image_id and info["Config"]["Cmd"] == ["x"]
    assert sorted(info["RepoTags"]) == ["keep:2", "keep:latest"]
    assert "skipped" in d.log()
    assert len(d.get_json("/images/json")) == 1
