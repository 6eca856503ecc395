"""docker build (the classic builder, POST /build) against berth with the real docker CLI:
RUN/COPY/ADD/ENV/ARG/WORKDIR/multi-stage/--target/build args/cache, the resulting image's
config, history and files, and bad input that must leave no image or container behind."""

import gzip
import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.parse

import pytest

from test_daemon_common import DOCKER, busybox_daemon

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    yield from busybox_daemon(tmp_path_factory.mktemp("berthd-build"))


def build(d, ctx, *args, input=None, check=True):
    """docker build with the classic builder; CompletedProcess (stdout + stderr text)."""
    env = d.env()
    env["DOCKER_BUILDKIT"] = "0"
    p = subprocess.run([DOCKER, "build", *args, str(ctx)], input=input, capture_output=True,
                       text=True, env=env, timeout=120)
    if check:
        assert p.returncode == 0, (p.stdout, p.stderr)
    return p


def write(ctx, files):
    for name, data in files.items():
        path = ctx / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)


def inspect(d, ref):
    return json.loads(d.docker("image", "inspect", ref).stdout)[0]


def state(d):
    """Images and containers of the daemon (to check that a failure added none)."""
    return (sorted(d.docker("images", "-aq", "--no-trunc").stdout.split()),
            sorted(d.docker("ps", "-aq").stdout.split()))

def build_until_started(d, ctx, *args):
    """A classic `docker build` of ctx, once its output has said "started" (the RUN runs)."""
    env = d.env()
    env["DOCKER_BUILDKIT"] = "0"
    cli = subprocess.Popen([DOCKER, "build", *args, str(ctx)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in cli.stdout:
        if "started" in line:
            break
    return cli


def tar_of(files):
    """An uncompressed tar (bytes) of {name: bytes}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def small_tar():
    return gzip.compress(tar_of({"inner/x.txt": b"from the archive\n"}))


def test_build_instructions(d, tmp_path):
    write(tmp_path, {
        "Dockerfile": "\n".join([
            "ARG BASE=busybox",
            "FROM $BASE",
            "ARG GREETING=hello",
            "ENV APP=/app PLAIN=\"two words\"",
            "LABEL org.test.a=1 \\",
            "      org.test.b=$APP",
            "WORKDIR $APP/sub",
            "COPY file.txt dir ./",
            "ADD archive.tar.gz /unpacked/",
            "RUN echo \"$GREETING from $(pwd)\" > greeting && echo built-ok",
            "EXPOSE 8080 53/udp",
            "USER nobody",
            "ENTRYPOINT [\"/bin/echo\"]",
            "CMD [\"default\", \"args\"]",
        ]),
        "file.txt": "context file\n",
        "dir/nested.txt": "nested\n",
        "archive.tar.gz": small_tar(),
    })
    p = build(d, tmp_path, "-t", "bt-inst:1", "--build-arg", "GREETING=hi")
    assert "Step 13/13 : CMD" in p.stdout
    assert "built-ok" in p.stdout
    assert "Successfully tagged bt-inst:1" in p.stdout
    cfg = inspect(d, "bt-inst:1")["Config"]
    assert "APP=/app" in cfg["Env"] and "PLAIN=two words" in cfg["Env"]
    assert not any(e.startswith("GREETING=") for e in cfg["Env"])
    assert cfg["WorkingDir"] == "/app/sub"
    assert cfg["Labels"] == {"org.test.a": "1", "org.test.b": "/app"}
    assert set(cfg["ExposedPorts"]) == {"8080/tcp", "53/udp"}
    assert cfg["User"] == "nobody"
    assert cfg["Entrypoint"] == ["/bin/echo"] and cfg["Cmd"] == ["default", "args"]
    out = d.docker("run", "--rm", "bt-inst:1").stdout
    assert out == "default args\n"
    out = d.docker("run", "--rm", "--entrypoint", "sh", "bt-inst:1", "-c",
                   "cat greeting file.txt nested.txt /unpacked/inner/x.txt; stat -c %u /app/sub/file.txt").stdout
    assert out == "hi from /app/sub\ncontext file\nnested\nfrom the archive\n0\n"
    hist = d.get_json("/images/bt-inst:1/history")
    created = [h["CreatedBy"] for h in hist]
    assert any(c.startswith("|1 GREETING=hi /bin/sh -c echo") for c in created), created
    assert any("#(nop)  ENV APP=/app PLAIN=two words" in c for c in created), created
    assert any("#(nop) COPY multi:" in c for c in created), created
    # every step is an image whose parent is the previous one
    assert len(hist) == 11 + 1
    assert d.docker("ps", "-aq").stdout == ""


def test_build_cache(d, tmp_path):
    write(tmp_path, {"Dockerfile": "FROM busybox\nENV A=1\nCOPY f /f\nRUN cat /f\n",
                     "f": "one\n"})
    first = build(d, tmp_path, "-t", "bt-cache")
    assert "Using cache" not in first.stdout
    again = build(d, tmp_path, "-t", "bt-cache")
    assert again.stdout.count("Using cache") == 3
    assert inspect(d, "bt-cache")["Id"].split(":")[1][:12] in again.stdout
    (tmp_path / "f").write_text("two\n")
    changed = build(d, tmp_path, "-t", "bt-cache")
    assert changed.stdout.count("Using cache") == 1  # ENV only: the COPY's checksum differs
    assert "two" in changed.stdout
    nocache = build(d, tmp_path, "--no-cache", "-q")
    assert "Using cache" not in nocache.stdout
    assert nocache.stdout.strip().startswith("sha256:")


def test_build_cache_from_loaded_image(d, tmp_path):
    """--cache-from an image that came from docker load (no parent links, as a pulled one):
    its history gives every step, and the result is that image."""
    write(tmp_path, {"Dockerfile": "FROM busybox\nENV A=cf1\nCOPY f /f\nRUN echo ran > /r\n"
                                   "CMD [\"cat\", \"/r\"]\n", "f": "x\n"})
    build(d, tmp_path, "-t", "bt-cf-src")
    src = inspect(d, "bt-cf-src")["Id"]
    tar = tmp_path.with_name(tmp_path.name + ".tar")
    try:
        d.docker("save", "-o", str(tar), "bt-cf-src")
        d.docker("rmi", "bt-cf-src")
        d.docker("load", "-i", str(tar))
    finally:
        tar.unlink()
    p = build(d, tmp_path, "--cache-from", "bt-cf-src", "-t", "bt-cf")
    assert p.stdout.count("Using cache") == 4, p.stdout
    assert "ran" not in p.stdout.replace("Step 4/5 : RUN echo ran > /r", "")
    assert inspect(d, "bt-cf")["Id"] == src
    assert d.docker("run", "--rm", "bt-cf").stdout == "ran\n"
    # without --cache-from the loaded image is no cache (nothing links to it)
    p = build(d, tmp_path, "-t", "bt-cf2")
    assert "Using cache" not in p.stdout


def test_build_multistage_target(d, tmp_path):
    write(tmp_path, {"Dockerfile": "\n".join([
        "FROM busybox AS builder",
        "RUN mkdir /out && echo artifact > /out/a",
        "FROM busybox AS second",
        "COPY --from=builder /out/a /final/a",
        "COPY --from=0 /out /outdir",
        "RUN cat /final/a /outdir/a",
        "FROM second",
        "ONBUILD RUN echo triggered",
    ])})
    build(d, tmp_path, "-t", "bt-multi")
    out = d.docker("run", "--rm", "bt-multi", "cat", "/final/a", "/outdir/a").stdout
    assert out == "artifact\nartifact\n"
    assert inspect(d, "bt-multi")["Config"]["OnBuild"] == ["RUN echo triggered"]
    p = build(d, tmp_path, "--target", "Builder", "-t", "bt-target")  # names: any case
    assert "Step 3/" not in p.stdout.split("Successfully built")[0].split("Step 2/")[1]
    assert d.docker("run", "--rm", "bt-target", "cat", "/out/a").stdout == "artifact\n"
    assert not inspect(d, "bt-target")["Config"].get("OnBuild")
    # a child of bt-multi runs the trigger
    child = tmp_path / "child"
    write(child, {"Dockerfile": "FROM bt-multi\n"})
    p = build(d, child, "-t", "bt-child")
    assert "# Executing 1 build trigger" in p.stdout and "triggered" in p.stdout


def test_build_stdin_scratch_labels(d, tmp_path):
    p = build(d, "-", "-t", "bt-scratch", "--label", "k=v$X", "--build-arg", "U=nobody",
              input="FROM scratch\nARG U\nUSER $U\n")
    assert "Successfully tagged bt-scratch:latest" in p.stdout
    info = inspect(d, "bt-scratch")
    assert info["Config"]["User"] == "nobody"
    assert info["Config"]["Labels"] == {"k": "v$X"}
    assert info["RootFS"].get("Layers") in (None, [])


def test_build_dockerignore_and_file(d, tmp_path):
    write(tmp_path, {"build/Dockerfile.alt": "FROM busybox\nCOPY . /ctx\n",
                     ".dockerignore": "secret*\n", "secret.txt": "no\n", "keep.txt": "yes\n"})
    build(d, tmp_path, "-f", str(tmp_path / "build" / "Dockerfile.alt"), "-t", "bt-ignore")
    out = d.docker("run", "--rm", "bt-ignore", "find", "/ctx", "-type", "f").stdout.split()
    assert sorted(out) == ["/ctx/.dockerignore", "/ctx/build/Dockerfile.alt", "/ctx/keep.txt"]
    # a Dockerfile from outside the context: the docker CLI's tar of it has no end blocks
    elsewhere = tmp_path.with_name(tmp_path.name + "-df")
    write(elsewhere, {"Dockerfile": "FROM busybox\nCOPY . /ctx\nRUN ulimit -n\n"})
    try:
        p = build(d, tmp_path, "-f", str(elsewhere / "Dockerfile"), "-t", "bt-outside",
                  "--ulimit", "nofile=512:512")
    finally:
        shutil.rmtree(elsewhere)
    assert "\n512\n" in p.stdout
    out = d.docker("run", "--rm", "bt-outside", "find", "/ctx", "-type", "f").stdout.split()
    assert sorted(out) == ["/ctx/.dockerignore", "/ctx/build/Dockerfile.alt", "/ctx/keep.txt"]


@pytest.mark.parametrize("dockerfile,message,rc", [
    ("FROM busybox\nFOO bar\n", "dockerfile parse error on line 2: unknown instruction: FOO", 1),
    ("RUN true\n", "no build stage in current context", 1),
    # the CLI exits with the RUN's status (the error message's code)
    ("FROM busybox\nRUN exit 3\n", "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
     3),
    ("FROM busybox\nCOPY missing /x\n", "file not found in build context", 1),
    ("FROM nosuchimage-berth:1\n", "nosuchimage-berth", 1),
])
def test_build_errors_leave_nothing(d, tmp_path, dockerfile, message, rc):
    write(tmp_path, {"Dockerfile": dockerfile})
    before = state(d)
    p = build(d, tmp_path, "--force-rm", "-t", "bt-bad", check=False)
    assert p.returncode == rc, p.stdout
    assert message in p.stderr + p.stdout
    assert state(d) == before


def test_build_failed_step_container_kept(d, tmp_path):
    """As dockerd: without --force-rm the failed RUN's container stays for inspection (and
    with --rm=false every step's); the next builds don't take it away."""
    write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo kept > /f && exit 2\n"})
    before = set(state(d)[1])
    p = build(d, tmp_path, check=False)
    assert p.returncode == 2
    left = set(state(d)[1]) - before
    assert len(left) == 1
    cid = left.pop()
    assert json.loads(d.docker("inspect", cid).stdout)[0]["State"]["ExitCode"] == 2
    assert d.docker("diff", cid).stdout.split() == ["A", "/f"]
    d.docker("rm", cid)
    # -q: the output held back is shown with the error, as dockerd's
    p = build(d, tmp_path, "-q", "--force-rm", check=False)
    assert p.returncode == 2 and "Step 2/2 : RUN echo kept" in p.stderr, p
    assert set(state(d)[1]) == before


def test_build_bad_target_is_400(d, tmp_path):
    body = tar_of({"Dockerfile": b"FROM busybox AS a\n"})
    r = d.request("POST", "/v1.41/build?target=nope", body=body,
                  headers={"Content-Type": "application/x-tar"})
    assert r.status == 400 and 'target stage "nope" could not be found' in r.message
    r = d.request("POST", "/v1.41/build?squash=1", body=body,
                  headers={"Content-Type": "application/x-tar"})
    assert r.status == 400 and "experimental" in r.message
    r = d.request("POST", "/v1.41/build/prune")
    assert r.status == 200
    assert set(r.json()) == {"CachesDeleted", "SpaceReclaimed"}


def test_berth_build_cli(d, tmp_path):
    """berth build: .dockerignore honoured by the CLI, a Dockerfile from outside the context
    (sent as .dockerfile.<random> and dropped by the daemon), a Dockerfile on stdin."""
    from test_daemon_common import BERTH
    ctx = tmp_path / "ctx"
    write(ctx, {"Dockerfile": "FROM busybox\nCOPY . /c\n", ".dockerignore": "skip*\n*.log\n",
                "a.txt": "a", "skipdir/x": "x", "x.log": "l", "sub/keep": "k"})
    write(tmp_path, {"outside.df": "FROM busybox\nCOPY . /c\nRUN echo outside-ran\n"})

    def berth(*args, input=None):
        p = subprocess.run([str(BERTH), "-H", d.host, "build", *args], input=input,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, (p.stdout, p.stderr)
        return p.stdout

    out = berth("-t", "bt-cli", "--label", "via=berth", str(ctx))
    assert "Successfully tagged bt-cli:latest" in out
    files = d.docker("run", "--rm", "bt-cli", "find", "/c", "-type", "f").stdout.split()
    assert sorted(files) == ["/c/.dockerignore", "/c/Dockerfile", "/c/a.txt", "/c/sub/keep"]
    assert inspect(d, "bt-cli")["Config"]["Labels"] == {"via": "berth"}
    out = berth("-f", str(tmp_path / "outside.df"), "-t", "bt-cli-out", str(ctx))
    assert "outside-ran" in out
    files = d.docker("run", "--rm", "bt-cli-out", "ls", "-a", "/c").stdout.split()
    assert sorted(files) == [".", "..", "Dockerfile", "a.txt", "sub"]
    out = berth("-q", "-", input="FROM busybox\nRUN echo quiet\n")
    assert out.strip().startswith("sha256:") and "quiet" not in out
    iid = tmp_path / "iid"
    out = berth("-f", "-", "--iidfile", str(iid), "-m", "64m", "--cache-from", "bt-cli",
                str(ctx), input="FROM busybox\nRUN cat /sys/fs/cgroup/memory.max 2>/dev/null"
                " || cat /sys/fs/cgroup/memory/memory.limit_in_bytes\n")
    assert "67108864" in out
    assert iid.read_text().startswith("sha256:") and iid.read_text()[7:19] in out


def test_build_remote_context_and_add_url(d, tmp_path):
    """remote=URL (a gzipped tar context, or a plain Dockerfile) and ADD of a URL (0600)."""
    import functools
    import http.server
    import threading
    www = tmp_path / "www"
    ctx = tmp_path / "ctx"
    write(www, {"r.txt": "remote file\n", "Dockerfile.txt": "FROM busybox\nRUN echo plain-df\n"})
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler,
                                            directory=str(www)))
    srv.RequestHandlerClass.log_message = lambda *a: None
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        write(ctx, {"Dockerfile": "FROM busybox\nADD http://127.0.0.1:%d/r.txt /dl/\n"
                                  "COPY hello /hello\n" % port, "hello": "hi\n"})
        with tarfile.open(www / "ctx.tgz", "w:gz") as t:
            t.add(ctx, arcname=".")
        build(d, "http://127.0.0.1:%d/ctx.tgz" % port, "-t", "bt-remote")
        out = d.docker("run", "--rm", "bt-remote", "sh", "-c",
                       "cat /dl/r.txt /hello; stat -c %a /dl/r.txt").stdout
        assert out == "remote file\nhi\n600\n"
        p = build(d, "http://127.0.0.1:%d/Dockerfile.txt" % port)
        assert "plain-df" in p.stdout
        # (the docker CLI downloads URL contexts itself; remote= is docker-py's and the API's)
        # dockerd's progress reader: the URL as status, the size so far, then the build; an
        # error found after the download follows it in the stream (200)
        url = "http://127.0.0.1:%d/ctx.tgz" % port
        r = d.request("POST", "/build?remote=" + urllib.parse.quote(url, safe=""))
        msgs = [json.loads(x) for x in r.data.decode().splitlines() if x.strip()]
        size = (www / "ctx.tgz").stat().st_size
        assert r.status == 200 and msgs[0] == {
            "status": url, "progressDetail": {"current": size},
            "progress": "%8s" % ("%dB" % size), "id": "Downloading context"}, msgs[:2]
        assert "Successfully built" in msgs[-1].get("stream", "") or \
            "Successfully built" in msgs[-2].get("stream", ""), msgs[-2:]
        write(www, {"bad.txt": "FROM busybox\nNOPE x\n"})
        url = "http://127.0.0.1:%d/bad.txt" % port
        r = d.request("POST", "/build?remote=" + urllib.parse.quote(url, safe=""))
        msgs = [json.loads(x) for x in r.data.decode().splitlines() if x.strip()]
        assert r.status == 200 and msgs[0]["id"] == "Downloading context", msgs
        assert "unknown instruction: NOPE" in msgs[-1]["error"], msgs
    finally:
        srv.shutdown()
        srv.server_close()


def test_build_more_instructions(d, tmp_path):
    """escape directive, SHELL, HEALTHCHECK, STOPSIGNAL, VOLUME, MAINTAINER, --chown by name,
    ${VAR:-x}/${VAR:+x}, a RUN's stderr, --network none and --add-host for RUN."""
    write(tmp_path, {"Dockerfile": "\n".join([
        "# escape=`",
        "FROM busybox",
        "MAINTAINER someone@example.com",
        "ENV SET=yes",
        "ARG NONE",
        "RUN echo \"${NONE:-fallback} ${SET:+was-set}\" > /vars && echo to-stderr >&2",
        "SHELL [\"/bin/sh\", \"-e\", \"-c\"]",
        "RUN echo a `",
        "    b > /joined",
        "COPY --chown=nobody:nogroup f /owned",
        "COPY --chown=daemon f /bydaemon",
        "COPY --chown=1234 f /bynum",
        "RUN cat /etc/hosts | grep -c extra.test > /hosts-count; ip link | grep -c eth0 > /eth || true",
        "HEALTHCHECK --interval=5s --retries=2 CMD true",
        "STOPSIGNAL SIGUSR1",
        "VOLUME /data",
    ]), "f": "x\n"})
    p = build(d, tmp_path, "-t", "bt-more", "--network", "none", "--add-host", "extra.test:10.9.9.9")
    assert "to-stderr" in p.stdout
    info = inspect(d, "bt-more")
    cfg = info["Config"]
    assert info["Author"] == "someone@example.com"
    assert cfg["Shell"] == ["/bin/sh", "-e", "-c"]
    assert cfg["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    assert cfg["Healthcheck"]["Interval"] == 5 * 10**9 and cfg["Healthcheck"]["Retries"] == 2
    assert cfg["StopSignal"] == "SIGUSR1"
    assert cfg["Volumes"] == {"/data": {}}
    out = d.docker("run", "--rm", "bt-more", "sh", "-c",
                   "cat /vars /joined /hosts-count /eth; stat -c %U:%G /owned;"
                   " stat -c %u:%g /bydaemon /bynum").stdout
    assert out == "fallback was-set\na b\n1\n0\nnobody:nogroup\n1:1\n1234:1234\n"


def test_build_copy_through_image_symlinks(d, tmp_path):
    """Destinations under a symlinked directory (merged-/usr images: /bin -> usr/bin) land in
    its target, as in a container, for COPY, ADD and WORKDIR."""
    write(tmp_path, {"Dockerfile": "\n".join([
        "FROM busybox",
        "RUN mkdir -p /usr/real && ln -s usr/real /linked && ln -s /usr/real /abslink",
        "COPY f /linked/",
        "COPY f /abslink/sub/g",
        "ADD f /linked/h",
        "WORKDIR /linked/wd",
    ]), "f": "data\n"})
    build(d, tmp_path, "-t", "bt-links")
    out = d.docker("run", "--rm", "bt-links", "sh", "-c",
                   "pwd; cd /usr/real && find . | sort; readlink /linked").stdout
    assert out == "/usr/real/wd\n.\n./f\n./h\n./sub\n./sub/g\n./wd\nusr/real\n"
    assert inspect(d, "bt-links")["Config"]["WorkingDir"] == "/linked/wd"


def test_build_concurrent(d, tmp_path):
    """Builds at the same time keep to their own contexts, containers and images."""
    import threading
    results = {}

    def one(n):
        ctx = tmp_path / ("c%d" % n)
        write(ctx, {"Dockerfile": "FROM busybox\nCOPY f /f\nRUN sleep 0.3 && cat /f\n",
                    "f": "content %d\n" % n})
        results[n] = build(d, ctx, "-t", "bt-conc%d" % n, check=False)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(3):
        assert results[n].returncode == 0, results[n]
        assert "content %d" % n in results[n].stdout
        out = d.docker("run", "--rm", "bt-conc%d" % n, "cat", "/f").stdout
        assert out == "content %d\n" % n


def test_build_cancelled_by_client(d, tmp_path):
    """The client leaving during a RUN stops the build: its container goes, no image."""
    import time
    write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo started && sleep 60\n"})
    before = state(d)
    cli = build_until_started(d, tmp_path, "-t", "bt-cancel")
    cli.kill()
    cli.wait()
    deadline = time.time() + 20
    while state(d) != before and time.time() < deadline:
        time.sleep(0.2)
    assert state(d) == before


def test_build_cancelled_keeps_finished_steps(d, tmp_path):
    """As dockerd: a client leaving with --rm=false takes away only the running RUN's
    container; the finished steps' containers stay (docker-py's fire-and-forget builds would
    otherwise see every container of theirs vanish at once, long after they created them)."""
    import time
    write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo one > /one\n"
                     "RUN echo started && sleep 60\n"})
    before = state(d)
    cli = build_until_started(d, tmp_path, "--rm=false")
    cli.kill()
    cli.wait()
    cli.stdout.close()

    def left():  # {command: inspect} of the build's containers (one may be going)
        ids = sorted(set(state(d)[1]) - set(before[1]))
        p = d.docker("inspect", *ids, check=False) if ids else None
        return {c["Config"]["Cmd"][-1]: c for c in json.loads(p.stdout)} if p else {}
    try:
        deadline = time.time() + 20
        while len(left()) != 1 and time.time() < deadline:
            time.sleep(0.2)
        kept = left()
        assert list(kept) == ["echo one > /one"], kept
        info = kept["echo one > /one"]
        assert info["State"]["Status"] == "exited" and info["State"]["ExitCode"] == 0
        assert d.docker("diff", info["Id"]).stdout.split() == ["A", "/one"]
    finally:
        ids = sorted(set(state(d)[1]) - set(before[1]))
        if ids:
            d.docker("rm", "-f", *ids)


def test_build_pulls_missing_base(d, tmp_path):
    """FROM an image that is not there: pulled through the registry client first (progress
    in the build's output); --pull pulls even when it is there."""
    from registry_common import Registry
    reg = Registry(tmp_path / "registry").start()
    try:
        ref = "%s/bt/base:1" % reg.addr
        d.docker("tag", "busybox", ref)
        d.docker("push", ref)
        d.docker("rmi", ref)
        write(tmp_path / "ctx", {"Dockerfile": "FROM %s\nRUN echo on-pulled-base\n" % ref})
        p = build(d, tmp_path / "ctx", "-t", "bt-pulled")
        assert "Pulling from bt/base" in p.stdout and "on-pulled-base" in p.stdout
        assert inspect(d, ref)["Id"] == inspect(d, "busybox")["Id"]
        p = build(d, tmp_path / "ctx", "--pull", "-t", "bt-pulled")
        assert "Pulling from bt/base" in p.stdout
    finally:
        reg.stop()


def test_build_pulls_with_credentials(d, tmp_path):
    """The base in a registry that wants a login: the CLI's X-Registry-Config gives the pull
    its credentials (and without them the build fails)."""
    from registry_common import Registry
    reg = Registry(tmp_path / "registry", users={"builder": "s3cret"}).start()
    try:
        ref = "%s/private/base:1" % reg.addr
        d.docker("login", reg.addr, "-u", "builder", "--password-stdin", input="s3cret\n")
        d.docker("tag", "busybox", ref)
        d.docker("push", ref)
        d.docker("rmi", ref)
        write(tmp_path / "ctx", {"Dockerfile": "FROM %s\nLABEL from=private\n" % ref})
        p = build(d, tmp_path / "ctx", "-t", "bt-private")
        assert "Pulling from private/base" in p.stdout
        d.docker("rmi", "bt-private", ref)
        d.docker("logout", reg.addr)
        p = build(d, tmp_path / "ctx", "-t", "bt-private", check=False)
        assert p.returncode == 1 and "no basic auth credentials" in p.stderr + p.stdout, p
    finally:
        reg.stop()


def test_build_run_limits_globs_from_image(d, tmp_path):
    """-m, --cpu-shares and --shm-size reach RUN containers; COPY globs; COPY --from=<image>."""
    write(tmp_path, {"Dockerfile": "\n".join([
        "FROM busybox",
        "COPY *.txt /globbed/",
        "COPY --from=busybox /bin/busybox /from-image",
        "RUN (cat /sys/fs/cgroup/memory.max 2>/dev/null ||"
        " cat /sys/fs/cgroup/memory/memory.limit_in_bytes) > /mem;"
        " df -k /dev/shm | tail -1 | awk '{print $2}' > /shm",
    ]), "a.txt": "a", "b.txt": "b", "c.md": "c"})
    os.makedirs(tmp_path / "hl")
    (tmp_path / "hl" / "one").write_text("linked\n")
    os.link(tmp_path / "hl" / "one", tmp_path / "hl" / "two")
    with open(tmp_path / "Dockerfile", "a") as f:
        f.write("\nCOPY hl /hl\n")
    build(d, tmp_path, "-t", "bt-limits", "-m", "64m", "--cpu-shares", "512",
          "--shm-size", "32m")
    out = d.docker("run", "--rm", "bt-limits", "sh", "-c",
                   "cat /mem /shm; ls /globbed; test -x /from-image && echo exe").stdout
    assert out == "67108864\n32768\na.txt\nb.txt\nexe\n"
    out = d.docker("run", "--rm", "bt-limits", "stat", "-c", "%i %h", "/hl/one", "/hl/two").stdout
    first, second = out.splitlines()
    assert first == second and first.endswith(" 2"), out  # hard links stay links


def test_build_daemon_stopped_mid_run(d, tmp_path):
    """SIGTERM during a RUN: the daemon stops at once (the build is cancelled, not waited
    for), and what the build could not remove then goes with the next /build/prune."""
    import time
    write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo started && sleep 60\n"})
    before = state(d)
    cli = build_until_started(d, tmp_path, "-t", "bt-stopped")
    t0 = time.time()
    assert d.stop() == 0
    assert time.time() - t0 < 10
    cli.wait(timeout=30)
    d.start("-D")
    r = d.request("POST", "/v1.41/build/prune")
    assert r.status == 200
    assert state(d) == before
    assert not list((d.root / "build").glob("ctx-*"))


def test_build_daemon_killed_mid_run(d, tmp_path):
    """SIGKILL of the daemon during a RUN: after a restart the store checks out, and the next
    build removes the dead build's context and its intermediate container."""
    import time
    write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo started && sleep 60\n"})
    images = state(d)[0]
    cli = build_until_started(d, tmp_path, "-t", "bt-killed")
    d.proc.kill()
    d.proc.wait()
    cli.wait(timeout=30)
    d.start("-D")
    # the restarted daemon reconnects the RUN's monitor first: poll briefly
    deadline = time.time() + 10
    while (problems := d.get_json("/system/check")["Problems"]) and time.time() < deadline:
        time.sleep(0.2)
    assert problems == [], problems
    assert list((d.root / "build").glob("ctx-*")), "the dead build's context is there"
    write(tmp_path / "next", {"Dockerfile": "FROM busybox\nLABEL next=1\n"})
    build(d, tmp_path / "next", "-t", "bt-next")
    assert not list((d.root / "build").glob("ctx-*"))
    deadline = time.time() + 20
    while d.docker("ps", "-aq").stdout.strip() and time.time() < deadline:
        time.sleep(0.2)
    assert d.docker("ps", "-a").stdout.count("\n") == 1, d.docker("ps", "-a").stdout
    assert state(d)[0] == sorted(images + [inspect(d, "bt-next")["Id"]]), (state(d), images)


def test_build_trims_and_from_wildcards(d, tmp_path):
    """${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p}; COPY --from=stage|image with wildcards (dot
    files match, a matched directory's contents are copied); no match and several matches
    into a non-directory are errors that leave nothing."""
    write(tmp_path, {"Dockerfile": "\n".join([
        "FROM busybox AS src",
        "RUN mkdir -p /d/sub && echo 1 > /d/a.txt && echo 2 > /d/b.txt && echo 3 > /d/c.md"
        " && echo 4 > /d/sub/x.txt && echo 5 > /d/.h.txt",
        "FROM busybox",
        "ARG P=/a/b/c.tar.gz",
        "ENV T1=${P#*/} T2=${P##*/} T3=${P%.*} T4=${P%%.*} T5=${P#/a}",
        "COPY --from=src /d/*.txt /txt/",
        "COPY --from=src /d/s* /subdir/",
        "COPY --from=0 /d/?.md /one.md",
        "COPY --from=busybox /bin/bu?ybox /bin/",
    ])})
    build(d, tmp_path, "-t", "bt-wild")
    env = inspect(d, "bt-wild")["Config"]["Env"]
    assert {"T1=a/b/c.tar.gz", "T2=c.tar.gz", "T3=/a/b/c.tar", "T4=/a/b/c",
            "T5=/b/c.tar.gz"} <= set(env), env
    out = d.docker("run", "--rm", "bt-wild", "sh", "-c",
                   "ls -A /txt /subdir; cat /one.md; test -x /bin/busybox && echo exe").stdout
    assert out == "/subdir:\nx.txt\n\n/txt:\n.h.txt\na.txt\nb.txt\n3\nexe\n", out
    before = state(d)
    for line, message in [("COPY --from=src /d/*.none /x/", "no source files were specified"),
                          ("COPY --from=src /d/*.txt /notdir",
                           "When using COPY with more than one source file")]:
        df = "FROM busybox AS src\nRUN mkdir /d && touch /d/a.txt /d/b.txt\nFROM busybox\n"
        p = build(d, "-", input=df + line + "\n", check=False)
        assert p.returncode != 0 and message in p.stderr, (p.stdout, p.stderr)
    d.docker("image", "prune", "-f")
    assert state(d)[1] == before[1]
