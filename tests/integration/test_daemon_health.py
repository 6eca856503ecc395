"""Health checks and OOM kills through the daemon, driven by the docker CLI: --health-* flags
and an image HEALTHCHECK, State.Health (status, streak, log of 5 with output and exit code),
`docker ps` status and health filter, health_status and oom events, timeouts, bad values."""

import json
import os
import time

import pytest

from test_daemon_common import BUSYBOX_PATH_ENV, busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


def hcimage(dm, tar):
    dm.docker("import", "-c", 'CMD ["sleep", "100"]', "-c", BUSYBOX_PATH_ENV, "-c",
              "HEALTHCHECK --interval=200ms --retries=1 CMD test -e /tmp/up && echo up",
              str(tar), "hcimage:latest")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-health"), more=hcimage)


def state(d, name):
    return d.get_json("/containers/%s/json" % name)["State"]


def poll(fn, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("condition not met in %ds" % timeout)


def health(d, name):
    return (state(d, name).get("Health") or {}).get("Status")


def events(d, name, *filters):
    until = "%.3f" % time.time()
    args = ["events", "--since", "0", "--until", until, "--filter", "container=" + name,
            "--format", "{{.Action}}"]
    for f in filters:
        args += ["--filter", f]
    return d.docker(*args).stdout.split("\n")


def test_health_flags_unhealthy_then_healthy(d):
    d.docker("run", "-d", "--name", "hc1", "--health-cmd", "echo probe; test -f /tmp/ok",
             "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep", "100")
    assert health(d, "hc1") == "starting"
    assert "(health: starting)" in d.docker("ps", "--format", "{{.Status}}").stdout
    poll(lambda: health(d, "hc1") == "unhealthy")
    h = state(d, "hc1")["Health"]
    assert h["FailingStreak"] >= 2
    last = h["Log"][-1]
    assert last["ExitCode"] == 1 and last["Output"] == "probe\n"
    assert last["Start"] <= last["End"] and not last["Start"].startswith("0001")
    assert "(unhealthy)" in d.docker("ps", "--format", "{{.Status}}").stdout
    d.docker("exec", "hc1", "touch", "/tmp/ok")
    poll(lambda: health(d, "hc1") == "healthy")
    h = poll(lambda: len(state(d, "hc1")["Health"]["Log"]) == 5 and state(d, "hc1")["Health"])
    assert h["FailingStreak"] == 0 and h["Log"][-1]["ExitCode"] == 0
    assert d.docker("ps", "-q", "--filter", "health=healthy").stdout.split() == \
        [d.docker("inspect", "-f", "{{.Id}}", "hc1").stdout.strip()[:12]]
    assert d.docker("ps", "-q", "--filter", "health=unhealthy").stdout == ""
    acts = events(d, "hc1", "event=health_status")
    assert "health_status: unhealthy" in acts and "health_status: healthy" in acts
    # the probe's exec, its whole command in the action as dockerd has it
    assert "exec_create: /bin/sh -c echo probe; test -f /tmp/ok" in \
        events(d, "hc1", "event=exec_create")
    # probes are execs (events as dockerd's) but do not pile up in ExecIDs: the touch and at
    # most the probe in flight
    ids = d.get_json("/containers/hc1/json")["ExecIDs"]
    assert 1 <= len(ids) <= 2
    d.docker("rm", "-f", "hc1")


def test_image_healthcheck_and_no_healthcheck(d):
    d.docker("run", "-d", "--name", "hc2", "hcimage")
    hc = d.get_json("/containers/hc2/json")["Config"]["Healthcheck"]
    assert hc["Test"][0] == "CMD-SHELL" and hc["Interval"] == 200_000_000
    poll(lambda: health(d, "hc2") == "unhealthy")
    d.docker("exec", "hc2", "touch", "/tmp/up")
    poll(lambda: health(d, "hc2") == "healthy")
    assert state(d, "hc2")["Health"]["Log"][-1]["Output"] == "up\n"
    # a restart starts over from "starting"
    d.docker("restart", "-t", "0", "hc2")
    assert health(d, "hc2") == "starting"
    d.docker("rm", "-f", "hc2")
    d.docker("run", "-d", "--name", "hc3", "--no-healthcheck", "hcimage")
    time.sleep(0.5)
    j = d.get_json("/containers/hc3/json")
    assert j["Config"]["Healthcheck"]["Test"] == ["NONE"] and "Health" not in j["State"]
    assert "health" not in d.docker("ps", "--format", "{{.Status}}",
                                    "--filter", "name=hc3").stdout
    assert d.docker("ps", "-q", "--filter", "health=none", "--filter", "name=hc3").stdout.strip()
    # the container's own settings win over the image's, the rest is merged
    d.docker("run", "-d", "--name", "hc4", "--health-retries", "7", "hcimage")
    hc = d.get_json("/containers/hc4/json")["Config"]["Healthcheck"]
    assert hc["Retries"] == 7 and hc["Interval"] == 200_000_000 and hc["Test"][0] == "CMD-SHELL"
    d.docker("rm", "-f", "hc3", "hc4")


def test_health_timeout_and_start_period(d):
    d.docker("run", "-d", "--name", "hc5", "--health-cmd", "sleep 30", "--health-timeout",
             "300ms", "--health-interval", "200ms", "--health-retries", "1", "busybox",
             "sleep", "100")
    poll(lambda: health(d, "hc5") == "unhealthy")
    last = state(d, "hc5")["Health"]["Log"][-1]
    assert last["ExitCode"] == -1
    assert last["Output"] == "Health check exceeded timeout (300ms)"
    # the timed-out probe was killed: no `sleep 30` left in the container
    pid = state(d, "hc5")["Pid"]
    poll(lambda: "sleep 30" not in d.docker("top", "hc5").stdout)
    assert pid
    d.docker("run", "-d", "--name", "hc6", "--health-cmd", "false", "--health-interval",
             "100ms", "--health-retries", "1", "--health-start-period", "60s", "busybox",
             "sleep", "100")
    poll(lambda: len(state(d, "hc6")["Health"]["Log"]) >= 3)
    h = state(d, "hc6")["Health"]
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    d.docker("rm", "-f", "hc5", "hc6")


@pytest.mark.parametrize("field,value,msg", [
    ("Interval", 1000, "Interval in Healthcheck cannot be less than 1ms"),
    ("Timeout", 10, "Timeout in Healthcheck cannot be less than 1ms"),
    ("StartPeriod", 999, "StartPeriod in Healthcheck cannot be less than 1ms"),
    ("Retries", -1, "Retries in Healthcheck cannot be negative"),
    ("Interval", "5s", "Healthcheck.Interval: expected an integer"),
])
def test_health_bad_values(d, field, value, msg):
    body = {"Image": "busybox", "Cmd": ["true"],
            "Healthcheck": {"Test": ["CMD", "true"], field: value}}
    before = d.docker("ps", "-aq").stdout
    r = d.request("POST", "/v1.45/containers/create", body=json.dumps(body),
                  headers={"Content-Type": "application/json"})
    assert r.status == 400 and msg in r.message
    assert d.docker("ps", "-aq").stdout == before


def test_oom_kill_exit(d):
    p = d.docker("run", "--name", "oom1", "-m", "8m", "busybox", "sh", "-c",
                 "head -c 64m /dev/zero | tail", check=False)
    assert p.returncode == 137
    st = state(d, "oom1")
    assert st["OOMKilled"] is True and st["ExitCode"] == 137
    acts = poll(lambda: "die" in events(d, "oom1") and events(d, "oom1"))
    assert acts.count("oom") == 1 and acts.index("oom") < acts.index("die")
    # a fresh start clears it
    d.docker("start", "-a", "oom1", check=False)
    d.docker("rm", "oom1")


def test_oom_event_while_running(d):
    # the hog is killed, the container goes on: the event comes when the kernel acts. One
    # process alone allocates: with `head | tail`, head's pipe writes could go out of memory
    # again before the killed tail's memory was freed, and the second victim was sometimes
    # the container's sh (2 runs in 60 under load)
    d.docker("run", "-d", "--name", "oom2", "-m", "8m", "busybox", "sh", "-c",
             "tail /dev/zero; sleep 100")
    poll(lambda: "oom" in events(d, "oom2"))
    st = state(d, "oom2")
    assert st["Running"] and st["OOMKilled"] is True
    d.docker("rm", "-f", "oom2")
    acts = events(d, "oom2")
    assert acts.count("oom") == 1
