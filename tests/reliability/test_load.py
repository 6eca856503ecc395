"""Load: 64 concurrent API clients hammer list, inspect and logs while containers start and
stop; every request must be answered correctly (200 with the right content) within its
timeout, and nothing may deadlock."""

import json
import os
import threading
import time

import pytest

from conftest import figures, finish, import_busybox, scale
from test_daemon_common import UnixHTTPConnection

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")

CLIENTS = 64
SECONDS = scale(15, 120)
CONTAINERS = 6


def client(d, ids, stop, counts, errors):
    conn = UnixHTTPConnection(d.sock, timeout=30)
    i = 0
    while not stop.is_set():
        cid = ids[i % len(ids)]
        kind = i % 3
        path = ("/v1.45/containers/json?all=1", "/v1.45/containers/%s/json" % cid,
                "/v1.45/containers/%s/logs?stdout=1&stderr=1&tail=5" % cid)[kind]
        i += 1
        try:
            r = d.request("GET", path, conn=conn)
        except Exception as ex:  # a timeout or a dropped connection is an error too
            errors.append("%s: %r" % (path, ex))
            conn.close()
            conn = UnixHTTPConnection(d.sock, timeout=30)
            continue
        ok = r.status == 200
        if ok and kind == 0:
            ok = {c["Id"] for c in r.json()} >= set(ids)
        elif ok and kind == 1:
            ok = r.json()["Id"] == cid
        if not ok:
            errors.append("%s: %d %r" % (path, r.status, r.data[:200]))
        counts[kind] += 1
    conn.close()


def churn(d, ids, stop, counts, errors):
    """Starts and stops the containers in turn while the clients read them."""
    i = 0
    while not stop.is_set():
        cid = ids[i % len(ids)]
        i += 1
        for args in (("start", cid), ("stop", "-t", "0", cid)):
            p = d.docker(*args, check=False, timeout=60)
            if p.returncode != 0:
                errors.append("docker %s: %s" % (" ".join(args), p.stderr))
        counts[0] += 1


def test_load(daemon, tmp_path, rootfs_tar):
    d = daemon
    import_busybox(d, rootfs_tar)
    ids = []
    for i in range(CONTAINERS):
        ids.append(d.docker("create", "busybox", "sh", "-c",
                            "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done; "
                            "sleep 600").stdout.strip())
    stop = threading.Event()
    errors = []
    counts = [[0, 0, 0] for _ in range(CLIENTS)]
    churns = [0]
    threads = [threading.Thread(target=client, args=(d, ids, stop, counts[k], errors))
               for k in range(CLIENTS)]
    threads.append(threading.Thread(target=churn, args=(d, ids, stop, churns, errors)))
    t0 = time.time()
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join(timeout=90)
    hung = [t for t in threads if t.is_alive()]
    served = sum(sum(c) for c in counts)
    elapsed = time.time() - t0
    figures("load", clients=CLIENTS, seconds=round(elapsed), requests=served,
            per_second=round(served / elapsed), lists=sum(c[0] for c in counts),
            inspects=sum(c[1] for c in counts), logs=sum(c[2] for c in counts),
            start_stop_cycles=churns[0], errors=len(errors), hung=len(hung))
    assert not hung, "deadlock: %d threads still waiting" % len(hung)
    assert errors == [], errors[:10]
    assert churns[0] > 0 and served > CLIENTS
    finish(d, set(ids))
