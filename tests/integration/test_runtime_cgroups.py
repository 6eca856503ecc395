"""The init's cgroups: joined in every hierarchy before `create` returns (the direct launch
joins v1 hierarchies itself and the hybrid's unified one at clone time), and a create that
fails after the clone leaves no directory in any hierarchy."""

import os

import pytest

import helpers


def _hierarchies():
    """Number of lines /proc/<pid>/cgroup has for a process in the host's hierarchies."""
    return len(helpers.cgroup_mounts())


def test_created_init_is_in_every_hierarchy(rt, make_bundle):
    b = make_bundle("sleep", "60")
    rt.create_ok("c1", b)
    pid = rt.state("c1")["pid"]
    lines = open("/proc/%d/cgroup" % pid).read().splitlines()
    paths = {line.split(":", 2)[2] for line in lines}
    assert paths == {b.cgroup}, lines
    assert len(lines) == _hierarchies()
    # every directory, the unified one of a hybrid host included, lists the init
    for d in [c for c in helpers.cgroup_dirs(b.tag) if os.path.basename(c) == b.tag]:
        procs = open(os.path.join(d, "cgroup.procs")).read().split()
        assert str(pid) in procs, d
    rt.ok("delete", "-f", "c1")
    assert [c for c in helpers.cgroup_dirs(b.tag) if os.path.basename(c) == b.tag] == []


def test_failed_create_after_clone_leaves_no_cgroup(rt, make_bundle):
    if not any(fstype == "cgroup" for _, fstype, _ in helpers.cgroup_mounts()):
        pytest.skip("cgroup v2 host: the unified map is valid there")
    b = make_bundle("true")
    # refused while the cgroup is configured, after the process was cloned into it
    b.config["linux"].setdefault("resources", {})["unified"] = {"pids.max": "10"}
    b.write()
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 1
    assert "cannot use unified on cgroup v1" in p.stderr
    assert [c for c in helpers.cgroup_dirs(b.tag) if os.path.basename(c) == b.tag] == []
    assert rt.container_ids() == []
