"""Resource exhaustion: a daemon root on a small tmpfs that fills up (import, create and
container logs on a full disk give clear errors and leave the store consistent, and all
works again once space is freed); a fork bomb inside --pids-limit and a memory hog inside -m
stay inside their limits while the daemon keeps answering."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (Daemon, check, figures, import_busybox, inspect, remove_all, wait_for)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


def fill(path):
    """Writes path until the filesystem is full (unbuffered: nothing left to flush)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def ping_ms(d):
    t = time.time()
    assert d.request("GET", "/_ping").status == 200
    return (time.time() - t) * 1000


@pytest.fixture
def small_root(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "berth-rtest", str(mnt)],
                   check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk(tmp_path, small_root, rootfs_tar):
    base = tmp_path / "d"
    d = Daemon(base)
    d.root = small_root / "root"
    d.start()
    try:
        import_busybox(d, rootfs_tar)
        images0 = d.docker("images", "-q").stdout
        keep = d.docker("create", "busybox", "true").stdout.strip()
        filler = small_root / "filler"
        fill(filler)
        p = d.docker("import", str(rootfs_tar), "big:1", check=False)
        assert p.returncode != 0 and "no space left on device" in p.stderr.lower(), p.stderr
        p = d.docker("create", "busybox", "true", check=False)
        assert p.returncode != 0 and "no space left on device" in p.stderr.lower(), p.stderr
        assert d.docker("images", "-q").stdout == images0
        assert d.docker("ps", "-aq", "--no-trunc").stdout.split() == [keep]
        assert check(d) == []
        # logs on a full disk: the container runs to its end, the daemon keeps serving
        os.truncate(filler, os.path.getsize(filler) - (1 << 20))
        try:
            cid = d.docker("run", "-d", "busybox", "sh", "-c",
                           "i=0; while [ $i -lt 40000 ]; do echo line $i is quite a long line "
                           "of log output; i=$((i+1)); done; exit 7", timeout=60).stdout.strip()
        except subprocess.TimeoutExpired:
            # seen once (not reproduced since): keep what the daemon said for whoever looks
            ps = subprocess.run(["ps", "-eo", "pid,stat,wchan:20,args"], capture_output=True,
                                text=True).stdout
            raise AssertionError("run -d on a full disk hung:\n%s\n%s" % (
                d.log()[-4000:], "\n".join(l for l in ps.splitlines() if "berth" in l)))
        st = wait_for(lambda: (lambda s: None if s["Running"] else s)(inspect(d, cid)["State"]),
                      timeout=120, what="the logging container to end")
        assert st["ExitCode"] == 7, st
        logs = d.docker("logs", cid)
        assert logs.stdout.startswith("line 0 is"), logs.stdout[:100]
        assert check(d) == []
        # space again: everything works
        filler.unlink()
        d.docker("import", str(rootfs_tar), "big:1")
        assert d.docker("run", "--rm", "busybox", "echo", "ok").stdout == "ok\n"
        remove_all(d)
        assert check(d) == []
        figures("full-disk", import_refused=1, create_refused=1, logs_container_exit=7,
                problems=0)
    finally:
        remove_all(d)
        d.stop()


def test_fork_bomb_and_memory_hog(daemon, rootfs_tar):
    d = daemon
    import_busybox(d, rootfs_tar)
    bomb = d.docker("run", "-d", "--pids-limit", "40", "--cpus", "0.5", "busybox", "sh", "-c",
                    "f() { f | f & }; f; sleep 600").stdout.strip()
    pids = Path("/sys/fs/cgroup/pids/berth/%s/pids.current" % bomb)
    if not pids.exists():
        pids = Path("/sys/fs/cgroup/berth/%s/pids.current" % bomb)
    worst, peak = 0.0, 0
    deadline = time.time() + 5
    while time.time() < deadline:
        worst = max(worst, ping_ms(d))
        peak = max(peak, int(pids.read_text()))
        time.sleep(0.1)
    assert peak <= 40, peak
    assert d.docker("ps", "-q").stdout.split() == [bomb[:12]]
    assert worst < 2000, worst
    d.docker("rm", "-f", bomb, timeout=60)
    assert not pids.exists()
    hog = d.docker("run", "-d", "-m", "32m", "--memory-swap", "32m", "busybox", "sh", "-c",
                   "a=xxxxxxxxxxxxxxxx; while true; do a=$a$a; done").stdout.strip()
    st = wait_for(lambda: (lambda s: None if s["Running"] else s)(inspect(d, hog)["State"]),
                  timeout=60, what="the memory hog to be killed")
    assert st["ExitCode"] == 137 and st["OOMKilled"], st
    assert ping_ms(d) < 2000
    d.docker("rm", hog)
    assert check(d) == []
    figures("limits", fork_bomb_peak_pids=peak, pids_limit=40, worst_ping_ms=round(worst),
            memory_hog_exit=st["ExitCode"], oom_killed=st["OOMKilled"])
