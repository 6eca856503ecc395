"""What the container's process gets from run flags, checked where the kernel shows it:
--init (docker-init as pid 1, zombies reaped), --stop-signal/--stop-timeout, --cpu-shares,
--cpuset-cpus, -m/--memory-swap (cgroup files, also after `docker update`)."""

import json
import os
import socket
import time
from pathlib import Path

import pytest

from test_daemon_common import busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-proc"))


def cgroup_file(controller, cid, name):
    """The container's cgroup file on a v1/hybrid host, or None on a v2 host."""
    p = Path("/sys/fs/cgroup") / controller / "berth" / cid / name
    return p if p.exists() else None


def test_init_is_pid_1_and_reaps(d):
    p = d.docker("run", "--rm", "--init", "busybox", "sh", "-c",
                 "cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                 # an orphan whose parent exits: init must reap it
                 "sh -c 'sleep 0.2 & exit 0'; sleep 0.6; ps -o stat,comm | grep -c '^Z' || true")
    lines = p.stdout.splitlines()
    assert lines[0].startswith("/sbin/docker-init -- sh -c ")
    assert lines[-1] == "0"
    p = d.docker("run", "--rm", "--init", "busybox", "sh", "-c", "exit 6", check=False)
    assert p.returncode == 6
    j = d.docker("create", "--init", "busybox", "true").stdout.strip()
    assert d.get_json("/containers/%s/json" % j)["HostConfig"]["Init"] is True
    d.docker("rm", j)


def test_stop_signal_and_timeout(d):
    d.docker("run", "-d", "--name", "sig", "--stop-signal", "USR1", "busybox", "sh", "-c",
             "trap 'echo got usr1; exit 5' USR1; while :; do sleep 0.1; done")
    time.sleep(0.3)
    d.docker("stop", "sig")
    assert d.docker("logs", "sig").stdout == "got usr1\n"
    assert d.get_json("/containers/sig/json")["State"]["ExitCode"] == 5
    d.docker("run", "-d", "--name", "deaf", "--stop-timeout", "1", "busybox", "sh", "-c",
             "trap '' TERM; while :; do sleep 0.1; done")
    time.sleep(0.3)
    t0 = time.time()
    d.docker("stop", "deaf")
    took = time.time() - t0
    assert 0.9 <= took < 8
    j = d.get_json("/containers/deaf/json")
    assert j["State"]["ExitCode"] == 137 and j["Config"]["StopTimeout"] == 1
    d.docker("rm", "sig", "deaf")


def test_cpu_and_memory_limits(d):
    cid = d.docker("run", "-d", "--cpu-shares", "512", "--cpuset-cpus", "0", "-m", "32m",
                   "--memory-swap", "64m", "busybox", "sleep", "100").stdout.strip()
    try:
        hc = d.get_json("/containers/%s/json" % cid)["HostConfig"]
        assert (hc["CpuShares"], hc["CpusetCpus"], hc["Memory"], hc["MemorySwap"]) == \
            (512, "0", 32 << 20, 64 << 20)
        p = d.docker("exec", cid, "grep", "Cpus_allowed_list", "/proc/self/status")
        assert p.stdout.split()[-1] == "0"
        if cgroup_file("cpu", cid, "cpu.shares"):
            assert cgroup_file("cpu", cid, "cpu.shares").read_text().strip() == "512"
            assert cgroup_file("cpuset", cid, "cpuset.cpus").read_text().strip() == "0"
            assert int(cgroup_file("memory", cid, "memory.limit_in_bytes").read_text()) == 32 << 20
            sw = cgroup_file("memory", cid, "memory.memsw.limit_in_bytes")
            if sw:
                assert int(sw.read_text()) == 64 << 20
            d.docker("update", "--cpu-shares", "256", "--memory-swap", "128m", cid)
            assert cgroup_file("cpu", cid, "cpu.shares").read_text().strip() == "256"
            if sw:
                assert int(sw.read_text()) == 128 << 20
    finally:
        d.docker("rm", "-f", cid)
    p = d.docker("run", "--rm", "--memory-swap", "10m", "busybox", "true", check=False)
    assert p.returncode == 125 and "always set the Memory limit" in p.stderr
    p = d.docker("run", "--rm", "-m", "20m", "--memory-swap", "10m", "busybox", "true",
                 check=False)
    assert p.returncode == 125 and "memoryswap limit should be larger" in p.stderr


def test_exec_body_keys_any_case_and_attach_logs_after_start(d):
    cid = d.docker("run", "-d", "busybox", "sleep", "100").stdout.strip()
    try:
        # Go's JSON decoding ignores case: docker-py sends "detachKeys"
        r = d.request("POST", "/containers/%s/exec" % cid,
                      body=json.dumps({"cmd": ["true"], "detachKeys": "ctrl-x",
                                       "attachstdout": True}),
                      headers={"Content-Type": "application/json"})
        assert r.status == 201, r.data
        x = d.get_json("/exec/%s/json" % r.json()["Id"])
        assert x["DetachKeys"] == "ctrl-x" and x["OpenStdout"] is True
    finally:
        d.docker("rm", "-f", cid)
    # attach(logs, no stream) right after a start sees the short-lived process's output
    for _ in range(5):
        cid = d.docker("create", "busybox", "echo", "hello").stdout.strip()
        d.docker("start", cid)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(str(d.sock))
        s.sendall(b"POST /containers/%s/attach?logs=1&stream=0&stdout=1 HTTP/1.1\r\n"
                  b"Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" % cid.encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.endswith(b"\x01\0\0\0\0\0\0\x06hello\n"), data
        d.docker("rm", "-f", cid)
