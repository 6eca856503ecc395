"""Clients that vanish mid-stream (attach, logs -f, events, stats, exec attach, a killed docker
CLI) leave the daemon and the container unharmed: the container keeps running and logging,
the daemon answers, and its threads and descriptors go back to what they were."""

import os
import signal
import socket
import struct
import subprocess
import time

import pytest

from test_daemon_common import DOCKER, busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-disc"))


@pytest.fixture(scope="module")
def chatty(d):
    cid = d.docker("run", "-d", "--name", "chatty", "busybox", "sh", "-c",
                   "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.02; done").stdout.strip()
    yield cid
    d.docker("rm", "-f", cid)


def usage(d):
    pid = d.proc.pid
    return len(os.listdir("/proc/%d/fd" % pid)), len(os.listdir("/proc/%d/task" % pid))


def settle(d, base, timeout=15):
    """Waits until the daemon's fds and threads are back at base (or below)."""
    deadline = time.time() + timeout
    now = usage(d)
    while time.time() < deadline:
        now = usage(d)
        if now[0] <= base[0] and now[1] <= base[1]:
            return
        time.sleep(0.1)
    raise AssertionError("daemon fds/threads %s, were %s" % (now, base))


def raw(d, request, want=64):
    """Sends request on a fresh connection, reads at least want bytes, then resets it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(str(d.sock))
    s.sendall(request.encode())
    got = b""
    while len(got) < want:
        chunk = s.recv(4096)
        assert chunk, got
        got += chunk
    # an abortive close: the daemon sees the connection reset, not a tidy FIN
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return got


def healthy(d, cid):
    assert d.request("GET", "/_ping").status == 200
    st = d.get_json("/containers/%s/json" % cid)["State"]
    assert st["Running"] and st["Status"] == "running"
    n1 = len(d.docker("logs", cid).stdout.splitlines())
    time.sleep(0.3)
    assert len(d.docker("logs", cid).stdout.splitlines()) > n1  # still producing, still logged


@pytest.mark.parametrize("kind", ["attach", "logs", "events", "stats", "exec"])
def test_client_gone_mid_stream(d, chatty, kind):
    base = usage(d)
    for _ in range(3):
        if kind == "attach":
            got = raw(d, "POST /containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"
                         "Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                         "Content-Length: 0\r\n\r\n" % chatty, want=400)
            assert b"HTTP/1.1 101 " in got and b"line " in got
        elif kind == "logs":
            got = raw(d, "GET /containers/%s/logs?follow=1&stdout=1&tail=2 HTTP/1.1\r\n"
                         "Host: x\r\n\r\n" % chatty, want=300)
            assert b"200 OK" in got and b"line " in got
        elif kind == "events":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(str(d.sock))
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in s.recv(4096)
            d.docker("pause", chatty)
            d.docker("unpause", chatty)
            got = s.recv(4096)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        elif kind == "stats":
            got = raw(d, "GET /containers/%s/stats?stream=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      % chatty, want=600)
            assert b"200 OK" in got and b"cpu_stats" in got
        else:
            r = d.request("POST", "/containers/%s/exec" % chatty,
                          body='{"Cmd":["sh","-c","while :; do echo e; sleep 0.01; done"],'
                               '"AttachStdout":true}',
                          headers={"Content-Type": "application/json"})
            xid = r.json()["Id"]
            got = raw(d, "POST /exec/%s/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                         "Upgrade: tcp\r\nContent-Type: application/json\r\n"
                         "Content-Length: 16\r\n\r\n{\"Detach\":false}" % xid, want=300)
            assert b"HTTP/1.1 101 " in got and b"e\n" in got
            # the exec's process is not the daemon's business to kill: end it by hand
            os.kill(d.get_json("/exec/%s/json" % xid)["Pid"], signal.SIGKILL)
        healthy(d, chatty)
    settle(d, base)


def test_killed_cli_mid_follow(d, chatty):
    base = usage(d)
    for args in (["logs", "-f", chatty], ["attach", chatty], ["stats", chatty],
                 ["events"]):
        p = subprocess.Popen([DOCKER, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=d.env())
        time.sleep(0.5)
        p.send_signal(signal.SIGKILL)
        p.wait()
        healthy(d, chatty)
    settle(d, base)
    # and the container still stops, with its logs whole
    d.docker("stop", "-t", "1", chatty)
    lines = d.docker("logs", chatty).stdout.splitlines()
    assert lines[:3] == ["line 1", "line 2", "line 3"]
    nums = [int(line.split()[1]) for line in lines]
    assert nums == list(range(1, len(nums) + 1))
    d.docker("start", chatty)
