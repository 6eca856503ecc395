"""`berth system check` itself: consistent on a fresh store (exit 0), each planted problem
named (exit 1), and what a crash can leave (a container directory without a record, a
temporary layer, metadata without an image) repaired by the next start."""

import os
import subprocess

import pytest

from conftest import import_busybox
from test_daemon_common import BERTH

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the daemon needs root")


def berth_check(d):
    return subprocess.run([str(BERTH), "system", "check"], capture_output=True, text=True,
                          env=d.env(), timeout=60)


def test_system_check(daemon, rootfs_tar):
    d = daemon
    import_busybox(d, rootfs_tar)
    cid = d.docker("create", "busybox", "true").stdout.strip()
    p = berth_check(d)
    assert p.returncode == 0 and p.stdout == "consistent\n", (p.stdout, p.stderr)
    orphan = d.root / "containers" / ("ab" * 32)
    orphan.mkdir()
    tmp = d.root / "image" / "layers" / ".tmp-import-x"
    tmp.mkdir()
    meta = d.root / "image" / "meta" / ("cd" * 32 + ".json")
    meta.write_text("{}")
    stray = d.root / "containers" / cid / "stray"
    stray.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "berth-check", str(stray)], check=True)
    try:
        p = berth_check(d)
        assert p.returncode == 1, p.stdout
        lines = p.stdout.splitlines()
        assert len(lines) == 4, lines
        assert any(str(orphan) in l and "no such container" in l for l in lines)
        assert any(".tmp-import-x" in l and "leftover" in l for l in lines)
        assert any("cd" * 32 in l and "metadata of a missing image" in l for l in lines)
        assert any(str(stray) in l and "belongs to no running container" in l for l in lines)
    finally:
        subprocess.run(["umount", str(stray)], check=True)
    # the next start repairs what a crash leaves
    d.stop()
    d.start()
    assert not orphan.exists() and not tmp.exists() and not meta.exists()
    p = berth_check(d)
    assert p.returncode == 0, p.stdout
    d.docker("rm", cid)
