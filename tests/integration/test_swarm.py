"""Single-node swarm mode with the docker CLI: init (the state on disk, the ingress network),
inspect, nodes, docker info's Swarm section, update and token rotation, overlay networks
(scope, attachable realised as a local bridge so `docker run --network` works, ingress,
dockerd's refusals outside a swarm), leave (force only) taking the swarm networks along,
and the state surviving a daemon restart."""

import json
import os

import pytest

from test_daemon_common import busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-swarm"))


def info_swarm(d):
    return json.loads(d.docker("info", "--format", "{{json .Swarm}}").stdout)


def fails(d, *args):
    p = d.docker(*args, check=False)
    assert p.returncode != 0, (args, p.stdout)
    return p.stderr


@pytest.fixture
def swarm(d):
    out = d.docker("swarm", "init", "--advertise-addr", "127.0.0.1").stdout
    node = out.split("current node (")[1].split(")")[0]
    yield node
    d.docker("swarm", "leave", "--force", check=False)


def test_outside_a_swarm(d):
    s = info_swarm(d)
    assert s["LocalNodeState"] == "inactive" and s["NodeID"] == ""
    assert "not a swarm manager" in fails(d, "network", "create", "-d", "overlay", "ov0")
    assert "swarm is not active" in fails(d, "network", "create", "--scope", "swarm", "sw0")
    assert "not part of a swarm" in fails(d, "swarm", "leave", "--force")
    assert "not a swarm manager" in fails(d, "node", "ls")
    assert "not a swarm manager" in fails(d, "swarm", "join-token", "worker")
    assert "single-node swarms only" in fails(
        d, "swarm", "join", "--token", "SWMTKN-1-x-y", "127.0.0.1:2377")
    assert "ov0" not in d.docker("network", "ls").stdout


def test_init_inspect_info_nodes(d, swarm):
    assert len(swarm) == 25
    st = json.loads((d.root / "swarm" / "state.json").read_text())
    assert st["NodeID"] == swarm
    s = info_swarm(d)
    assert (s["LocalNodeState"], s["NodeID"], s["ControlAvailable"]) == ("active", swarm, True)
    assert (s["Nodes"], s["Managers"], s["NodeAddr"]) == (1, 1, "127.0.0.1")
    assert s["RemoteManagers"] == [{"NodeID": swarm, "Addr": "127.0.0.1:2377"}]
    cluster = d.get_json("/swarm")
    assert cluster["Spec"]["Name"] == "default" and cluster["Version"]["Index"] > 0
    worker = d.docker("swarm", "join-token", "-q", "worker").stdout.strip()
    assert worker.startswith("SWMTKN-1-") and worker == cluster["JoinTokens"]["Worker"]
    assert "already part of a swarm" in fails(d, "swarm", "init")
    nodes = d.docker("node", "ls", "--format", "{{.ID}} {{.Status}} {{.ManagerStatus}}").stdout
    assert nodes.split() == [swarm, "Ready", "Leader"]
    node = json.loads(d.docker("node", "inspect", "self").stdout)[0]
    assert node["ID"] == swarm and node["Spec"]["Role"] == "manager"
    assert "not found" in fails(d, "node", "inspect", "nosuchnode")
    d.docker("node", "update", "--label-add", "zone=a", "--availability", "drain", swarm)
    node = json.loads(d.docker("node", "inspect", "self").stdout)[0]
    assert node["Spec"]["Labels"] == {"zone": "a"} and node["Spec"]["Availability"] == "drain"
    assert "demote the last manager" in fails(d, "node", "demote", swarm)
    assert "must be demoted" in fails(d, "node", "rm", "--force", swarm)
    # a manager leaves only with --force
    assert "--force" in fails(d, "swarm", "leave")
    assert info_swarm(d)["LocalNodeState"] == "active"


def test_update_and_rotation(d, swarm):
    before = d.get_json("/swarm")
    d.docker("swarm", "update", "--task-history-limit", "7")
    after = d.get_json("/swarm")
    assert after["Spec"]["Orchestration"]["TaskHistoryRetentionLimit"] == 7
    assert after["Version"]["Index"] > before["Version"]["Index"]
    old = after["JoinTokens"]["Worker"]
    d.docker("swarm", "join-token", "--rotate", "-q", "worker")
    assert d.get_json("/swarm")["JoinTokens"]["Worker"] != old
    # a stale version is refused, nothing changes
    r = d.request("POST", "/swarm/update?version=%d" % before["Version"]["Index"],
                  body=json.dumps(before["Spec"]).encode())
    assert r.status == 500 and "out of sequence" in r.message
    assert d.get_json("/swarm")["Spec"]["Orchestration"]["TaskHistoryRetentionLimit"] == 7
    d.docker("swarm", "update", "--autolock=true")
    key = d.docker("swarm", "unlock-key", "-q").stdout.strip()
    assert key.startswith("SWMKEY-1-")


def test_overlay_networks(d, swarm):
    nets = {n["Name"]: n for n in d.get_json("/networks")}
    assert nets["ingress"]["Ingress"] is True and nets["ingress"]["Scope"] == "swarm"
    d.docker("network", "create", "-d", "overlay", "--attachable", "ova")
    d.docker("network", "create", "-d", "overlay", "ovn")
    d.docker("network", "create", "--scope", "local", "loc")
    try:
        ova = d.get_json("/networks/ova")
        assert (ova["Driver"], ova["Scope"], ova["Attachable"]) == ("overlay", "swarm", True)
        assert d.get_json("/networks/ova?scope=swarm")["Id"] == ova["Id"]
        assert d.request("GET", "/networks/ova?scope=local").status == 404
        assert d.request("GET", "/networks/loc?scope=global").status == 404
        assert d.get_json("/networks/loc?scope=local")["Scope"] == "local"
        ls = d.docker("network", "ls", "--filter", "scope=swarm", "--format",
                      "{{.Name}}").stdout.split()
        assert sorted(ls) == ["ingress", "ova", "ovn"]
        assert "downgrade" in fails(d, "network", "create", "-d", "overlay", "--scope",
                                    "local", "x1")
        assert "already present" in fails(d, "network", "create", "-d", "overlay",
                                          "--ingress", "ing2")
        # an attachable overlay is a local bridge here: a container joins it
        subnet = ova["IPAM"]["Config"][0]["Subnet"]
        out = d.docker("run", "--rm", "--network", "ova", "busybox", "ip", "-4", "addr",
                       "show", "eth0").stdout
        assert "inet " + subnet.rsplit(".", 1)[0] + "." in out, out
        assert "not manually attachable" in fails(d, "run", "--rm", "--network", "ovn",
                                                   "busybox", "true")
        # ingress: removable, then made again with --ingress
        # (the CLI asks before removing it: the API, as docker-py's tests do)
        assert d.request("DELETE", "/networks/ingress").status == 204
        d.docker("network", "create", "-d", "overlay", "--ingress", "ing2")
        assert d.get_json("/networks/ing2")["Ingress"] is True
    finally:
        d.docker("network", "rm", "loc")


def test_leave_takes_the_swarm_networks(d, swarm):
    d.docker("network", "create", "-d", "overlay", "--attachable", "ovl")
    d.docker("run", "-d", "--name", "onovl", "--network", "ovl", "busybox", "sleep", "600")
    bridge = "br-" + d.get_json("/networks/ovl")["Id"][:12]
    assert os.path.exists("/sys/class/net/" + bridge)
    try:
        d.docker("swarm", "leave", "--force")
        assert info_swarm(d)["LocalNodeState"] == "inactive"
        names = [n["Name"] for n in d.get_json("/networks")]
        assert "ovl" not in names and "ingress" not in names
        assert not os.path.exists("/sys/class/net/" + bridge)
        assert not (d.root / "swarm" / "state.json").exists()
        # the container stays, off the network
        ins = d.get_json("/containers/onovl/json")
        assert ins["State"]["Running"] and "ovl" not in ins["NetworkSettings"]["Networks"]
    finally:
        d.docker("rm", "-f", "onovl")


def test_state_survives_restart(d, swarm):
    d.docker("network", "create", "-d", "overlay", "ovr")
    assert d.stop(cleanup_net=False) == 0
    d.start("-D")
    s = info_swarm(d)
    assert s["LocalNodeState"] == "active" and s["NodeID"] == swarm
    assert d.get_json("/networks/ovr")["Scope"] == "swarm"
