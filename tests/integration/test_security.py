"""Security defaults as Docker's, seen from inside a container run with the real docker CLI:
no host processes, read-only /proc/sys and /sys, no module loading, mount or keyctl (default
seccomp profile and capabilities), no privilege gain through setuid under no-new-privileges,
no device outside the cgroup whitelist; and --privileged, --cap-add, seccomp=unconfined and
custom profiles lifting exactly what they should."""

import io
import json
import os
import subprocess
import tarfile

import pytest

import helpers
from test_daemon_common import Daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

EPERM = "errno=1"
HELPER = "/bin/sechelper"


def add_file(tar, name, data, mode, uid=0):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.uid = info.gid = uid
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    base = tmp_path_factory.mktemp("berthd-sec")
    plain = base / "rootfs.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkrootfs"), "--tar", str(plain)],
                   check=True, capture_output=True, timeout=120)
    helper = base / "sechelper"
    subprocess.run(["cc", "-static", "-O1", "-o", str(helper),
                    str(helpers.TOP / "tests" / "helpers" / "sechelper.c")],
                   check=True, capture_output=True, timeout=120)
    # the busybox root plus the helper, setuid root, and a user to run it as
    tar = base / "sec.tar"
    with tarfile.open(plain) as src, tarfile.open(tar, "w") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
        add_file(dst, "bin/sechelper", helper.read_bytes(), 0o4755)
    plain.unlink()
    dm = Daemon(base)
    dm.start()
    dm.docker("import", "-c", 'CMD ["sh"]', "-c",
              "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              str(tar), "sectest:latest")
    tar.unlink()
    yield dm
    left = dm.docker("ps", "-aq").stdout.split()
    if left:
        dm.docker("rm", "-f", *left, check=False)
    assert dm.stop() == 0, dm.log()
    assert not [line for line in open("/proc/self/mountinfo") if str(base) in line]


def run(d, *args, check=True):
    """docker run --rm ARGS; returns stdout stripped."""
    p = d.docker("run", "--rm", *args, check=check)
    return p.stdout.strip() if check else p


def sh(d, script, *opts):
    return run(d, *opts, "sectest", "sh", "-c", script)


def test_host_processes_are_invisible(d):
    out = sh(d, "ls /proc | grep -E '^[0-9]+$'")
    pids = [int(p) for p in out.split()]
    # the shell (pid 1), and ls/grep: nothing of the host, whose pids are far higher
    assert 1 in pids and len(pids) <= 4, pids
    assert sh(d, "cat /proc/1/cmdline | tr '\\0' ' '").startswith("sh -c")
    assert str(d.proc.pid) not in pids


def test_proc_sys_and_sys_are_read_only(d):
    out = sh(d, "exec 2>&1; echo 1 > /proc/sys/net/ipv4/ip_forward; echo rc=$?; "
                "echo 1500 > /sys/class/net/lo/mtu; echo rc=$?; "
                "echo x > /proc/sys/kernel/domainname; echo rc=$?")
    assert out.count("Read-only file system") == 3 and "rc=0" not in out, out
    # --privileged: both writable (a namespaced knob and the container's own loopback)
    out = sh(d, "echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward;"
                "echo 1400 > /sys/class/net/lo/mtu && cat /sys/class/net/lo/mtu", "--privileged")
    assert out.split() == ["1", "1400"], out


def test_masked_paths(d):
    # masked: files read as empty (/dev/null over them), directories as an empty tmpfs
    out = sh(d, "cat /proc/keys | wc -c; cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l")
    assert out.split() == ["0", "0", "0"], out
    out = sh(d, "cat /proc/timer_list | wc -c", "--privileged")
    assert int(out) > 0


def test_no_kernel_modules(d):
    assert run(d, "sectest", HELPER, "init_module") == EPERM
    assert run(d, "sectest", HELPER, "finit_module") == EPERM
    # even with the capability asked for, the filter lets the call through only then
    out = run(d, "--cap-add", "SYS_MODULE", "sectest", HELPER, "init_module", check=False)
    assert out.returncode != 0 or out.stdout.strip() != "ok"


def test_no_mount(d):
    assert run(d, "sectest", HELPER, "mount") == EPERM
    assert run(d, "sectest", HELPER, "unshare") == EPERM
    out = sh(d, "mount -t tmpfs none /mnt 2>&1; echo rc=$?")
    assert "rc=1" in out and "denied" in out, out
    # CAP_SYS_ADMIN lifts both the capability check and the seccomp rules on mount
    assert run(d, "--cap-add", "SYS_ADMIN", "sectest", HELPER, "mount") == "ok"
    assert sh(d, "mount -t tmpfs none /mnt && echo mounted", "--privileged") == "mounted"


def test_no_keyctl(d):
    assert run(d, "sectest", HELPER, "keyctl") == EPERM
    assert run(d, "sectest", HELPER, "add_key") == EPERM
    assert run(d, "--security-opt", "seccomp=unconfined", "sectest", HELPER, "keyctl") == "ok"
    assert run(d, "--privileged", "sectest", HELPER, "keyctl") == "ok"


def test_setuid_and_no_new_privileges(d):
    assert run(d, "-u", "65534", "sectest", HELPER, "euid") == "0"
    assert run(d, "-u", "65534", "--security-opt", "no-new-privileges", "sectest", HELPER,
               "euid") == "65534"
    assert run(d, "-u", "65534", "--security-opt", "no-new-privileges=true", "sectest",
               HELPER, "euid") == "65534"
    assert run(d, "-u", "65534", "--security-opt", "no-new-privileges:false", "sectest",
               HELPER, "euid") == "0"
    cid = d.docker("create", "--security-opt", "no-new-privileges", "sectest").stdout.strip()
    try:
        hc = json.loads(d.docker("inspect", cid).stdout)[0]["HostConfig"]
        assert hc["SecurityOpt"] == ["no-new-privileges"]
    finally:
        d.docker("rm", cid)


def test_devices_outside_the_whitelist(d):
    # mknod is allowed (c *:* m, as Docker) but /dev/fuse can't be opened; /dev/null can
    script = "mknod /tmp/fuse c 10 229 && %s open /tmp/fuse; %s open /dev/null" % (HELPER, HELPER)
    assert sh(d, script).split() == [EPERM, "ok"]
    assert sh(d, script, "--device-cgroup-rule", "c 10:229 r").split() == ["ok", "ok"]
    assert sh(d, script, "--privileged").split() == ["ok", "ok"]


def test_capabilities(d):
    caps = sh(d, "grep CapEff /proc/self/status")
    assert caps.split()[1] == "00000000a80425fb", caps  # Docker's 14 default capabilities
    dropped = sh(d, "grep CapEff /proc/self/status", "--cap-drop", "CHOWN")
    assert int(dropped.split()[1], 16) == 0xa80425fb & ~1
    p = run(d, "--cap-drop", "CHOWN", "sectest", "chown", "65534", "/tmp", check=False)
    assert p.returncode == 1 and "Operation not permitted" in p.stderr, p.stderr
    none = sh(d, "grep CapEff /proc/self/status", "--cap-drop", "ALL")
    assert int(none.split()[1], 16) == 0
    net = sh(d, "grep CapEff /proc/self/status", "--cap-add", "NET_ADMIN")
    assert int(net.split()[1], 16) == 0xa80425fb | (1 << 12)
    bad = run(d, "--cap-add", "NOPE", "sectest", "true", check=False)
    assert bad.returncode != 0 and "NOPE" in bad.stderr


def test_seccomp_modes(d):
    assert sh(d, "grep '^Seccomp:' /proc/self/status").split()[1] == "2"
    assert sh(d, "grep '^Seccomp:' /proc/self/status",
              "--security-opt", "seccomp=unconfined").split()[1] == "0"
    assert sh(d, "grep '^Seccomp:' /proc/self/status", "--privileged").split()[1] == "0"


def test_custom_seccomp_profile(d, tmp_path):
    prof = tmp_path / "profile.json"
    prof.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
                     {"names": ["keyctl"], "action": "SCMP_ACT_ERRNO",
                      "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}))
    out = sh(d, "mkdir /x 2>&1; %s keyctl" % HELPER, "--security-opt", "seccomp=%s" % prof)
    assert "Operation not permitted" in out and out.endswith("ok"), out
    out = sh(d, "%s keyctl" % HELPER, "--security-opt", "seccomp=%s" % prof,
             "--cap-add", "SYS_ADMIN")
    assert out == EPERM


def test_bad_security_opts_are_refused(d, tmp_path):
    prof = tmp_path / "bad.json"
    prof.write_text('{"defaultAction": "SCMP_ACT_NOPE"}')
    for opt, msg in (("foo=bar", 'invalid --security-opt 2: "foo=bar"'),
                     ("no-new-privileges=maybe", "invalid --security-opt 2"),
                     ("seccomp=%s" % prof, "SCMP_ACT_NOPE")):
        p = d.docker("create", "--security-opt", opt, "sectest", check=False)
        assert p.returncode != 0 and msg in p.stderr, (opt, p.stderr)
    r = d.request("POST", "/v1.45/containers/create",
                  body=json.dumps({"Image": "sectest",
                                   "HostConfig": {"SecurityOpt": ["seccomp={not json"]}}),
                  headers={"Content-Type": "application/json"})
    assert r.status == 400 and "seccomp profile" in r.message, (r.status, r.data)
    assert d.docker("ps", "-aq").stdout.split() == []


def test_device_option(d):
    # --device: the node appears and its cgroup rule lets it open; others stay closed
    out = run(d, "--device", "/dev/fuse", "sectest", "sh", "-c",
              "%s open /dev/fuse; mknod /tmp/k c 1 11; %s open /tmp/k" % (HELPER, HELPER))
    assert out.split() == ["ok", EPERM], out
    out = run(d, "--device", "/dev/fuse:/dev/f2:r", "sectest", "sh", "-c",
              "ls /dev/f2 && %s open /dev/f2" % HELPER)
    assert out.split() == ["/dev/f2", "ok"], out
    p = run(d, "--device", "/dev/berth-no-such-device", "sectest", "true", check=False)
    assert p.returncode != 0 and "error gathering device information" in p.stderr, p.stderr
    # --privileged: the host's devices are there
    out = sh(d, "ls /dev/fuse /dev/kmsg", "--privileged")
    assert out.split() == ["/dev/fuse", "/dev/kmsg"], out


def test_berth_cli_sends_the_profile(d, tmp_path):
    # as the docker CLI: the file's JSON goes in SecurityOpt, the daemon reads no client file
    from test_daemon_common import BERTH
    prof = tmp_path / "p.json"
    prof.write_text('{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [{"names": ["mkdir",'
                    ' "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}')
    p = subprocess.run([str(BERTH), "run", "--rm", "--security-opt", "seccomp=%s" % prof,
                        "sectest", "sh", "-c", "mkdir /x 2>&1; echo rc=$?"],
                       capture_output=True, text=True, env=d.env(), timeout=60)
    assert "Operation not permitted" in p.stdout and "rc=1" in p.stdout, (p.stdout, p.stderr)
    p = subprocess.run([str(BERTH), "create", "--security-opt", "seccomp=%s/none.json" % tmp_path,
                        "sectest"], capture_output=True, text=True, env=d.env(), timeout=60)
    assert p.returncode != 0 and "opening seccomp profile" in p.stderr, p.stderr
