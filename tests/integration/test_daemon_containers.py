"""Containers through the daemon, driven by the real docker CLI (and raw HTTP where the CLI
hides the wire): create/list/inspect/rm/rename rules, run/start/stop/kill/pause/wait, attach,
logs, events; every test checks that no mount, cgroup or monitor process is left behind."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from test_daemon_common import DOCKER, Daemon, import_busybox, monitors_of

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-ctr")
    dm = Daemon(base)
    dm.start("-D")
    import_busybox(dm, base)
    yield dm
    dm.docker("rm", "-f", *ids(dm), check=False)
    rc = dm.stop()
    assert rc == 0, dm.log()
    assert_clean(dm)


def ids(d):
    return d.docker("ps", "-aq").stdout.split()


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if str(path) in line]


def cgroups_left(cid):
    left = []
    for root in Path("/sys/fs/cgroup").iterdir():
        if (root / "berth" / cid).exists():
            left.append(str(root / "berth" / cid))
    return left


def assert_clean(d, cid=None):
    assert mounts_under(d.base) == []
    assert monitors_of(d) == []
    if cid:
        assert cgroups_left(cid) == []
    assert os.stat("/dev/null").st_uid == 0


def inspect(d, name):
    return d.get_json("/containers/%s/json" % name)


def create(d, body, name=None):
    path = "/v1.45/containers/create" + ("?name=%s" % name if name else "")
    return d.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "application/json"})


def test_run_echo_and_exit_codes(d):
    p = d.docker("run", "--rm", "busybox", "echo", "hi")
    assert p.stdout == "hi\n"
    p = d.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3",
                 check=False)
    assert p.returncode == 3
    assert p.stdout == "out\n" and p.stderr == "err\n"
    assert ids(d) == []
    assert_clean(d)


def test_run_stdin(d):
    p = d.docker("run", "-i", "--rm", "busybox", "cat", input="hi\n")
    assert p.stdout == "hi\n"
    assert_clean(d)


def test_run_missing_command(d):
    p = d.docker("run", "--rm", "busybox", "nosuchcmd", check=False)
    assert p.returncode == 127
    assert "executable file not found" in p.stderr
    assert ids(d) == []
    p = d.docker("create", "--name", "nocmd", "busybox", "nosuchcmd")
    p = d.docker("start", "nocmd", check=False)
    assert p.returncode != 0
    st = inspect(d, "nocmd")["State"]
    assert st["ExitCode"] == 127 and "executable file not found" in st["Error"]
    d.docker("rm", "nocmd")
    assert_clean(d)


def test_detached_lifecycle(d):
    cid = d.docker("run", "-d", "--name", "sleeper", "busybox", "sleep", "100").stdout.strip()
    assert len(cid) == 64
    ps = d.docker("ps", "--format", "{{.Names}} {{.Status}}").stdout
    assert ps.startswith("sleeper Up ")
    st = inspect(d, "sleeper")["State"]
    assert st["Running"] and st["Pid"] > 0 and st["Status"] == "running"
    assert os.path.exists("/proc/%d" % st["Pid"])
    assert len(monitors_of(d)) == 1
    # start again: 304, the CLI prints nothing and succeeds
    assert d.request("POST", "/containers/sleeper/start").status == 304
    d.docker("pause", "sleeper")
    assert inspect(d, "sleeper")["State"]["Status"] == "paused"
    assert "(Paused)" in d.docker("ps", "--format", "{{.Status}}").stdout
    r = d.request("POST", "/containers/sleeper/pause")
    assert r.status == 409 and "already paused" in r.message
    d.docker("unpause", "sleeper")
    r = d.request("POST", "/containers/sleeper/unpause")
    assert r.status == 409 and "is not paused" in r.message
    r = d.request("DELETE", "/containers/sleeper")
    assert r.status == 409 and "cannot remove a running container" in r.message
    t0 = time.time()
    d.docker("stop", "-t", "1", "sleeper")
    assert time.time() - t0 < 5
    st = inspect(d, "sleeper")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137 and st["Pid"] == 0
    assert d.request("POST", "/containers/sleeper/stop").status == 304
    r = d.request("POST", "/containers/sleeper/kill")
    assert r.status == 409 and "is not running" in r.message
    assert "Exited (137)" in d.docker("ps", "-a", "--format", "{{.Status}}").stdout
    d.docker("rm", "sleeper")
    assert_clean(d, cid)


def test_stop_with_term_and_restart(d):
    cid = d.docker("run", "-d", "busybox", "sh", "-c",
                   "trap 'exit 7' TERM; while true; do sleep 0.1; done").stdout.strip()
    time.sleep(0.3)
    d.docker("stop", cid)
    assert inspect(d, cid)["State"]["ExitCode"] == 7
    d.docker("restart", "-t", "1", cid)
    st = inspect(d, cid)["State"]
    assert st["Running"]
    d.docker("kill", "-s", "TERM", cid)
    assert d.docker("wait", cid).stdout.strip() == "7"
    d.docker("rm", "-f", cid)
    assert_clean(d, cid)


def test_rm_force_running(d):
    cid = d.docker("run", "-d", "busybox", "sleep", "100").stdout.strip()
    d.docker("rm", "-f", cid)
    assert d.request("GET", "/containers/%s/json" % cid).status == 404
    assert_clean(d, cid)


def test_logs(d):
    cid = d.docker("run", "-d", "busybox", "sh", "-c",
                   "for i in 1 2 3; do echo out $i; echo err $i >&2; sleep 0.2; done"
                   ).stdout.strip()
    p = d.docker("logs", "-f", cid)
    assert p.stdout == "out 1\nout 2\nout 3\n"
    assert p.stderr == "err 1\nerr 2\nerr 3\n"
    p = d.docker("logs", "--tail", "2", cid)
    assert p.stdout + p.stderr in ("out 3\nerr 3\n", "err 3\nout 3\n")
    p = d.docker("logs", "-t", cid)
    first = p.stdout.splitlines()[0]
    ts, text = first.split(" ", 1)
    assert text == "out 1" and ts.endswith("Z") and len(ts.split(".")[1]) == 10
    # raw: frames with the 8-byte header (consecutive lines of a stream may share one)
    r = d.request("GET", "/containers/%s/logs?stdout=1&stderr=0" % cid)
    assert r.status == 200
    frames, data = [], r.data
    while data:
        assert data[:4] == b"\x01\x00\x00\x00"
        n = int.from_bytes(data[4:8], "big")
        frames.append(data[8:8 + n])
        data = data[8 + n:]
    assert b"".join(frames) == b"out 1\nout 2\nout 3\n"
    r = d.request("GET", "/containers/%s/logs?stdout=1&stderr=1" % cid)
    streams = []
    data = r.data
    while data:
        n = int.from_bytes(data[4:8], "big")
        streams += [data[0]] * data[8:8 + n].count(b"\n")
        data = data[8 + n:]
    assert streams == [1, 2, 1, 2, 1, 2]
    # followed: a frame per line (docker-py's logs(stream=True) yields frames)
    r = d.request("GET", "/containers/%s/logs?stdout=1&follow=1" % cid)
    assert r.data == b"".join(b"\x01\0\0\0\0\0\0\x06out %d\n" % i for i in (1, 2, 3))
    r = d.request("GET", "/containers/%s/logs" % cid)
    assert r.status == 400 and "at least one stream" in r.message
    d.docker("rm", cid)
    assert_clean(d, cid)


def test_create_rules(d):
    r = create(d, {"Image": "busybox", "Cmd": ["true"]}, name="x")
    assert r.status == 400 and "Invalid container name (x)" in r.message
    r = create(d, {"Image": "nosuchimage:9"})
    assert r.status == 404 and "No such image: nosuchimage:9" in r.message
    r = create(d, {"Image": "busybox", "Cmd": [], "Entrypoint": None, "Env": None,
                   "Unknown": {"a": 1}, "HostConfig": None})
    assert r.status == 201  # busybox has CMD sh
    cid = r.json()["Id"]
    r = create(d, {"Image": "busybox", "Cmd": "true", "HostConfig": {"Memory": "x"}})
    assert r.status == 400 and "HostConfig.Memory" in r.message
    r = d.request("POST", "/containers/create", body="{bad",
                  headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = d.request("POST", "/containers/create", body="{}",
                  headers={"Content-Type": "text/plain"})
    assert r.status == 400 and "must be 'application/json'" in r.message
    r = create(d, {"Image": "busybox", "Cmd": "true"}, name="named1")
    assert r.status == 201
    r = create(d, {"Image": "busybox", "Cmd": "true"}, name="/named1")
    assert r.status == 409
    assert r.message.startswith('Conflict. The container name "/named1" is already in use')
    # no command at all: an image without CMD
    img = d.import_ok(__import__("test_daemon_common").rootfs_tar("nocmd"), repo="nocmd")
    r = create(d, {"Image": img})
    assert r.status == 400 and r.message == "No command specified"
    d.docker("rm", cid, "named1")
    d.docker("rmi", "nocmd")


def test_inspect_fields(d):
    cid = d.docker("create", "--name", "insp", "-e", "A=1", "--label", "k=v", "-w", "/tmp",
                   "busybox", "sh", "-c", "pwd").stdout.strip()
    j = inspect(d, "insp")
    for k in ("Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath",
              "HostnamePath", "HostsPath", "LogPath", "Name", "RestartCount", "Driver",
              "Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs",
              "HostConfig", "GraphDriver", "Mounts", "Config", "NetworkSettings"):
        assert k in j, k
    assert j["Id"] == cid and j["Name"] == "/insp"
    assert j["Path"] == "sh" and j["Args"] == ["-c", "pwd"]
    assert j["Image"].startswith("sha256:") and len(j["Image"]) == 71
    assert j["Config"]["Hostname"] == cid[:12]
    assert j["Config"]["Image"] == "busybox"
    assert j["Config"]["Labels"] == {"k": "v"}
    assert "A=1" in j["Config"]["Env"] and any(e.startswith("PATH=") for e in j["Config"]["Env"])
    assert j["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert j["HostConfig"]["ShmSize"] == 67108864
    assert "/proc/kcore" in j["HostConfig"]["MaskedPaths"]
    assert j["State"]["StartedAt"] == "0001-01-01T00:00:00Z"
    assert j["State"]["Status"] == "created"
    assert "bridge" in j["NetworkSettings"]["Networks"]
    assert j["NetworkSettings"]["Ports"] == {}
    # prefix and name resolution
    assert inspect(d, cid[:5])["Id"] == cid
    assert inspect(d, "insp")["Id"] == cid
    r = d.request("GET", "/containers/nosuch/json")
    assert r.status == 404 and r.message == "No such container: nosuch"
    p = d.docker("start", "-a", "insp")
    assert p.stdout == "/tmp\n"
    j = inspect(d, "insp")
    assert j["State"]["FinishedAt"] != "0001-01-01T00:00:00Z"
    d.docker("rm", "insp")


def test_list_filters_and_status(d):
    a = d.docker("create", "--name", "la", "--label", "spy=1", "busybox", "true").stdout.strip()
    b = d.docker("run", "-d", "--name", "lb", "busybox", "sleep", "100").stdout.strip()
    c = d.docker("run", "--name", "lc", "busybox", "sh", "-c", "exit 2", check=False)
    assert c.returncode == 2

    def names(*args):
        return d.docker("ps", "--format", "{{.Names}}", *args).stdout.split()

    assert names() == ["lb"]
    assert names("-a") == ["lc", "lb", "la"]
    assert names("-n", "2") == ["lc", "lb"]
    assert names("-l") == ["lc"]
    assert names("-a", "--filter", "label=spy=1") == ["la"]
    assert names("-a", "--filter", "name=l[ab]") == ["lb", "la"]
    assert names("-a", "--filter", "status=exited") == ["lc"]
    assert names("-a", "--filter", "exited=2") == ["lc"]
    assert names("-a", "--filter", "status=created") == ["la"]
    assert names("-a", "--filter", "ancestor=busybox") == ["lc", "lb", "la"]
    assert names("-a", "--filter", "id=" + a[:6]) == ["la"]
    assert names("-a", "--filter", "before=lb") == ["la"]
    assert names("-a", "--filter", "since=lb") == ["lc"]
    st = d.docker("ps", "-a", "--format", "{{.Names}}|{{.Status}}").stdout.splitlines()
    assert st[0].startswith("lc|Exited (2) ") and st[0].endswith(" ago")
    assert st[1].startswith("lb|Up ")
    assert st[2] == "la|Created"
    # docker-py's list form of filters
    r = d.request("GET", '/containers/json?all=1&filters={"label":["spy=1"]}')
    assert [x["Names"] for x in r.json()] == [["/la"]]
    r = d.request("GET", '/containers/json?filters={"bogus":["x"]}')
    assert r.status == 400 and "Invalid filter 'bogus'" in r.message
    r = d.request("GET", '/containers/json?filters={"status":["bogus"]}')
    assert r.status == 400
    item = d.request("GET", "/containers/json").json()[0]
    for k in ("Id", "Names", "Image", "ImageID", "Command", "Created", "Ports", "Labels",
              "State", "Status", "HostConfig", "NetworkSettings", "Mounts"):
        assert k in item, k
    assert item["Command"] == "sleep 100" and item["State"] == "running"
    d.docker("rm", "-f", a, b, "lc")
    assert_clean(d, b)


def test_rename(d):
    d.docker("create", "--name", "r1", "busybox", "true")
    d.docker("create", "--name", "r2", "busybox", "true")
    p = d.docker("rename", "r1", "r2", check=False)
    assert p.returncode == 1 and "Error when allocating new name: Conflict." in p.stderr
    p = d.docker("rename", "r1", "x", check=False)
    assert "Invalid container name (x)" in p.stderr
    d.docker("rename", "r1", "r3")
    assert inspect(d, "r3")["Name"] == "/r3"
    assert d.request("GET", "/containers/r1/json").status == 404
    d.docker("rm", "r2", "r3")


def test_wait_conditions_raw(d):
    cid = d.docker("create", "busybox", "sh", "-c", "sleep 0.3; exit 5").stdout.strip()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(str(d.sock))
    s.sendall(b"POST /v1.45/containers/%s/wait?condition=next-exit HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 0\r\n\r\n" % cid.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200")  # headers before the start
    d.docker("start", cid)
    body = head.split(b"\r\n\r\n", 1)[1]
    while b'"StatusCode"' not in body:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    assert b'{"Error":null,"StatusCode":5}' in body
    s.close()
    # not-running on a stopped container answers at once
    r = d.request("POST", "/containers/%s/wait" % cid)
    assert json.loads(r.data) == {"Error": None, "StatusCode": 5}
    d.docker("rm", cid)


def test_events(d):
    since = str(int(time.time()) - 1)
    d.docker("run", "--rm", "--name", "evt", "busybox", "true")
    until = str(int(time.time()) + 1)
    out = d.docker("events", "--since", since, "--until", until, "--filter",
                   "container=evt", "--format", "{{.Action}}").stdout.split()
    assert out == ["create", "attach", "start", "die", "destroy"], out


def test_attach_to_running_and_docker_py(d):
    docker = pytest.importorskip("docker")
    c = docker.DockerClient(base_url=d.host, version="1.41")
    try:
        out = c.containers.run("busybox", ["sh", "-c", "echo hello; echo oops >&2"],
                               remove=True)
        assert out == b"hello\n"
        ct = c.containers.run("busybox", ["sh", "-c", "echo a; sleep 100"], detach=True)
        assert ct.status in ("created", "running")
        ct.reload()
        assert ct.status == "running"
        assert ct.logs() == b"a\n"
        ct.kill()
        assert ct.wait()["StatusCode"] == 137
        ct.remove()
    finally:
        c.close()
    assert_clean(d)


def test_restart_daemon_keeps_running_container(d):
    # runs until told to exit (however slow the daemon's stop and start are)
    cid = d.docker("run", "-d", "busybox", "sh", "-c",
                   "while [ ! -e /go ]; do sleep 0.1; done; exit 4").stdout.strip()
    d.stop()
    assert len(monitors_of(d)) == 1  # the container outlives the daemon
    d.start("-D")
    assert inspect(d, cid)["State"]["Running"] is True
    d.docker("exec", cid, "touch", "/go")
    assert d.docker("wait", cid).stdout.strip() == "4"
    d.docker("rm", cid)
    assert_clean(d, cid)


def test_removal_left_mounted_by_a_crash_is_cleaned_at_start(d):
    """A removal renames the container's directory to .tmp-rm-<id> with its rootfs still
    mounted and unmounts it once the container is gone: a daemon killed in between leaves
    the mount, which the next start takes off before deleting the directory."""
    d.stop()
    trash = d.root / "containers" / ".tmp-rm-crashed"
    for sub in ("lower", "upper", "work", "merged"):
        (trash / sub).mkdir(parents=True)
    (trash / "upper" / "f").write_text("x")
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work" % (trash, trash, trash),
                    str(trash / "merged")], check=True)
    try:
        d.start("-D")
        assert mounts_under(trash) == []
        assert not trash.exists()
    finally:
        subprocess.run(["umount", "-l", str(trash / "merged")], capture_output=True)
    # and a run --rm leaves nothing behind (the unmount after the removal)
    p = d.docker("run", "--rm", "--network", "none", "busybox", "echo", "gone")
    assert p.stdout == "gone\n"
    deadline = time.time() + 20  # the files go after the reply
    while [n for n in os.listdir(d.root / "containers") if n.startswith(".tmp-")]:
        assert time.time() < deadline, "the removed container's files are left"
        time.sleep(0.05)
    assert_clean(d)


def test_output_complete_under_repetition(d):
    """Every byte, in order, on every run and exec: the monitor starts the process only
    once the daemon's attach is connected (a fast process used to finish first)."""
    for i in range(25):
        p = d.docker("run", "--rm", "busybox", "sh", "-c", "echo a%d; echo b >&2; echo c" % i)
        assert (p.stdout, p.stderr) == ("a%d\nc\n" % i, "b\n")
    d.docker("run", "-d", "--name", "rep", "busybox", "sleep", "100")
    try:
        for i in range(25):
            p = d.docker("exec", "rep", "sh", "-c", "echo x%d; exit 3" % i, check=False)
            assert (p.returncode, p.stdout) == (3, "x%d\n" % i)
    finally:
        d.docker("rm", "-f", "rep")


def test_exec(d):
    cid = d.docker("run", "-d", "--name", "ex", "busybox", "sleep", "100").stdout.strip()
    p = d.docker("exec", "ex", "sh", "-c", "echo out; exit 7", check=False)
    assert p.returncode == 7 and p.stdout == "out\n"
    p = d.docker("exec", "-i", "ex", "cat", input="in\n")
    assert p.stdout == "in\n"
    p = d.docker("exec", "ex", "nosuchcmd", check=False)
    assert p.returncode == 126 and "executable file not found" in p.stdout + p.stderr
    p = d.docker("exec", "-u", "nobody", "-w", "/tmp", "-e", "FOO=bar", "ex", "sh", "-c",
                 "id -u; pwd; echo $FOO")
    assert p.stdout == "65534\n/tmp\nbar\n"
    d.docker("exec", "-d", "ex", "sh", "-c", "echo bg > /bgfile")
    time.sleep(0.3)
    assert d.docker("exec", "ex", "cat", "/bgfile").stdout == "bg\n"
    r = d.request("POST", "/containers/ex/exec", body=json.dumps({"Cmd": ["true"]}),
                  headers={"Content-Type": "application/json"})
    eid = r.json()["Id"]
    j = d.get_json("/exec/%s/json" % eid)
    assert j["Running"] is False and j["ExitCode"] is None and j["ContainerID"] == cid
    assert d.request("GET", "/exec/nosuch/json").status == 404
    assert len(inspect(d, "ex")["ExecIDs"]) >= 5
    d.docker("pause", "ex")
    p = d.docker("exec", "ex", "true", check=False)
    assert p.returncode != 0 and "is paused" in p.stderr
    d.docker("unpause", "ex")
    d.docker("stop", "-t", "0", "ex")
    p = d.docker("exec", "ex", "true", check=False)
    assert p.returncode != 0 and "is not running" in p.stderr
    d.docker("rm", "ex")
    assert_clean(d, cid)


def test_top_stats_update_diff(d):
    cid = d.docker("run", "-d", "--name", "tsu", "busybox", "sh", "-c",
                   "touch /added; rm /bin/ls; exec sleep 100").stdout.strip()
    time.sleep(0.3)
    out = d.docker("top", "tsu", "-o", "pid,comm").stdout.splitlines()
    assert out[0].split() == ["PID", "COMMAND"] and out[1].split()[1] == "sleep"
    t0 = time.time()
    s = d.docker("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}").stdout
    assert time.time() - t0 < 2.5
    assert s.strip() == "tsu 1"
    j = d.get_json("/containers/tsu/stats?stream=0&one-shot=1")
    assert j["pids_stats"]["current"] == 1 and j["id"] == cid and j["name"] == "/tsu"
    assert j["memory_stats"]["usage"] > 0 and "networks" in j
    d.docker("update", "--cpu-shares", "512", "--memory", "64m", "tsu")
    assert inspect(d, "tsu")["HostConfig"]["Memory"] == 64 << 20
    shares = Path("/sys/fs/cgroup/cpu/berth/%s/cpu.shares" % cid)
    if shares.exists():
        assert shares.read_text().strip() == "512"
    diff = d.docker("diff", "tsu").stdout.splitlines()
    assert "A /added" in diff and "D /bin/ls" in diff and "C /bin" in diff
    assert not any(line.endswith(" /proc") for line in diff)
    d.docker("rm", "-f", "tsu")
    assert_clean(d, cid)


def test_restart_policy(d):
    cid = d.docker("run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c",
                   "exit 3").stdout.strip()
    deadline = time.time() + 10
    while time.time() < deadline and inspect(d, cid)["RestartCount"] < 2:
        time.sleep(0.1)
    time.sleep(0.5)
    j = inspect(d, cid)
    assert j["RestartCount"] == 2 and j["State"]["Status"] == "exited"
    assert j["State"]["ExitCode"] == 3
    d.docker("rm", cid)
    assert_clean(d, cid)


def test_private_network_namespace(d):
    p = d.docker("run", "--rm", "--network", "none", "busybox", "sh", "-c",
                 "ip -o link | cut -d' ' -f2; nc -l -p 80 >/dev/null & sleep 0.2; "
                 "echo x | nc 127.0.0.1 80 && echo lo-ok")
    assert p.stdout.split() == ["lo:", "lo-ok"]
    # the default network: lo and eth0 (a veth on the daemon's bridge)
    p = d.docker("run", "--rm", "busybox", "sh", "-c", "ip -o link | cut -d' ' -f2")
    assert p.stdout.split()[0] == "lo:" and p.stdout.split()[1].startswith("eth0@")
    p = d.docker("run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/dev")
    assert len(p.stdout.splitlines()) > 3  # the host's interfaces
    assert_clean(d)


def test_resources_in_cgroup(d):
    cid = d.docker("run", "-d", "-m", "32m", "--pids-limit", "20", "--cpus", "0.5",
                   "--ulimit", "nofile=100:200", "busybox", "sleep", "100").stdout.strip()
    mem = Path("/sys/fs/cgroup/memory/berth/%s/memory.limit_in_bytes" % cid)
    if mem.exists():
        assert int(mem.read_text()) == 32 << 20
        assert Path("/sys/fs/cgroup/pids/berth/%s/pids.max" % cid).read_text().strip() == "20"
        assert Path("/sys/fs/cgroup/cpu/berth/%s/cpu.cfs_quota_us" % cid).read_text().strip() \
            == "50000"
    try:
        p = d.docker("exec", cid, "sh", "-c", "ulimit -n; ulimit -Hn")
        assert p.stdout.split() == ["100", "200"]
    finally:
        d.docker("rm", "-f", cid)
    assert_clean(d, cid)


def test_cp_both_ways(d, tmp_path):
    d.docker("create", "--name", "cpy", "busybox", "cat", "/tmp/in.txt")
    d.docker("cp", "cpy:/etc/passwd", str(tmp_path))
    assert (tmp_path / "passwd").read_text().startswith("root:")
    (tmp_path / "in.txt").write_text("hello\n")
    d.docker("cp", str(tmp_path / "in.txt"), "cpy:/tmp/")
    assert d.docker("start", "-a", "cpy").stdout == "hello\n"
    r = d.request("HEAD", "/containers/cpy/archive?path=/tmp")
    assert r.status == 200
    import base64
    st = json.loads(base64.b64decode(r.headers["X-Docker-Container-Path-Stat"]))
    assert st["name"] == "tmp" and st["mode"] == 2148532735  # dir | sticky | 0777
    p = d.docker("cp", "cpy:/nosuch", str(tmp_path), check=False)
    assert p.returncode == 1 and "Could not find the file /nosuch in container cpy" in p.stderr
    d.docker("rm", "cpy")
    assert_clean(d)


def pty_run(d, args, inputs, wait=5, size=(30, 100)):
    """docker ARGS under a pseudo-terminal of the given size; inputs: (bytes, delay before)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        os.execve(DOCKER, [DOCKER, *args], d.env())
    out = b""

    def pump(until):
        nonlocal out
        while time.time() < until:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    c = os.read(fd, 4096)
                except OSError:
                    return False
                if not c:
                    return False
                out += c
        return True

    for data, delay in inputs:
        pump(time.time() + delay)
        os.write(fd, data)
    pump(time.time() + wait)
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    return out, os.waitstatus_to_exitcode(st)


def test_run_interactive_tty_and_detach(d):
    out, rc = pty_run(d, ["run", "-it", "--rm", "busybox", "sh"],
                      [(b"stty size; echo hel''lo; exit 5\r", 1.0)])
    assert rc == 5, out
    assert b"30 100" in out and b"hello\r\n" in out
    out, rc = pty_run(d, ["run", "-it", "--name", "det", "busybox", "sh"], [(b"\x10\x11", 1.0)],
                      wait=3)
    assert rc == 0, out
    assert inspect(d, "det")["State"]["Running"]
    d.docker("rm", "-f", "det")
    assert_clean(d)
