"""Sanitizer reports of an ASan/UBSan build under test (BERTH=build-asan/berth): every process
writes its report to a file of its own (log_path.<pid>) in a watched directory, and the test
during which one appears fails with its text. Harmless for a normal build (nothing reads
the options)."""

import os
import tempfile
from pathlib import Path

import pytest

_dirs = []
_seen = set()


def env_for(directory):
    """ASAN_OPTIONS/UBSAN_OPTIONS for processes whose reports go to directory: any report is
    fatal (exit 1 or abort), leaks are checked at a clean exit, nothing is lost to a closed
    stderr (a daemon's or a monitor's)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    watch(d)
    # BERTH_ASAN_OPTIONS adds to (or overrides) these, e.g. fast_unwind_on_malloc=0 for full
    # allocation stacks through libraries built without frame pointers (slower)
    extra = os.environ.get("BERTH_ASAN_OPTIONS", "")
    if "tsan" in os.environ.get("BERTH", ""):
        # a ThreadSanitizer daemon (make check-tsan): reports to its stderr, which the test
        # shows when the daemon's exit status (66 after a report) fails its stop; a file
        # could not be opened from a thread that chrooted (tar extraction)
        supp = Path(__file__).resolve().parent.parent / "tsan.supp"
        return {"TSAN_OPTIONS": "halt_on_error=0:report_signal_unsafe=0:log_path=stderr:"
                                "suppressions=%s" % supp}
    return {
        "ASAN_OPTIONS": "halt_on_error=1:detect_leaks=1:abort_on_error=0:"
                        "detect_stack_use_after_return=0:log_path=%s%s" % (
                            d / "asan", ":" + extra if extra else ""),
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:log_path=%s" % (d / "ubsan"),
        "LSAN_OPTIONS": "log_path=%s" % (d / "lsan"),
    }


def watch(directory):
    if Path(directory) not in _dirs:
        _dirs.append(Path(directory))


def new_reports(directory=None):
    """Reports not seen before, [(path, text)], of one directory or of every watched one."""
    out = []
    for d in [Path(directory)] if directory else list(_dirs):
        for f in sorted(d.glob("*san.*")) if d.is_dir() else []:
            if f in _seen:
                continue
            _seen.add(f)
            try:
                out.append((f, f.read_text(errors="replace")))
            except OSError:
                continue
    return out


def describe(reports):
    return "\n".join("sanitizer report %s:\n%s" % (f, text[:20000]) for f, text in reports)


def configure_session():
    """The whole run's processes started from the tests themselves (the CLI, the runtime)
    report under a directory of the run; it is removed at the end unless it holds a report."""
    if "BERTH_SANITIZER_DIR" in os.environ:
        d = Path(os.environ["BERTH_SANITIZER_DIR"])
    else:
        d = Path(tempfile.mkdtemp(prefix="berth-sanitizer.", dir="/tmp"))
        os.environ["BERTH_SANITIZER_DIR"] = str(d)
    os.environ.update(env_for(d))
    return d


def unconfigure_session(d):
    try:
        d.rmdir()
    except OSError:
        pass


@pytest.fixture(autouse=True)
def _sanitizer_reports():
    """Fails the test during which any berth process wrote a sanitizer report."""
    yield
    found = new_reports()
    if found:
        pytest.fail(describe(found), pytrace=False)
