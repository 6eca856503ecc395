"""Soak: many `docker run --rm` in a row, then parallel create/start/rm cycles; afterwards the
daemon's fd count and RSS are back within 10% of where they were after a warm-up, and no
mount, cgroup, monitor, run directory or record of those containers remains."""

import os
import threading
import time

import pytest

from conftest import (all_ids, cgroups_of, check, daemon_fds, daemon_rss_kb, figures,
                      finish, import_busybox, monitors_of, mounts_under, scale)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

RUNS = scale(60, 1000)
CYCLES = scale(30, 200)
WORKERS = 8
WARM = 200
IDLE = 6  # the daemon returns freed heap memory every 5 s when idle: both RSS are at rest


def cycle(d, ids, errors):
    p = d.docker("create", "busybox", "true", check=False)
    if p.returncode != 0:
        errors.append(p.stderr)
        return
    cid = p.stdout.strip()
    ids.add(cid)
    for args in (("start", "-a", cid), ("rm", cid)):
        p = d.docker(*args, check=False, timeout=120)
        if p.returncode != 0:
            errors.append("%s: %s" % (args[0], p.stderr))


def parallel(d, ids, n):
    """n create/start/rm cycles, WORKERS at a time; the errors."""
    errors = []
    sem = threading.Semaphore(WORKERS)

    def worker():
        with sem:
            cycle(d, ids, errors)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def sanitized(d):
    """The daemon is an ASan build (its RSS is no measure then)."""
    exe = os.readlink("/proc/%d/exe" % d.proc.pid)
    with open(exe, "rb") as f:
        return b"AddressSanitizer" in f.read()


def within(before, after, pct=10, slack=0):
    return after <= before * (1 + pct / 100.0) + slack


def test_soak(daemon, tmp_path, rootfs_tar):
    d = daemon
    import_busybox(d, rootfs_tar)
    ids = set()
    # warm-up: thread stacks, caches and the allocator's arenas settle, and the event ring
    # (the last 1,024 events, ~6 per container) fills up to its bound
    warm = parallel(d, ids, WARM)
    assert warm == [], warm[:5]
    time.sleep(IDLE)
    fds0, rss0 = daemon_fds(d), daemon_rss_kb(d)
    cidfile = tmp_path / "cid"
    for i in range(RUNS):
        p = d.docker("run", "--rm", "--cidfile", cidfile, "busybox", "sh", "-c",
                     "echo $HOSTNAME")
        assert p.stdout.strip(), p
        ids.add(cidfile.read_text().strip())
        cidfile.unlink()
    errors = parallel(d, ids, CYCLES)
    assert errors == [], errors[:5]
    time.sleep(IDLE)
    fds1, rss1 = daemon_fds(d), daemon_rss_kb(d)
    assert len(ids) == RUNS + CYCLES + WARM
    left = {
        "containers": len(all_ids(d)),
        "mounts": len(mounts_under(d.base)),
        "cgroups": len(cgroups_of(ids)),
        "monitors": len(monitors_of(d)),
        "run_dirs": len(os.listdir(d.run / "containers")),
        "problems": len(check(d)),
    }
    figures("soak", run_rm=RUNS, cycles=CYCLES, fds_before=fds0, fds_after=fds1,
            rss_kb_before=rss0, rss_kb_after=rss1, **{"left_" + k: v for k, v in left.items()})
    assert all(v == 0 for v in left.values()), left
    assert within(fds0, fds1, slack=1), (fds0, fds1)
    # under ASan, freed memory sits in its quarantine (LeakSanitizer judges at the stop)
    if not sanitized(d):
        assert within(rss0, rss1), (rss0, rss1)
    finish(d, ids)
