"""More CLI scenarios run by both clients (the real docker CLI and berth) against one berth
daemon with the same assertions: volumes, commit/export, system df, pull/push/login through a
local registry (docker-registry with htpasswd), and the berth-only help, completion and man
page made from the command table."""

import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import time

import pytest

from test_cli_parity import BERTH_CLI, Client, d  # noqa: F401 (d: the module's daemon)
from test_daemon_common import TIMEOUT
from helpers import TOP

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

CLIENTS = ["docker", "berth"]


@pytest.fixture(params=CLIENTS)
def cli(request, d):  # noqa: F811
    c = Client(d, request.param)
    yield c
    left = d.docker("ps", "-aq", check=False).stdout.split()
    if left:
        d.docker("rm", "-f", *left, check=False)
    vols = d.docker("volume", "ls", "-q", check=False).stdout.split()
    if vols:
        d.docker("volume", "rm", "-f", *vols, check=False)
    assert left == [] and vols == [], "%s left containers/volumes behind" % c.kind


def test_volume_commands(cli):
    v = "vol-%s" % cli.kind
    assert cli.ok("volume", "create", "--label", "team=a", v).stdout == v + "\n"
    assert v in cli.ok("volume", "ls", "-q").stdout.split()
    ls = cli.ok("volume", "ls").stdout.splitlines()
    assert ls[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert any(line.split() == ["local", v] for line in ls[1:])
    assert cli.ok("volume", "ls", "--filter", "label=team=a", "--format",
                  "{{.Name}} {{.Driver}}").stdout == "%s local\n" % v
    assert cli.ok("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels.team}}",
                  v).stdout == "%s local a\n" % v
    info = json.loads(cli.ok("volume", "inspect", v).stdout)
    assert info[0]["Name"] == v and info[0]["Mountpoint"].startswith("/")
    cli.ok("run", "--name", "w-" + v, "-v", "%s:/data" % v, "busybox", "sh", "-c",
           "echo kept > /data/f")
    assert cli.ok("run", "--rm", "-v", "%s:/data:ro" % v, "busybox", "cat",
                  "/data/f").stdout == "kept\n"
    p = cli("volume", "rm", v)
    assert p.returncode == 1 and "in use" in p.stderr
    cli.ok("rm", "w-" + v)
    assert cli.ok("volume", "rm", v).stdout == v + "\n"
    p = cli("volume", "inspect", v)
    assert p.returncode == 1 and "no such volume" in p.stderr.lower()
    anon = cli.ok("volume", "create").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", anon)
    # named by the daemon, yet not anonymous: only prune --all removes it
    assert "Total reclaimed space:" in cli.ok("volume", "prune", "-f").stdout
    assert anon in cli.ok("volume", "ls", "-q").stdout
    p = cli.ok("volume", "prune", "-f", "--all")
    assert p.stdout.startswith("Deleted Volumes:\n") and anon in p.stdout
    assert "Total reclaimed space:" in p.stdout
    assert cli.ok("volume", "ls", "-q").stdout == ""


def test_network_commands(cli):
    n = "net-%s" % cli.kind
    subnet = "10.%d.7.0/24" % (71 if cli.kind == "docker" else 72)
    nid = cli.ok("network", "create", "--subnet", subnet, "--label", "team=b", n).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", nid)
    ls = cli.ok("network", "ls").stdout.splitlines()
    assert ls[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert [line.split() for line in ls if n in line] == [[nid[:12], n, "bridge", "local"]]
    names = [line.split()[1] for line in ls[1:]]
    assert names == sorted(names)
    assert cli.ok("network", "ls", "-q", "--filter", "label=team=b").stdout == nid[:12] + "\n"
    assert cli.ok("network", "inspect", "-f", "{{.Name}} {{.Driver}} {{range .IPAM.Config}}"
                  "{{.Subnet}}{{end}}", n).stdout == "%s bridge %s\n" % (n, subnet)
    p = cli("network", "create", n)
    assert p.returncode == 1 and "already exists" in p.stderr
    srv = "srv-%s" % cli.kind
    cli.ok("run", "-d", "--name", srv, "--network", n, "busybox", "sleep", "100")
    try:
        # a peer finds the server by its name on the user-defined network
        p = cli.ok("run", "--rm", "--network", n, "busybox", "ping", "-c", "1", "-W", "5", srv)
        assert "1 packets received" in p.stdout
        other = "oth-%s" % cli.kind
        cli.ok("run", "-d", "--name", other, "busybox", "sleep", "100")
        cli.ok("network", "connect", "--alias", "friend-%s" % cli.kind, n, other)
        p = cli.ok("exec", srv, "ping", "-c", "1", "-W", "5", "friend-%s" % cli.kind)
        assert "1 packets received" in p.stdout
        cli.ok("network", "disconnect", n, other)
        p = cli("network", "rm", n)
        assert p.returncode == 1 and "active endpoints" in p.stderr
    finally:
        cli("rm", "-f", srv, "oth-%s" % cli.kind)
    assert cli.ok("network", "rm", n).stdout == n + "\n"
    p = cli("network", "inspect", n)
    assert p.returncode == 1 and "not found" in p.stderr.lower()
    cli.ok("network", "create", n + "-unused")
    p = cli.ok("network", "prune", "-f")
    assert p.stdout == "Deleted Networks:\n%s-unused\n\n" % n or \
        p.stdout == "Deleted Networks:\n%s-unused\n" % n


def test_run_more_flags(cli):
    """The table-driven run flags reach the container as with the docker CLI."""
    p = cli.ok("run", "--rm", "--pids-limit", "50", "--ulimit", "nofile=100:200",
               "--shm-size", "8m", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m",
               "--security-opt", "seccomp=unconfined", "--sysctl", "net.ipv4.ip_forward=1",
               "--group-add", "123", "--domainname", "example.org", "busybox", "sh", "-c",
               "ulimit -n; ulimit -Hn; df -k /t /dev/shm | tail -2 | awk '{print $2}'; "
               "grep -c '^Seccomp:[[:space:]]*0' /proc/self/status; "
               "cat /proc/sys/net/ipv4/ip_forward; id -G; hostname -d")
    assert p.stdout.split() == ["100", "200", "1024", "8192", "1", "1", "0", "10", "123",
                                "example.org"], p.stdout
    name = "hc-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "--health-cmd", "true", "--health-interval", "500ms",
           "--health-retries", "2", "--stop-timeout", "1", "busybox", "sleep", "60")
    try:
        hc = json.loads(cli.ok("inspect", "-f", "{{json .Config.Healthcheck}}", name).stdout)
        assert hc == {"Test": ["CMD-SHELL", "true"], "Interval": 500000000, "Retries": 2}
        deadline = time.time() + 20
        while "(healthy)" not in cli.ok("ps", "--format", "{{.Status}}", "-f",
                                        "name=" + name).stdout and time.time() < deadline:
            time.sleep(0.2)
        assert "(healthy)" in cli.ok("ps", "--format", "{{.Status}}", "-f",
                                     "name=" + name).stdout
    finally:
        cli.ok("rm", "-f", name)
    p = cli("run", "--rm", "--health-interval", "5parsecs", "busybox", "true")
    assert p.returncode == 125 and "5parsecs" in p.stderr


def test_cp_local_paths(cli, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a").write_text("one\n")
    (src / "sub" / "b").write_text("two\n")
    (tmp_path / "f").write_text("file\n")
    name = "cp-%s" % cli.kind
    cli.ok("run", "-d", "--name", name, "busybox", "sleep", "100")
    try:
        cli.ok("cp", tmp_path / "f", "%s:/tmp/" % name)           # into a directory
        cli.ok("cp", tmp_path / "f", "%s:/tmp/renamed" % name)    # as a new name
        cli.ok("cp", src, "%s:/tmp/" % name)
        cli.ok("cp", src, "%s:/tmp/copy" % name)
        p = cli.ok("exec", name, "sh", "-c",
                   "cat /tmp/f /tmp/renamed /tmp/src/a /tmp/copy/sub/b")
        assert p.stdout == "file\nfile\none\ntwo\n"
        back = tmp_path / "back"
        cli.ok("cp", "%s:/tmp/copy" % name, back)                 # as a new local name
        assert (back / "sub" / "b").read_text() == "two\n"
        cli.ok("cp", "%s:/etc/hostname" % name, back)             # into a local directory
        assert (back / "hostname").exists()
        p = cli("cp", "%s:/nosuch" % name, tmp_path / "x")
        assert p.returncode == 1 and p.stderr == (
            "Error response from daemon: Could not find the file /nosuch in container %s\n"
            % name)
        p = cli("cp", tmp_path / "nosuch", "%s:/tmp" % name)
        assert p.returncode == 1 and "nosuch" in p.stderr and "no such file" in p.stderr.lower()
        p = cli("cp", "%s:/a" % name, "%s:/b" % name)
        assert p.returncode == 1 and "copying between containers is not supported" in p.stderr
    finally:
        cli.ok("rm", "-f", name)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")], "temporary files left"


def test_env_label_files_cidfile_update(cli, tmp_path):
    (tmp_path / "env").write_text("# comment\nA=from-file\n\nB=file\nFROM_HOST\n")
    (tmp_path / "labels").write_text("team=x\n# no\nonly=file\n")
    cid_file = tmp_path / "cid"
    name = "files-%s" % cli.kind
    p = subprocess.run([cli.binary, "run", "--name", name, "--cidfile", str(cid_file),
                        "--env-file", str(tmp_path / "env"), "-e", "B=flag",
                        "--label-file", str(tmp_path / "labels"), "-l", "team=flag",
                        "busybox", "sh", "-c", "echo $A $B $FROM_HOST"],
                       capture_output=True, text=True, timeout=TIMEOUT,
                       env=dict(cli.d.env(), FROM_HOST="host"))
    try:
        assert p.returncode == 0 and p.stdout == "from-file flag host\n", p.stderr
        cid = cid_file.read_text()
        assert re.fullmatch(r"[0-9a-f]{64}", cid)
        labels = json.loads(cli.ok("inspect", "-f", "{{json .Config.Labels}}", name).stdout)
        assert labels == {"team": "flag", "only": "file"}
        p = cli("run", "--cidfile", cid_file, "busybox", "true")
        assert p.returncode == 125 and "container ID file found" in p.stderr
        assert cli.ok("update", "--cpu-quota", "50000", "--cpu-period", "100000",
                      "--memory", "64m", "--memory-swap", "-1", name).stdout == name + "\n"
        hc = json.loads(cli.ok("inspect", "-f", "{{json .HostConfig}}", name).stdout)
        assert (hc["CpuQuota"], hc["CpuPeriod"], hc["Memory"]) == (50000, 100000, 64 << 20)
    finally:
        cli.ok("rm", "-f", name)


def test_import_from_url(cli, tmp_path):
    """`import URL`: the daemon fetches it; the output is the same from both clients."""
    import functools
    import http.server
    import threading
    subprocess.run([str(TOP / "scripts" / "mkrootfs"), "--tar", str(tmp_path / "rootfs.tar")],
                   check=True, capture_output=True, timeout=120)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = "http://127.0.0.1:%d/rootfs.tar" % srv.server_address[1]
        ref = "fromurl-%s:1" % cli.kind
        p = cli.ok("import", url, ref)
        lines = p.stdout.splitlines()
        assert lines[0] == "Downloading from " + url and len(lines) == 2
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", lines[1])
        assert cli.ok("run", "--rm", ref, "echo", "imported").stdout == "imported\n"
        p = cli("import", url + ".missing", "x:1")
        assert p.returncode == 1 and "404" in p.stderr
        cli.ok("rmi", ref)
    finally:
        srv.shutdown()
        srv.server_close()


def test_commit_and_export(cli, tmp_path):
    name = "cm-%s" % cli.kind
    cli.ok("run", "--name", name, "busybox", "sh", "-c", "echo committed > /greeting")
    img = "committed-%s:v1" % cli.kind
    iid = cli.ok("commit", "-m", "a message", "-c", 'CMD ["cat", "/greeting"]', name,
                 img).stdout.strip()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", iid)
    assert cli.ok("run", "--rm", img).stdout == "committed\n"
    assert cli.ok("image", "inspect", "-f", "{{.Comment}}", img).stdout == "a message\n"
    out = tmp_path / "fs.tar"
    cli.ok("export", "-o", out, name)
    with tarfile.open(out) as t:
        assert t.extractfile("greeting").read() == b"committed\n"
        assert "bin/sh" in t.getnames() or "./bin/sh" in t.getnames()
    p = cli("export", "nosuch-" + name)
    assert p.returncode == 1 and "No such container" in p.stderr
    cli.ok("rm", name)
    cli.ok("rmi", img)


def test_system_df(cli):
    lines = cli.ok("system", "df").stdout.splitlines()
    assert lines[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    kinds = [line.split("  ")[0] for line in lines[1:]]
    assert kinds[:3] == ["Images", "Containers", "Local Volumes"]
    p = cli.ok("system", "df", "--format", "{{.Type}}={{.TotalCount}}")
    assert re.search(r"^Images=[1-9]", p.stdout, re.M)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """docker-registry on a loopback port with one htpasswd user (alice/secret)."""
    if not shutil.which("docker-registry") or not shutil.which("htpasswd"):
        pytest.skip("docker-registry and htpasswd (apache2-utils) are needed")
    base = tmp_path_factory.mktemp("registry")
    subprocess.run(["htpasswd", "-Bbc", str(base / "htpasswd"), "alice", "secret"], check=True,
                   capture_output=True)
    port = _free_port()
    (base / "config.yml").write_text(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
        "http:\n  addr: 127.0.0.1:%d\nauth:\n  htpasswd:\n    realm: test\n    path: %s\n"
        % (base / "data", port, base / "htpasswd"))
    log = open(base / "log", "wb")
    proc = subprocess.Popen(["docker-registry", "serve", str(base / "config.yml")],
                            stdout=log, stderr=log)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield "127.0.0.1:%d" % port
    proc.terminate()
    proc.wait(10)
    log.close()


def _login_and_push(cli, registry, cfg, ref):
    cli.d.cfgdir = cfg  # the client's own config dir (credentials) for this test
    p = cli("push", ref)
    assert p.returncode == 1 and ref in p.stderr
    cli.ok("tag", "busybox:latest", ref)
    p = cli("login", "-u", "alice", "--password-stdin", registry, input="wrong\n")
    assert p.returncode == 1
    p = cli.ok("login", "-u", "alice", "--password-stdin", registry, input="secret\n")
    assert "Login Succeeded" in p.stdout
    assert registry in json.loads((cfg / "config.json").read_text())["auths"]
    p = cli.ok("push", ref)
    assert "t1: digest: sha256:" in p.stdout


def test_login_push_logout(cli, registry, tmp_path):
    ref = "%s/cli/%s:t1" % (registry, cli.kind)
    try:
        _login_and_push(cli, registry, tmp_path / "cfg", ref)
        assert "Removing login credentials for %s" % registry in cli.ok("logout",
                                                                        registry).stdout
        assert registry not in (tmp_path / "cfg" / "config.json").read_text()
        p = cli("push", ref)
        assert p.returncode == 1
        cli.ok("rmi", ref)
    finally:
        cli.d.cfgdir = cli.d.base / "docker-config"


def test_pull(cli, registry, tmp_path):
    ref = "%s/cli/pull-%s:t1" % (registry, cli.kind)
    try:
        _login_and_push(cli, registry, tmp_path / "cfg", ref)
        cli.ok("rmi", ref)
        p = cli("pull", ref)
        if "not supported" in p.stderr:
            pytest.skip("the daemon does not pull yet: " + p.stderr.strip())
        assert p.returncode == 0, p.stderr
        assert "Status: Downloaded newer image for %s" % ref in p.stdout
        assert p.stdout.endswith(ref + "\n")
        assert cli.ok("run", "--rm", ref, "echo", "pulled").stdout == "pulled\n"
        assert cli.ok("pull", "-q", ref).stdout == ref + "\n"
        cli.ok("rmi", ref)
    finally:
        cli.d.cfgdir = cli.d.base / "docker-config"


def test_run_missing_image_says_how_to_get_it(cli):
    p = cli("run", "--rm", "127.0.0.1:9/nosuch/image:v1", "true")
    assert p.returncode == 125
    assert "Unable to find image '127.0.0.1:9/nosuch/image:v1' locally" in p.stderr
    if cli.kind == "berth":
        assert "berth import" in p.stderr and "berth load" in p.stderr


def berth(*args, **kw):
    return subprocess.run([BERTH_CLI, *args], capture_output=True, text=True, timeout=TIMEOUT,
                          **kw)


def test_help_completion_and_man_from_one_table():
    top = berth("--help").stdout
    cmds = re.findall(r"^  ([a-z]+) ", top, re.M)
    for c in ("container", "image", "volume", "network", "system", "run", "pull", "push",
              "login", "commit", "export", "save", "load", "events", "version", "info"):
        assert c in cmds
    bash_script = berth("completion", "bash").stdout
    zsh_script = berth("completion", "zsh").stdout
    man = berth("help", "--man").stdout
    assert zsh_script.startswith("#compdef berth")
    for c in cmds:
        if c in ("daemon", "runtime"):
            continue
        assert "'%s')" % c in bash_script and "'%s')" % c in zsh_script, c
        if c not in ("help", "completion"):
            assert '.SS "berth %s' % c in man, c
    # every flag of `berth run --help` is in its completion and its man entry
    run_help = berth("help", "run").stdout
    flags = re.findall(r"^ +(?:-\w, )?--([a-z0-9-]+)", run_help, re.M)
    assert len(flags) > 30
    run_line = next(line for line in bash_script.splitlines() if line.startswith("\t'run')"))
    for f in flags:
        assert "--%s " % f in run_line, f
        assert "\\-\\-%s" % f.replace("-", "\\-") in man, f
    # the bash script completes groups, commands and flags
    script = bash_script + """
COMP_WORDS=(berth vol); COMP_CWORD=1; _berth; echo "1:${COMPREPLY[*]}"
COMP_WORDS=(berth volume cr); COMP_CWORD=2; _berth; echo "2:${COMPREPLY[*]}"
COMP_WORDS=(berth run --rest); COMP_CWORD=2; _berth; echo "3:${COMPREPLY[*]}"
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                         timeout=TIMEOUT).stdout
    assert "1:volume\n" in out and "2:create\n" in out and "3:--restart\n" in out
    if shutil.which("zsh"):
        assert subprocess.run(["zsh", "-n"], input=zsh_script, text=True).returncode == 0
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", "-"], input=man, capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="100"), timeout=TIMEOUT)
        assert p.returncode == 0 and "berth volume create [OPTIONS] [VOLUME]" in p.stdout


def test_completion_names_from_the_daemon(d):  # noqa: F811
    env = d.env()
    env.pop("BERTH_HOST", None)
    d.docker("create", "--name", "compl-one", "busybox")
    try:
        script = subprocess.run([BERTH_CLI, "completion", "bash"], capture_output=True,
                                text=True).stdout + """
COMP_WORDS=(%s rm compl-); COMP_CWORD=2; _berth; echo "c:${COMPREPLY[*]}"
COMP_WORDS=(%s run bus); COMP_CWORD=2; _berth; echo "i:${COMPREPLY[*]}"
""" % (BERTH_CLI, BERTH_CLI)
        out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                             timeout=TIMEOUT).stdout
        assert "c:compl-one\n" in out and "i:busybox:latest\n" in out
    finally:
        d.docker("rm", "compl-one")


def _on_pty(argv, env, timeout=TIMEOUT):
    """argv with stdout and stderr on a pseudo-terminal; (exit status, what it printed)."""
    import pty
    import select
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    return p.wait(timeout), out.decode(errors="replace")


def test_progress_and_colours_only_on_a_terminal(d, tmp_path):  # noqa: F811
    env = d.env()
    env.pop("BERTH_HOST", None)
    env.pop("NO_COLOR", None)
    archive = tmp_path / "bb.tar"
    rc, out = _on_pty([BERTH_CLI, "save", "-o", str(archive), "busybox"], env)
    assert rc == 0 and "\033[2K\rSaved " in out and re.search(r"Saved \d+(\.\d+)?[kM]B\r?\n", out)
    p = subprocess.run([BERTH_CLI, "save", "-o", str(archive), "busybox"], capture_output=True,
                       text=True, env=env, timeout=TIMEOUT)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    rc, out = _on_pty([BERTH_CLI, "load", "-i", str(archive)], env)
    assert rc == 0 and "Loaded image: busybox:latest" in out
    p = subprocess.run([BERTH_CLI, "load", "-i", str(archive)], capture_output=True, text=True,
                       env=env, timeout=TIMEOUT)
    assert p.stdout == "Loaded image: busybox:latest\n" and "\033" not in p.stdout + p.stderr
    # errors: red on a terminal, plain otherwise and with NO_COLOR
    rc, out = _on_pty([BERTH_CLI, "rm", "nosuch-colour"], env)
    assert rc == 1 and "\033[31mError response from daemon: " in out
    rc, out = _on_pty([BERTH_CLI, "rm", "nosuch-colour"], dict(env, NO_COLOR="1"))
    assert rc == 1 and "\033" not in out and "Error response from daemon: " in out
    p = subprocess.run([BERTH_CLI, "rm", "nosuch-colour"], capture_output=True, text=True,
                       env=env, timeout=TIMEOUT)
    assert p.returncode == 1 and p.stderr.startswith("Error response from daemon: No such")


def test_bad_input_in_the_same_words(d):  # noqa: F811
    """Wrong counts and unknown flags: docker's message, usage line and exit status."""
    dk, bt = Client(d, "docker"), Client(d, "berth")
    for args in (["rename", "a"], ["version", "x"], ["volume", "create", "a", "b"],
                 ["ps", "--bogus"], ["network", "connect", "n"], ["stop"]):
        p, q = dk(*args), bt(*args)
        assert q.returncode == p.returncode, args
        first = p.stderr.splitlines()[0].replace("docker", "berth")
        assert q.stderr.splitlines()[0] == first, args
        usage = [line for line in p.stderr.splitlines() if line.startswith("Usage:")]
        assert [line for line in q.stderr.splitlines() if line.startswith("Usage:")] == \
            [u.replace("docker", "berth") for u in usage], args


def test_info_as_docker_shows_it(d):  # noqa: F811
    dk, bt = Client(d, "docker"), Client(d, "berth")

    def server(text):
        lines = text.split("Server:\n", 1)[1].splitlines()
        # docker-only fields berth has nothing to put in
        return [line for line in lines if line.strip() and not line.strip().startswith(
            ("Init Binary", "containerd version", "init version"))]
    assert server(bt.ok("info").stdout) == server(dk.ok("info").stdout)


def test_pull_progress_on_a_terminal(d, registry, tmp_path):  # noqa: F811
    bt = Client(d, "berth")
    ref = "%s/cli/tty:t1" % registry
    try:
        # a layer of its own (busybox's is already here), gone locally before the pull
        bt.ok("run", "--name", "tty-layer", "busybox", "sh", "-c",
              "head -c 300000 /dev/urandom > /blob")
        bt.ok("commit", "tty-layer", "tty-src:1")
        bt.ok("rm", "tty-layer")
        bt.ok("tag", "tty-src:1", ref)
        bt.ok("rmi", "tty-src:1")
        d.cfgdir = tmp_path / "cfg"
        bt.ok("login", "-u", "alice", "--password-stdin", registry, input="secret\n")
        bt.ok("push", ref)
        bt.ok("rmi", ref)
        env = d.env()
        env.pop("BERTH_HOST", None)
        env.pop("NO_COLOR", None)
        rc, out = _on_pty([BERTH_CLI, "pull", ref], env)
        if "not supported" in out:
            pytest.skip("the daemon does not pull yet")
        assert rc == 0, out
        # one line per layer, redrawn in place (cursor up, clear line), finished in green
        assert re.search(r"\033\[\d+A\033\[2K\r[0-9a-f]{12}: ", out), out
        assert "\033[32mPull complete\033[0m" in out
        assert out.replace("\r\n", "\n").endswith(ref + "\n")
        bt.ok("rmi", ref)
    finally:
        d.cfgdir = d.base / "docker-config"


def test_systemd_unit(tmp_path):
    """contrib/berth.service: systemd accepts it and it runs the daemon binary."""
    import helpers
    unit = (helpers.TOP / "contrib" / "berth.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    assert line.split("=", 1)[1].split()[0] == "/usr/local/bin/berthd"
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    berthd = os.path.join(os.path.dirname(os.path.abspath(BERTH_CLI)), "berthd")
    (tmp_path / "berth.service").write_text(unit.replace("/usr/local/bin/berthd", berthd))
    p = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "berth.service")],
                       capture_output=True, text=True, timeout=TIMEOUT,
                       env=dict(os.environ, SYSTEMD_LOG_LEVEL="warning"))
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_bad_detach_keys_create_nothing(d):  # noqa: F811
    bt = Client(d, "berth")
    p = bt("run", "--rm", "-i", "--detach-keys", "ctrl-nope", "busybox", "true")
    assert p.returncode == 125
    assert p.stderr == "berth: Invalid detach keys (ctrl-nope) provided\n"
    assert bt.ok("ps", "-aq").stdout == ""


def test_same_output_more(d):  # noqa: F811
    """Column for column the same text from both clients, where time does not enter."""
    dk, bt = Client(d, "docker"), Client(d, "berth")
    bt.ok("volume", "create", "same-vol")
    bt.ok("create", "--name", "same-stopped", "-v", "same-vol:/v", "busybox", "true")
    try:
        for args in (["system", "df"],
                     ["history", "-H=false", "busybox"],
                     ["history", "--no-trunc", "--format", "{{.ID}} {{.Size}} {{.CreatedBy}}",
                      "busybox"],
                     ["images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}"],
                     ["stats", "--no-stream", "-a", "--format",
                      "table {{.Name}}\t{{.CPUPerc}}\t{{.PIDs}}"],
                     ["volume", "ls"], ["network", "ls"], ["info", "--format",
                                                           "{{.Driver}} {{.Images}}"]):
            assert bt.ok(*args).stdout == dk.ok(*args).stdout, args
        lines = bt.ok("system", "df", "-v").stdout
        assert "Local Volumes space usage:" in lines and "same-vol" in lines
    finally:
        bt.ok("rm", "same-stopped")
        bt.ok("volume", "rm", "same-vol")


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_completion_offers_commands_and_flags(tmp_path):
    """The zsh function with compadd/_describe stubbed: what it would offer."""
    script = berth("completion", "zsh").stdout
    body = script.rsplit("\n_berth \"$@\"\n", 1)[0]
    (tmp_path / "t.zsh").write_text(
        "_describe() { local arr=$2; print -l -- ${(P)arr} }\n"
        "compadd() { if [[ $1 == -a ]]; then print -l -- ${(P)2}; else print -l -- \"$@\"; fi }\n"
        "_files() { print FILES }\n" + body + "\n"
        "words=(berth volu); CURRENT=2; PREFIX=volu; print '#1'; _berth\n"
        "words=(berth volume cr); CURRENT=3; PREFIX=cr; print '#2'; _berth\n"
        "words=(berth run --rest); CURRENT=3; PREFIX=--rest; print '#3'; _berth\n"
        "words=(berth import x); CURRENT=3; PREFIX=x; print '#4'; _berth\n")
    out = subprocess.run(["zsh", "-f", str(tmp_path / "t.zsh")], capture_output=True, text=True,
                         timeout=TIMEOUT)
    assert out.returncode == 0, out.stderr
    parts = dict(p.split("\n", 1) for p in out.stdout.split("#")[1:])
    assert "volume:Manage volumes" in parts["1"].splitlines()
    assert "create:Create a volume" in parts["2"].splitlines()
    assert "--restart:Restart policy to apply when a container exits" in parts["3"].splitlines()
    assert parts["4"].splitlines() == ["FILES"]
