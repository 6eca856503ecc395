"""Runs last (file order): after the whole suite nothing of ours is left on the host."""

import os
import stat

import helpers
from helpers import TOKEN


def test_no_leaked_processes():
    assert helpers.marked_pids(TOKEN) == []


def test_no_leaked_cgroups():
    assert helpers.cgroup_dirs(TOKEN) == []


def test_no_leaked_mounts(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    assert helpers.mounts_under(base) == []
    assert helpers.pids_with_arg(str(base)) == []


def test_dev_null_intact():
    st = os.stat("/dev/null")
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert stat.S_ISCHR(st.st_mode)
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, 3)
    assert stat.S_IMODE(st.st_mode) == 0o666
