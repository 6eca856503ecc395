"""The API over TCP with TLS (-H tcp://, --tlsverify): the real docker CLI and docker-py with
client certificates (hijacked streams too), clients without a certificate or with one from
another CA refused at the handshake, and plain TCP refused at the daemon's start."""

import hashlib
import socket
import subprocess
from pathlib import Path

import pytest

from test_daemon_common import BERTH, DOCKER, Daemon, busybox_daemon

docker = pytest.importorskip("docker")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + "-key.pem", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=" + name, cwd=d)


def make_cert(d, name, ca, ext):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + "-key.pem", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
    (Path(d) / (name + ".ext")).write_text(ext + "\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + "-key.pem",
            "-CAcreateserial", "-out", name + "-cert.pem", "-days", "2", "-extfile",
            name + ".ext", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA with a server and a client certificate, and a client certificate of another CA,
    as Docker's "protect the daemon socket" guide makes them."""
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca")
    make_ca(d, "otherca")
    make_cert(d, "server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
              "extendedKeyUsage=serverAuth")
    make_cert(d, "client", "ca", "extendedKeyUsage=clientAuth")
    make_cert(d, "rogue", "otherca", "extendedKeyUsage=clientAuth")
    return d


@pytest.fixture(scope="module")
def tlsd(tmp_path_factory, pki):
    """A daemon on its Unix socket and on 127.0.0.1:<port> with --tlsverify."""
    port = free_port()
    extra = ["-H", "tcp://127.0.0.1:%d" % port, "--tlsverify",
             "--tlscacert", pki / "ca.pem", "--tlscert", pki / "server-cert.pem",
             "--tlskey", pki / "server-key.pem"]
    for dm in busybox_daemon(tmp_path_factory.mktemp("tls"), extra=extra):
        dm.tcp = "tcp://127.0.0.1:%d" % port
        yield dm


def tls_docker(dm, pki, *args, cert="client", input=None, check=True):
    """The docker CLI over TCP with TLS; cert None: no client certificate."""
    flags = ["--tlsverify", "--tlscacert", pki / "ca.pem"]
    if cert:
        flags += ["--tlscert", pki / (cert + "-cert.pem"), "--tlskey", pki / (cert + "-key.pem")]
    env = dm.env()
    for k in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT"):
        env.pop(k, None)
    p = subprocess.run([DOCKER, *map(str, flags), "-H", dm.tcp, *map(str, args)], input=input,
                       capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert p.returncode == 0, (args, p.returncode, p.stdout, p.stderr)
    return p


def test_cli_over_tls(tlsd, pki):
    v = tls_docker(tlsd, pki, "version", "--format", "{{.Server.APIVersion}}")
    assert v.stdout.strip() == tlsd.get_json("/version")["ApiVersion"]
    assert tls_docker(tlsd, pki, "run", "--rm", "busybox", "echo", "hello tls").stdout == \
        "hello tls\n"
    p = tls_docker(tlsd, pki, "run", "--rm", "busybox", "sh", "-c", "echo err >&2; exit 3",
                   check=False)
    assert (p.returncode, p.stderr) == (3, "err\n")


def test_hijacked_streams_over_tls(tlsd, pki):
    """run -i and exec -i: stdin reaches the process and its end (the client's half-close
    through TLS) ends it; the output comes back whole."""
    lines = "".join("line %d\n" % i for i in range(5000))
    p = tls_docker(tlsd, pki, "run", "--rm", "-i", "busybox", "sh", "-c",
                   "cat > /in; wc -l < /in; md5sum < /in", input=lines)
    assert p.stdout.split() == ["5000", hashlib.md5(lines.encode()).hexdigest(), "-"]
    tls_docker(tlsd, pki, "run", "-d", "--name", "tls-exec", "busybox", "sleep", "300")
    try:
        assert tls_docker(tlsd, pki, "exec", "tls-exec", "echo", "in exec").stdout == "in exec\n"
        assert tls_docker(tlsd, pki, "exec", "-i", "tls-exec", "cat", input="abc\n").stdout == \
            "abc\n"
        assert tls_docker(tlsd, pki, "exec", "tls-exec", "sh", "-c", "exit 7",
                          check=False).returncode == 7
    finally:
        tlsd.docker("rm", "-f", "tls-exec")


def test_client_environment(tlsd, pki, tmp_path, monkeypatch):
    """DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem): the
    docker CLI and docker.from_env() find the daemon with them alone."""
    for src, dst in (("ca.pem", "ca.pem"), ("client-cert.pem", "cert.pem"),
                     ("client-key.pem", "key.pem")):
        (tmp_path / dst).write_bytes((pki / src).read_bytes())
    env = tlsd.env()
    env.update(DOCKER_HOST=tlsd.tcp, DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(tmp_path))
    p = subprocess.run([DOCKER, "version", "--format", "{{.Server.Os}}"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout) == (0, "linux\n"), p.stderr
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(k, raising=False)
    c = docker.from_env(environment=env, version="1.45")
    assert c.info()["OSType"] == "linux"
    c.close()


def docker_py(dm, pki, monkeypatch, cert=("client-cert.pem", "client-key.pem")):
    # requests prefers these to the session's CA (its bug 3829): the test's CA must be used
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(k, raising=False)
    tls = docker.tls.TLSConfig(client_cert=cert and tuple(str(pki / c) for c in cert),
                               ca_cert=str(pki / "ca.pem"), verify=True)
    return docker.DockerClient(base_url=dm.tcp.replace("tcp://", "https://"), tls=tls,
                               version="1.45", timeout=60)


def test_docker_py_over_tls(tlsd, pki, monkeypatch):
    c = docker_py(tlsd, pki, monkeypatch)
    assert c.ping()
    assert c.containers.run("busybox", ["echo", "py"], remove=True) == b"py\n"
    ct = c.containers.run("busybox", ["sleep", "300"], detach=True)
    try:
        r = ct.exec_run(["sh", "-c", "echo out; exit 2"])
        assert (r.exit_code, r.output) == (2, b"out\n")
    finally:
        ct.remove(force=True)
    c.close()


def test_clients_without_a_good_certificate_refused(tlsd, pki, monkeypatch):
    p = tls_docker(tlsd, pki, "version", cert=None, check=False)
    assert p.returncode != 0 and "Server:" not in p.stdout
    p = tls_docker(tlsd, pki, "version", cert="rogue", check=False)
    assert p.returncode != 0 and "Server:" not in p.stdout
    # docker-py (OpenSSL) sends its certificate whatever CA the server asks for: the
    # verification itself refuses it
    for cert in (None, ("rogue-cert.pem", "rogue-key.pem")):
        with pytest.raises(Exception) as ei:
            docker_py(tlsd, pki, monkeypatch, cert=cert).version()
        assert "SSL" in repr(ei.value), repr(ei.value)
    log = tlsd.log()
    assert "refused: no client certificate" in log
    assert "certificate issuer is unknown" in log
    # the Unix socket is unaffected
    assert tlsd.docker("version", "--format", "{{.Server.Os}}").stdout == "linux\n"


@pytest.mark.parametrize("flags,why", [
    ((), "plain TCP"),
    (("--tls",), "--tls without --tlsverify"),
])
def test_plain_tcp_refused_at_start(tmp_path, pki, flags, why):
    port = free_port()
    dm = Daemon(tmp_path)
    argv = dm.argv("-H", "tcp://127.0.0.1:%d" % port, "--tlscert", pki / "server-cert.pem",
                   "--tlskey", pki / "server-key.pem", *flags)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 1, p
    assert why in p.stderr and "--tlsverify --tlscacert" in p.stderr, p.stderr
    assert not dm.sock.exists() and not dm.root.exists()  # refused before anything was made
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("files,why", [
    (("ca.pem", "server-cert.pem", "client-key.pem"), "do not match"),
    (("server-key.pem", "server-cert.pem", "server-key.pem"), "--tlscacert"),
    (("ca.pem", "missing.pem", "server-key.pem"), "--tlscert"),
])
def test_bad_tls_files_refused_at_start(tmp_path, pki, files, why):
    dm = Daemon(tmp_path)
    ca, cert, key = (pki / f for f in files)
    p = subprocess.run(dm.argv("-H", "tcp://127.0.0.1:%d" % free_port(), "--tlsverify",
                               "--tlscacert", ca, "--tlscert", cert, "--tlskey", key),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and why in p.stderr, p.stderr
    assert not dm.root.exists() and not dm.sock.exists()


def test_berth_cli_points_to_docker_for_tls(pki):
    p = subprocess.run([str(BERTH), "-H", "tcp://127.0.0.1:2376", "version"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "docker" in p.stderr and "--tlsverify" in p.stderr, p.stderr
