"""Restart policies through the daemon (docker CLI): dockerd's back-off, `docker ps` while
restarting, stop ending a restart loop, `docker update --restart`, policy checks, and what a
daemon start does (always, unless-stopped after a manual stop, a container that died while
the daemon was down, on-failure's count)."""

import json
import os
import signal
import time

import pytest

from test_daemon_common import busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-restart"))


def insp(d, name):
    return d.get_json("/containers/%s/json" % name)


def poll(fn, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("condition not met in %ds" % timeout)


def test_backoff_and_stop(d):
    d.docker("run", "-d", "--name", "loop", "--restart", "always", "busybox", "sh", "-c",
             "exit 1")
    # 100 ms doubling: the fifth restart is due 3.1 s after the first exit at the earliest
    t0 = time.time()
    poll(lambda: insp(d, "loop")["RestartCount"] >= 3)
    assert time.time() - t0 >= 0.6  # 0.1 + 0.2 + 0.4 at least
    time.sleep(0.5)
    assert insp(d, "loop")["RestartCount"] <= 5
    # between its runs it is restarting, never seen exited (dockerd's SetRestarting)
    seen = {insp(d, "loop")["State"]["Status"] for _ in range(40)}
    assert seen <= {"running", "restarting"}, seen
    st = poll(lambda: insp(d, "loop")["State"]["Restarting"] and insp(d, "loop")["State"])
    assert st["Status"] == "restarting" and st["ExitCode"] == 1
    ps = poll(lambda: [line for line in d.docker("ps", "--format", "{{.Names}} {{.Status}}")
                       .stdout.splitlines() if "Restarting (1)" in line])
    assert ps[0].startswith("loop Restarting (1) ")
    d.docker("stop", "loop")
    n = insp(d, "loop")["RestartCount"]
    time.sleep(1.5)
    j = insp(d, "loop")
    assert j["RestartCount"] == n and j["State"]["Status"] == "exited"
    # a start by hand begins a new series
    d.docker("update", "--restart", "no", "loop")
    d.docker("start", "loop")
    poll(lambda: insp(d, "loop")["State"]["Status"] == "exited")
    assert insp(d, "loop")["RestartCount"] == 0
    d.docker("rm", "loop")


def test_update_restart_policy(d):
    d.docker("run", "-d", "--name", "upd", "busybox", "sh", "-c", "sleep 0.3; exit 2")
    d.docker("update", "--restart", "on-failure:2", "upd")
    assert insp(d, "upd")["HostConfig"]["RestartPolicy"] == {"Name": "on-failure",
                                                              "MaximumRetryCount": 2}
    poll(lambda: insp(d, "upd")["RestartCount"] == 2)
    j = poll(lambda: insp(d, "upd")["State"]["Status"] == "exited" and insp(d, "upd"))
    time.sleep(1)
    assert insp(d, "upd")["RestartCount"] == 2 and j["State"]["ExitCode"] == 2
    p = d.docker("update", "--restart", "bogus", "upd", check=False)
    assert p.returncode == 1 and "invalid restart policy: unknown policy 'bogus'" in p.stderr
    assert insp(d, "upd")["HostConfig"]["RestartPolicy"]["Name"] == "on-failure"
    d.docker("rm", "upd")


@pytest.mark.parametrize("hc,msg", [
    ({"RestartPolicy": {"Name": "sometimes"}}, "invalid restart policy: unknown policy 'sometimes'"),
    ({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}},
     "maximum retry count can only be used with 'on-failure'"),
    ({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -1}},
     "maximum retry count cannot be negative"),
    ({"RestartPolicy": {"Name": "always"}, "AutoRemove": True},
     "can't create 'AutoRemove' container with restart policy"),
])
def test_bad_policies(d, hc, msg):
    before = d.docker("ps", "-aq").stdout
    r = d.request("POST", "/v1.45/containers/create",
                  body=json.dumps({"Image": "busybox", "Cmd": ["true"], "HostConfig": hc}),
                  headers={"Content-Type": "application/json"})
    assert r.status == 400 and msg in r.message
    assert d.docker("ps", "-aq").stdout == before


def test_policies_at_daemon_start(d):
    d.docker("run", "-d", "--name", "alw", "--restart", "always", "busybox", "sleep", "100")
    d.docker("run", "-d", "--name", "uls", "--restart", "unless-stopped", "busybox",
             "sleep", "100")
    d.docker("run", "-d", "--name", "uls2", "--restart", "unless-stopped", "busybox",
             "sleep", "100")
    d.docker("run", "-d", "--name", "onf", "--restart", "on-failure:1", "busybox", "sh", "-c",
             "exit 3")
    d.docker("run", "-d", "--name", "nop", "busybox", "sleep", "100")
    d.docker("run", "-d", "--name", "flap", "--restart", "always", "busybox", "sh", "-c",
             "sleep 0.2; exit 1")
    poll(lambda: insp(d, "onf")["RestartCount"] == 1 and
         insp(d, "onf")["State"]["Status"] == "exited")
    d.docker("stop", "-t", "0", "alw", "uls")
    poll(lambda: insp(d, "flap")["State"]["Restarting"])  # killed while it waits
    pid = insp(d, "uls2")["State"]["Pid"]
    nop = insp(d, "nop")["State"]["Pid"]
    d.stop(signal.SIGKILL)
    # while the daemon is down the containers' processes die
    os.kill(pid, signal.SIGKILL)
    os.kill(nop, signal.SIGKILL)
    poll(lambda: not os.path.exists("/proc/%d" % pid) and not os.path.exists("/proc/%d" % nop))
    d.start("-D")
    # always: up again although stopped by hand; unless-stopped: only the one that died
    poll(lambda: insp(d, "alw")["State"]["Running"])
    poll(lambda: insp(d, "uls2")["State"]["Running"])
    assert insp(d, "uls2")["RestartCount"] == 1
    assert insp(d, "alw")["RestartCount"] == 0
    time.sleep(0.5)
    assert insp(d, "uls")["State"]["Status"] == "exited"
    j = insp(d, "nop")
    assert j["State"]["Status"] == "exited" and j["State"]["ExitCode"] == 137
    j = insp(d, "onf")
    assert j["State"]["Status"] == "exited" and j["RestartCount"] == 1
    assert "_ManuallyStopped" not in insp(d, "uls")
    # the restart the killed daemon owed is made, and the policy goes on
    poll(lambda: insp(d, "flap")["State"]["Running"])
    d.docker("rm", "-f", "alw", "uls", "uls2", "onf", "nop", "flap")
