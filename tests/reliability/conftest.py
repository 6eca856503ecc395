"""Shared by the reliability tests: the integration suite's Daemon helper, a busybox image made
offline, the consistency check (GET /system/check, what `berth system check` prints), the
host state a daemon owns (mounts, cgroups, monitor processes), and the scale knob."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import helpers  # noqa: E402
import sanitizer  # noqa: E402
from sanitizer import _sanitizer_reports  # noqa: E402,F401 (autouse: a report fails the test)
from test_daemon_common import DOCKER, Daemon, monitors_of  # noqa: E402

FULL = os.environ.get("RELIABILITY", "short") == "full"


def pytest_configure(config):
    config._berth_sanitizer_dir = sanitizer.configure_session()


def pytest_unconfigure(config):
    sanitizer.unconfigure_session(config._berth_sanitizer_dir)


def scale(short, full):
    return full if FULL else short


def figures(name, **kw):
    """One line the closing note quotes: FIGURES: name key=value ..."""
    print("\nFIGURES: %s %s" % (name, " ".join("%s=%s" % kv for kv in kw.items())))


@pytest.fixture(scope="session")
def rootfs_tar(tmp_path_factory):
    tar = tmp_path_factory.mktemp("rootfs") / "rootfs.tar"
    subprocess.run([str(helpers.TOP / "scripts" / "mkrootfs"), "--tar", str(tar)], check=True,
                   capture_output=True, timeout=120)
    return tar


def import_busybox(d, tar, name="busybox:latest"):
    d.docker("import", "-c", 'CMD ["sh"]', "-c",
             "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             str(tar), name)


def check(d):
    """The daemon's consistency check: the list of problems (empty when consistent)."""
    return d.get_json("/system/check")["Problems"]


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if str(path) in line.split()[4]]


def cgroups_of(ids):
    """Cgroup directories left for any of the container IDs (v1 hierarchies or v2)."""
    left = []
    base = Path("/sys/fs/cgroup")
    roots = [base] + [p for p in base.iterdir() if p.is_dir()]
    for r in roots:
        b = r / "berth"
        if not b.is_dir():
            continue
        for i in ids:
            if (b / i).exists():
                left.append(str(b / i))
    return left


def daemon_fds(d):
    return len(os.listdir("/proc/%d/fd" % d.proc.pid))


def daemon_rss_kb(d):
    for line in Path("/proc/%d/status" % d.proc.pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_for(pred, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def all_ids(d):
    return d.docker("ps", "-aq", "--no-trunc").stdout.split()


def remove_all(d):
    ids = all_ids(d)
    if ids:
        d.docker("rm", "-f", *ids, timeout=120)


@pytest.fixture
def daemon(tmp_path):
    """A daemon on tmp_path; whatever happens in the test, its containers are removed and
    it is stopped (with its bridge and rules) afterwards."""
    d = Daemon(tmp_path).start()
    yield d
    if d.proc and d.proc.poll() is None:
        try:
            remove_all(d)
        finally:
            d.stop()


def finish(d, ids_seen):
    """Removes every container, stops the daemon and asserts nothing of it is left."""
    remove_all(d)
    problems = check(d)
    rc = d.stop()
    assert rc == 0, d.log()[-20000:]
    assert problems == [], problems
    assert mounts_under(d.base) == []
    assert cgroups_of(ids_seen) == []
    assert monitors_of(d) == []


def inspect(d, cid):
    return json.loads(d.docker("inspect", cid).stdout)[0]
