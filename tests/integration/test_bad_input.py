"""Bad input: an error naming the problem, exit status 1, and nothing left behind
(no state directory, no cgroup, no mount, no process)."""

import os

import pytest

import helpers


def _wrong_type_args(c):
    c["process"]["args"] = "true"


def _wrong_type_hostname(c):
    c["hostname"] = 5


def _unknown_namespace(c):
    c["linux"]["namespaces"].append({"type": "foo"})


def _missing_root_path(c):
    c["root"]["path"] = "/nonexistent-berth-itest/rootfs"


def _relative_mount_destination(c):
    c["mounts"].append({"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"})


def _missing_process(c):
    del c["process"]


def _empty_args(c):
    c["process"]["args"] = []


def _wrong_type_uid(c):
    c["process"]["user"]["uid"] = "root"


# (edit, words the error message must contain: the field or value at fault)
CASES = {
    "wrong_type_args": (_wrong_type_args, ["process.args"]),
    "wrong_type_hostname": (_wrong_type_hostname, ["hostname"]),
    "wrong_type_uid": (_wrong_type_uid, ["uid"]),
    "unknown_namespace": (_unknown_namespace, ["namespace", "foo"]),
    "missing_root_path": (_missing_root_path, ["root", "/nonexistent-berth-itest/rootfs"]),
    "relative_mount_destination": (_relative_mount_destination, ["destination"]),
    "missing_process": (_missing_process, ["process"]),
    "empty_args": (_empty_args, ["args"]),
}

_relative = pytest.mark.stricter_than_runc("runc 1.1.5 only warns about relative mount destinations")


def _params():
    for verb in ("create", "run"):
        for name in CASES:
            marks = [_relative] if name == "relative_mount_destination" else []
            yield pytest.param(verb, name, id="%s-%s" % (verb, name), marks=marks)


def control_run(rt, b, cid="ok"):
    """The same bundle with a good config runs: the refusal is due to the bad input."""
    b.write()
    p = rt("run", "--bundle", b.path, cid)
    assert p.returncode == 0, "control run failed: %s" % p.stderr


def assert_nothing_left(rt, b, tmp_path, cid="c1"):
    assert cid not in rt.container_ids(), "state directory left under --root"
    assert [c for c in helpers.cgroup_dirs(b.tag) if os.path.basename(c) == b.tag] == [], "cgroup left"
    assert helpers.mounts_under(tmp_path) == [], "mount left"
    assert helpers.marked_pids(b.tag) == [], "process left"


@pytest.mark.parametrize("verb,case", _params())
def test_bad_config(rt, make_bundle, tmp_path, verb, case):
    edit, words = CASES[case]
    b = make_bundle("true")
    b.edited(edit)
    p = rt.create("c1", b) if verb == "create" else rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 1, "exit %d: %s" % (p.returncode, p.stderr)
    for w in words:
        assert w in p.stderr, "error should name %r: %s" % (w, p.stderr)
    assert_nothing_left(rt, b, tmp_path)
    control_run(rt, b)


@pytest.mark.parametrize("text", ["{", "", "[]", '{"ociVersion": "1.0.2"}'])
def test_unparsable_or_empty_config(rt, make_bundle, tmp_path, text):
    b = make_bundle("true")
    b.write(text)
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 1
    assert p.stderr.strip()
    assert_nothing_left(rt, b, tmp_path)
    control_run(rt, b)


def test_missing_config_json(rt, make_bundle, tmp_path):
    b = make_bundle("true")
    os.unlink(os.path.join(b.path, "config.json"))
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode == 1
    assert "config.json" in p.stderr
    assert_nothing_left(rt, b, tmp_path)
    control_run(rt, b)


def test_missing_bundle_dir(rt, tmp_path):
    p = rt("run", "--bundle", tmp_path / "nonexistent", "c1")
    assert p.returncode == 1
    assert "c1" not in rt.container_ids()


@pytest.mark.parametrize("cid", ["../escape", "a/b", ""])
def test_bad_container_id(rt, make_bundle, tmp_path, cid):
    b = make_bundle("true")
    p = rt("run", "--bundle", b.path, cid)
    assert p.returncode != 0
    assert not (tmp_path / "escape").exists()
    assert rt.container_ids() == []
    assert_nothing_left(rt, b, tmp_path, cid="escape")
    control_run(rt, b)


def test_failing_exec_of_missing_binary(rt, make_bundle, tmp_path):
    # the config is valid, but the program does not exist in the rootfs
    b = make_bundle("/no/such/program")
    p = rt("run", "--bundle", b.path, "c1")
    assert p.returncode != 0
    assert "/no/such/program" in p.stderr
    assert_nothing_left(rt, b, tmp_path)
