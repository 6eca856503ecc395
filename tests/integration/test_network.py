"""Networking through the daemon with the real docker CLI: the default bridge (gateway, /etc
files, inspect), user networks with the embedded DNS (names, aliases, short IDs), published
ports from 127.0.0.1, none/host/container: modes, live connect/disconnect, bad input with
Docker's status codes, restore after a daemon kill, and no veth, rule or namespace left.
Traffic goes only to loopback or to addresses inside namespaces these tests made (containers
that look up names get --dns 127.0.0.1, so nothing is forwarded off the machine)."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from test_daemon_common import Daemon, import_busybox, nft_run

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="networking needs root")

HTTPD = "mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"
GET = 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 %s 80 | tail -n 1'


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-net")
    dm = Daemon(base)
    dm.start()
    import_busybox(dm, base)
    yield dm
    dm.docker("rm", "-f", *dm.docker("ps", "-aq").stdout.split(), check=False)
    assert_no_leaks(dm)
    bridges = dm.bridges()
    assert dm.stop() == 0, dm.log()
    for b in bridges:
        assert not os.path.exists("/sys/class/net/%s" % b), b
    assert nft_run("list table ip berth-%s" % dm.bridge)[0] != 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, deadline=10):
    end = time.time() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                return r.read().decode()
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.1)


def ports_rules(d):
    rc, out = nft_run("list chain ip berth-%s ports" % d.bridge)
    return [line.strip() for line in out.splitlines() if "dnat" in line] if rc == 0 else []


def assert_no_leaks(d):
    """No veth on any of the daemon's bridges, no port rule, no allocation, no netns mount.
    Allocations live in the daemon (a restarted one makes them again from its running
    containers): `system check` reports one held for a container that is not running."""
    deadline = time.time() + 10
    while True:
        veths = [p for b in d.bridges() if os.path.isdir("/sys/class/net/%s/brif" % b)
                 for p in os.listdir("/sys/class/net/%s/brif" % b)]
        allocs = {}
        for f in (d.root / "network").glob("*.json"):
            a = json.loads(f.read_text()).get("_Alloc")
            if a:
                allocs[f.name] = a
        allocs.update((p, None) for p in d.get_json("/system/check")["Problems"]
                      if p.startswith(("network", "ports", "DNS")))
        with open("/proc/self/mountinfo") as m:
            netns = [line for line in m if str(d.run) in line and "nsfs" in line]
        if not veths and not allocs and not netns and not ports_rules(d):
            return
        if time.time() > deadline:
            raise AssertionError("leaked: veths %s allocations %s netns %s rules %s" % (
                veths, allocs, netns, ports_rules(d)))
        time.sleep(0.1)


def test_default_bridge(d):
    d.docker("run", "-d", "--name", "dflt", "--hostname", "box1", "--add-host",
             "db.example:10.9.8.7", "--dns", "10.1.2.3", "--dns-search", "corp.example",
             "--dns-option", "ndots:2", "busybox", "sleep", "60")
    try:
        p = d.docker("exec", "dflt", "sh", "-c",
                     "ip -o -4 addr show eth0; ip route; ping -c1 -W5 $(ip route | "
                     "awk '/default/{print $3}') >/dev/null && echo gw-ok; "
                     "cat /etc/hosts /etc/resolv.conf /etc/hostname")
        ins = d.docker("inspect", "dflt").stdout
    finally:
        d.docker("rm", "-f", "dflt")
    ns = json.loads(ins)[0]["NetworkSettings"]
    ip, gw = ns["IPAddress"], ns["Gateway"]
    assert ip and gw and ns["Networks"]["bridge"]["IPAddress"] == ip
    assert ns["MacAddress"] == "02:42:%02x:%02x:%02x:%02x" % tuple(map(int, ip.split(".")))
    out = p.stdout
    assert "inet %s/%d" % (ip, ns["IPPrefixLen"]) in out
    assert "default via %s dev eth0" % gw in out and "gw-ok" in out
    assert "10.9.8.7\tdb.example" in out and "%s\tbox1" % ip in out
    assert "nameserver 10.1.2.3" in out and "search corp.example" in out
    assert "options ndots:2" in out and out.rstrip().endswith("box1")
    # the subnet is persisted with the default network, the bridge has the gateway
    net = d.get_json("/networks/bridge")
    assert net["IPAM"]["Config"][0]["Gateway"] == gw
    addrs = subprocess.run(["ip", "-o", "-4", "addr", "show", d.bridge], capture_output=True,
                           text=True).stdout
    assert "inet %s/" % gw in addrs
    assert_no_leaks(d)


def test_user_network_names_and_aliases(d):
    d.docker("network", "create", "--subnet", "10.231.7.0/24", "--label", "t=1", "tnet")
    try:
        d.docker("run", "-d", "--name", "srv", "--network", "tnet", "--network-alias", "web",
                 "--ip", "10.231.7.50", "busybox", "sh", "-c", HTTPD)
        sid = d.docker("inspect", "-f", "{{.Id}}", "srv").stdout.strip()
        p = d.docker("run", "--rm", "--network", "tnet", "--dns", "127.0.0.1", "busybox", "sh", "-c",
                     "cat /etc/resolv.conf; ping -c1 -W5 srv >/dev/null && echo ping-ok; "
                     + GET % "web" + "; " + GET % sid[:12] + "; nslookup srv 127.0.0.11")
        assert "nameserver 127.0.0.11" in p.stdout and "ping-ok" in p.stdout
        assert p.stdout.count("hello-%s" % sid[:12]) == 2
        assert "10.231.7.50" in p.stdout
        net = d.get_json("/networks/tnet")
        assert net["Labels"] == {"t": "1"}
        assert net["IPAM"]["Config"][0]["Subnet"] == "10.231.7.0/24"
        assert net["Containers"][sid]["IPv4Address"] == "10.231.7.50/24"
        ls = d.docker("network", "ls", "--filter", "label=t=1", "--format", "{{.Name}}")
        assert ls.stdout.split() == ["tnet"]
        # the default bridge keeps Docker's behaviour: no names; and networks are isolated
        p = d.docker("run", "--rm", "--dns", "127.0.0.1", "busybox", "sh", "-c",
                     "ping -c1 -W2 srv >/dev/null 2>&1 || echo no-name; "
                     + GET % "10.231.7.50" + " || true", check=False)
        assert "no-name" in p.stdout and "hello" not in p.stdout
        # a renamed container answers to its new name
        d.docker("rename", "srv", "srv9")
        p = d.docker("run", "--rm", "--network", "tnet", "--dns", "127.0.0.1", "busybox", "sh",
                     "-c", GET % "srv9")
        assert p.stdout.startswith("hello-")
        # an internal network: no default route, nothing masqueraded; its MTU as asked
        d.docker("network", "create", "--internal", "-o", "com.docker.network.driver.mtu=1280",
                 "tint")
        p = d.docker("run", "--rm", "--network", "tint", "busybox", "sh", "-c",
                     "ip route; cat /sys/class/net/eth0/mtu")
        assert p.stdout and "default" not in p.stdout and p.stdout.split()[-1] == "1280"
        assert d.get_json("/networks/tint")["Internal"] is True
    finally:
        d.docker("rm", "-f", "srv", "srv9", check=False)
        d.docker("network", "rm", "tnet")
        d.docker("network", "rm", "tint", check=False)
    assert_no_leaks(d)


def test_published_ports_from_localhost(d):
    port = free_port()
    lo = 20000 + int.from_bytes(os.urandom(2), "big") % 20000
    d.docker("run", "-d", "--name", "pub", "-p", "127.0.0.1:%d:80" % port, "-p", "127.0.0.1::80",
             "-p", "127.0.0.1:%d-%d:8080/udp" % (lo, lo + 20), "--expose", "7000", "-P",
             "busybox", "sh", "-c", HTTPD)
    try:
        cid = d.docker("inspect", "-f", "{{.Id}}", "pub").stdout.strip()
        assert http_get("http://127.0.0.1:%d/" % port).strip() == "hello-%s" % cid[:12]
        out = d.docker("port", "pub").stdout
        assert "80/tcp -> 127.0.0.1:%d" % port in out and "7000/tcp -> 0.0.0.0:" in out
        udp = [int(line.rsplit(":", 1)[1]) for line in out.splitlines()
               if line.startswith("8080/udp -> 127.0.0.1:")]
        assert len(udp) == 1 and lo <= udp[0] <= lo + 20  # the first free one of the range
        rnd = [int(line.rsplit(":", 1)[1]) for line in out.splitlines()
               if line.startswith("80/tcp") and ":%d" % port not in line]
        assert len(rnd) == 1 and http_get("http://127.0.0.1:%d/" % rnd[0]).startswith("hello")
        # the port is held: nobody else can bind it
        s = socket.socket()
        with pytest.raises(OSError):
            s.bind(("127.0.0.1", port))
        s.close()
        # a second container wanting the same port fails to start, nothing half-made
        p = d.docker("run", "--name", "pub2", "-p", "127.0.0.1:%d:80" % port, "busybox", "true",
                     check=False)
        assert p.returncode != 0 and "address already in use" in p.stderr
        st = json.loads(d.docker("inspect", "pub2").stdout)[0]
        assert st["State"]["Running"] is False and st["NetworkSettings"]["IPAddress"] == ""
        assert len(ports_rules(d)) == 4
    finally:
        d.docker("rm", "-f", "pub", "pub2", check=False)
    assert_no_leaks(d)


def test_none_host_and_container_modes(d):
    p = d.docker("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net")
    assert p.stdout.split() == ["lo"]
    p = d.docker("run", "--rm", "--mac-address", "02:11:22:33:44:55", "busybox", "cat",
                 "/sys/class/net/eth0/address")
    assert p.stdout.strip() == "02:11:22:33:44:55"
    p = d.docker("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
    # the host's own interfaces (others come and go with concurrent daemons)
    host = {n for n in os.listdir("/sys/class/net") if not n.startswith(("veth", "bt", "br-"))}
    assert host <= set(p.stdout.split()) and len(host) > 1
    d.docker("run", "-d", "--name", "owner", "busybox", "sleep", "60")
    try:
        ip = d.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "owner").stdout.strip()
        p = d.docker("run", "--rm", "--network", "container:owner", "busybox",
                     "ip", "-o", "-4", "addr", "show", "eth0")
        assert "inet %s/" % ip in p.stdout
    finally:
        d.docker("rm", "-f", "owner")
    assert_no_leaks(d)


def test_connect_disconnect_live(d):
    d.docker("network", "create", "live1")
    try:
        d.docker("run", "-d", "--name", "srv2", "busybox", "sh", "-c", HTTPD)
        d.docker("run", "-d", "--name", "cli2", "--network", "live1", "--dns", "127.0.0.1",
                 "busybox", "sleep", "60")
        # a legacy --link on the default bridge: an /etc/hosts entry
        p = d.docker("run", "--rm", "--link", "srv2:websrv", "busybox", "sh", "-c",
                     GET % "websrv" + "; env | sort | grep ^WEBSRV_")
        assert p.stdout.startswith("hello-") and "\nWEBSRV_NAME=/" in p.stdout
        d.docker("create", "--name", "lnk2", "--link", "srv2:x1", "busybox", "true")
        d.docker("rm", "--link", "lnk2/x1")
        assert d.docker("inspect", "-f", "{{.HostConfig.Links}}", "lnk2").stdout.strip() == "[]"
        d.docker("rm", "lnk2")
        get = GET % "srv2"
        assert "hello" not in d.docker("exec", "cli2", "sh", "-c", get, check=False).stdout
        d.docker("network", "connect", "--alias", "api", "live1", "srv2")
        ins = json.loads(d.docker("inspect", "srv2").stdout)[0]["NetworkSettings"]["Networks"]
        assert set(ins) == {"bridge", "live1"} and ins["live1"]["IPAddress"]
        assert "hello-" in d.docker("exec", "cli2", "sh", "-c", GET % "api").stdout
        assert "eth1" in d.docker("exec", "srv2", "ls", "/sys/class/net").stdout
        d.docker("network", "disconnect", "live1", "srv2")
        assert "eth1" not in d.docker("exec", "srv2", "ls", "/sys/class/net").stdout
        assert "hello" not in d.docker("exec", "cli2", "sh", "-c", get, check=False).stdout
    finally:
        d.docker("rm", "-f", "srv2", "cli2", check=False)
        d.docker("network", "rm", "live1")
    assert_no_leaks(d)


def create(d, **body):
    return d.request("POST", "/networks/create", json.dumps(body),
                     {"Content-Type": "application/json"})


def test_bad_input(d):
    r = create(d, Name="bad1", IPAM={"Config": [{"Subnet": "10.300.0.0/16"}]})
    assert r.status == 400 and "invalid CIDR address: 10.300.0.0/16" in r.message
    r = create(d, Name="bad1", IPAM={"Config": [{"Subnet": "10.232.0.0/16",
                                                 "Gateway": "10.9.0.1"}]})
    assert r.status == 400
    assert create(d, Name="ok1", IPAM={"Config": [{"Subnet": "10.232.0.0/16"}]}).status == 201
    try:
        r = create(d, Name="bad2", IPAM={"Config": [{"Subnet": "10.232.5.0/24"}]})
        assert r.status == 403 and "overlaps" in r.message
        assert create(d, Name="ok1").status == 409
        assert create(d, Name="nx", Driver="nosuch").status == 404
        # a host interface's name is never taken over as a bridge (rm would delete it)
        r = create(d, Name="nx", Options={"com.docker.network.bridge.name": "lo"})
        assert r.status == 409 and "already in use" in r.message
        assert os.path.exists("/sys/class/net/lo") and not os.path.exists("/sys/class/net/lo/bridge")
        r = d.request("POST", "/networks/nosuch/connect", json.dumps({"Container": "x"}),
                      {"Content-Type": "application/json"})
        assert r.status == 404
        p = d.docker("network", "connect", "nosuchnet", "nosuchcontainer", check=False)
        assert p.returncode != 0
        assert d.request("DELETE", "/networks/bridge").status == 403
        assert d.request("GET", "/networks/nosuch").status == 404
        p = d.docker("run", "--rm", "--network", "nosuchnet", "busybox", "true", check=False)
        assert p.returncode != 0 and "network nosuchnet not found" in p.stderr
        p = d.docker("run", "--rm", "--ip", "10.1.1.1", "busybox", "true", check=False)
        assert p.returncode != 0 and "user defined networks" in p.stderr
        d.docker("run", "-d", "--name", "user1", "--network", "ok1", "busybox", "sleep", "60")
        assert d.request("DELETE", "/networks/ok1").status == 403
        d.docker("rm", "-f", "user1")
    finally:
        d.docker("rm", "-f", "user1", check=False)
        d.docker("network", "rm", "ok1", check=False)
    names = [n["Name"] for n in d.get_json("/networks")]
    assert sorted(names) == ["bridge", "host", "none"]
    assert_no_leaks(d)


def test_prune(d):
    d.docker("network", "create", "--label", "keep=1", "pk1")
    d.docker("network", "create", "pk2")
    d.docker("network", "create", "pk3")
    d.docker("run", "-d", "--name", "pkc", "--network", "pk3", "busybox", "sleep", "60")
    try:
        p = d.docker("network", "prune", "-f", "--filter", "label!=keep=1")
        assert "pk2" in p.stdout and "pk1" not in p.stdout and "pk3" not in p.stdout
        names = {n["Name"] for n in d.get_json("/networks")}
        assert {"pk1", "pk3"} <= names and "pk2" not in names
    finally:
        d.docker("rm", "-f", "pkc")
        d.docker("network", "rm", "pk1", "pk3")
    assert_no_leaks(d)


def test_teardown_after_the_exit(d):
    """A stopped container's veth is deleted after its exit is answered: a start that asks
    for an address it held waits for it (--ip), and network rm waits for its veths."""
    d.docker("network", "create", "--subnet", "10.213.7.0/24", "reap1")
    try:
        for _ in range(3):
            d.docker("run", "--rm", "--network", "reap1", "--ip", "10.213.7.9", "busybox",
                     "true")
        d.docker("run", "-d", "--name", "reap-a", "--network", "reap1", "--ip", "10.213.7.10",
                 "busybox", "sleep", "60")
        d.docker("rm", "-f", "reap-a")
        p = d.docker("run", "--rm", "--network", "reap1", "--ip", "10.213.7.10", "busybox",
                     "ip", "-o", "-4", "addr", "show", "eth0")
        assert "inet 10.213.7.10/24" in p.stdout
        d.docker("run", "--rm", "--network", "reap1", "busybox", "true")
    finally:
        d.docker("rm", "-f", "reap-a", check=False)
        d.docker("network", "rm", "reap1")
    assert_no_leaks(d)


def test_daemon_kill_during_teardown(tmp_path):
    """kill -9 of the daemon while the veths of containers just removed are still being
    deleted: the kernel deletes them with their namespaces, the restarted daemon holds no
    address for them and hands the addresses out again."""
    d = Daemon(tmp_path)
    d.start()
    try:
        import_busybox(d, tmp_path)
        ids = [d.docker("run", "-d", "busybox", "sleep", "60").stdout.strip() for _ in range(4)]
        d.docker("rm", "-f", *ids)
        d.stop(signal.SIGKILL, cleanup_net=False)
        d.start()
        assert_no_leaks(d)
        p = d.docker("run", "--rm", "busybox", "ip", "-o", "-4", "addr", "show", "eth0")
        assert "inet " in p.stdout
        assert_no_leaks(d)
    finally:
        assert d.stop() == 0


def test_restore_after_daemon_kill(tmp_path):
    """kill -9 of the daemon: the running container keeps its address and port after the
    restart; its exit then frees everything."""
    d = Daemon(tmp_path)
    d.start()
    try:
        import_busybox(d, tmp_path)
        port = free_port()
        d.docker("run", "-d", "--name", "kk", "-p", "127.0.0.1:%d:80" % port, "-p", "80",
                 "busybox", "sh", "-c", HTTPD)
        assert http_get("http://127.0.0.1:%d/" % port).startswith("hello")
        d.stop(signal.SIGKILL, cleanup_net=False)
        d.start()
        assert http_get("http://127.0.0.1:%d/" % port).startswith("hello")
        assert len(ports_rules(d)) == 2
        # a clean stop that also loses the bridge and the table (as the test helper's
        # teardown does): the next start makes them again around the live container
        d.stop()
        assert not os.path.exists("/sys/class/net/%s" % d.bridge)
        d.start()
        assert http_get("http://127.0.0.1:%d/" % port).startswith("hello")
        # from another container through the gateway (hairpin NAT) to the 0.0.0.0 port
        gw = d.get_json("/networks/bridge")["IPAM"]["Config"][0]["Gateway"]
        any_port = d.docker("port", "kk", "80").stdout.split()
        any_port = [int(x.rsplit(":", 1)[1]) for x in any_port if x.startswith("0.0.0.0:")][0]
        p = d.docker("run", "--rm", "busybox", "sh", "-c", GET.replace(" 80 ", " %d " % any_port)
                     % gw)
        assert p.stdout.startswith("hello-")
        d.docker("rm", "-f", "kk")
        assert_no_leaks(d)
    finally:
        d.docker("rm", "-f", "kk", check=False)
        assert d.stop() == 0
