"""Legacy container links (--link, HostConfig.Links) as dockerd makes them on the default
bridge: /etc/hosts and ALIAS_* variables inside the container, inspect's "/target:/me/alias"
form, the link among the target's names, `docker rm --link`, and dockerd's errors; on a
user network a link is an alias the embedded DNS resolves."""

import os

import pytest

from test_daemon_common import busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-links"))


@pytest.fixture(scope="module")
def target(d):
    d.docker("run", "-d", "--name", "ltgt", "-e", "FOO=bar baz", "--expose", "80",
             "--expose", "53/udp", "--expose", "7000-7002", "busybox", "sleep", "600")
    ip = d.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "ltgt").stdout.strip()
    assert ip
    yield ip
    d.docker("rm", "-f", "ltgt")


def test_link_env_and_hosts_inside(d, target):
    out = d.docker("run", "--rm", "--name", "lme", "--link", "ltgt:db", "busybox", "sh", "-c",
                   "cat /etc/hosts; echo ===; env").stdout
    hosts, env = out.split("===\n")
    line = [l for l in hosts.splitlines() if l.startswith(target + "\t")]
    assert line and line[0].split()[1:2] == ["db"] and line[0].split()[-1] == "ltgt", hosts
    env = set(env.splitlines())
    for want in ("DB_NAME=/lme/db", "DB_ENV_FOO=bar baz",
                 "DB_PORT=udp://%s:53" % target,  # the lowest port comes first
                 "DB_PORT_80_TCP=tcp://%s:80" % target,
                 "DB_PORT_80_TCP_ADDR=" + target, "DB_PORT_80_TCP_PORT=80",
                 "DB_PORT_80_TCP_PROTO=tcp",
                 "DB_PORT_53_UDP_ADDR=" + target, "DB_PORT_53_UDP_PROTO=udp",
                 # a run of ports: its start and end
                 "DB_PORT_7000_TCP_START=tcp://%s:7000" % target,
                 "DB_PORT_7000_TCP_PORT_START=7000", "DB_PORT_7000_TCP_END=tcp://%s:7002" % target,
                 "DB_PORT_7000_TCP_PORT_END=7002", "DB_PORT_7001_TCP_PORT=7001"):
        assert want in env, (want, env)
    # the target's PATH and HOME are not passed on
    assert not [v for v in env if v.startswith(("DB_ENV_PATH=", "DB_ENV_HOME="))]


def test_link_without_alias_and_inspect_form(d, target):
    d.docker("create", "--name", "lnk1", "--link", "ltgt:db", "--link", "ltgt", "busybox",
             "true")
    try:
        links = d.get_json("/containers/lnk1/json")["HostConfig"]["Links"]
        assert sorted(links) == ["/ltgt:/lnk1/db", "/ltgt:/lnk1/ltgt"]
        # the target lists the links among its names (docker ps --no-trunc)
        names = [c["Names"] for c in d.get_json("/containers/json?all=1")
                 if c["Names"][0] == "/ltgt"][0]
        assert sorted(names) == ["/lnk1/db", "/lnk1/ltgt", "/ltgt"]
        d.docker("rm", "--link", "/lnk1/db")
        links = d.get_json("/containers/lnk1/json")["HostConfig"]["Links"]
        assert links == ["/ltgt:/lnk1/ltgt"]
        # both containers are still there
        assert d.docker("inspect", "-f", "{{.State.Running}}", "ltgt").stdout.strip() == "true"
        p = d.docker("rm", "--link", "/lnk1/nosuch", check=False)
        assert p.returncode != 0
        # the link is to the container: a renamed target stays linked
        d.docker("rename", "ltgt", "ltgt2")
        try:
            links = d.get_json("/containers/lnk1/json")["HostConfig"]["Links"]
            assert links == ["/ltgt2:/lnk1/ltgt"]
            d.docker("start", "lnk1")
        finally:
            d.docker("rename", "ltgt2", "ltgt")
    finally:
        d.docker("rm", "-f", "lnk1")


def test_link_errors_as_dockerd(d, target):
    p = d.docker("create", "--link", "nosuchctr:x", "busybox", "true", check=False)
    assert p.returncode != 0
    assert "could not get container for nosuchctr" in p.stderr
    p = d.docker("create", "--network", "host", "--link", "ltgt:x", "busybox", "true",
                 check=False)
    assert "host type networking can't be used with links" in p.stderr
    # a stopped target: created fine, refused at start
    d.docker("create", "--name", "lstopped", "busybox", "true")
    d.docker("create", "--name", "lnk2", "--link", "lstopped:x", "busybox", "true")
    try:
        p = d.docker("start", "lnk2", check=False)
        assert p.returncode != 0
        assert "Cannot link to a non running container: /lstopped AS /lnk2/x" in p.stderr
    finally:
        d.docker("rm", "-f", "lnk2", "lstopped")
    before = d.docker("ps", "-aq").stdout.split()
    d.docker("create", "--link", "nosuchctr:x", "busybox", "true", check=False)
    assert d.docker("ps", "-aq").stdout.split() == before


def test_link_on_user_network_is_a_dns_alias(d):
    d.docker("network", "create", "lnet")
    try:
        d.docker("run", "-d", "--name", "lsrv", "--network", "lnet", "busybox", "sleep", "600")
        ip = d.docker("inspect", "-f", "{{.NetworkSettings.Networks.lnet.IPAddress}}",
                      "lsrv").stdout.strip()
        out = d.docker("run", "--rm", "--network", "lnet", "--link", "lsrv:alias1", "busybox",
                       "sh", "-c", "nslookup alias1 127.0.0.11; env").stdout
        assert "Address: " + ip in out, out
        assert "ALIAS1_NAME" not in out
    finally:
        d.docker("rm", "-f", "lsrv", check=False)
        d.docker("network", "rm", "lnet")
