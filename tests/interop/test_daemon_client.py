# SPDX-License-Identifier: GPL-3.0-or-later
"""ursync as the client of rsync 3.5.0's daemon, compared with rsync's own
client doing the same: module listings and the motd, pulls and pushes over
TCP on 127.0.0.1 and through RSYNC_CONNECT_PROG, authentication (right and
wrong passwords, RSYNC_PASSWORD and --password-file, a password file others
can read), unknown modules and a port nobody listens on. Each case runs
rsync's client and ursync's against the same daemon and compares exit code,
stdout, stderr (normalised) and the tree left behind."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))

import harness  # noqa: E402
import remote_harness as rh  # noqa: E402

pytestmark = [pytest.mark.interop]

MOTD = "Welcome to the interop daemon\nsecond motd line\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """rsync 3.5.0 --daemon on 127.0.0.1 with a few modules."""

    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.src = base / "src"
        self.w = {p: base / f"w-{p}" for p in ("rsync", "ursync")}
        for d in self.w.values():
            d.mkdir()
        self.secrets = base / "secrets"
        self.secrets.write_text("alice:sesame\n")
        os.chmod(self.secrets, 0o600)
        (base / "motd").write_text(MOTD)
        self.conf = base / "rsyncd.conf"
        self.conf.write_text(f"""\
pid file = {base}/rsyncd.pid
log file = {base}/rsyncd.log
use chroot = no
uid = root
gid = root
motd file = {base}/motd
[mod]
  path = {self.src}
  comment = the source tree
  read only = yes
[w-rsync]
  path = {self.w["rsync"]}
  read only = no
[w-ursync]
  path = {self.w["ursync"]}
  read only = no
[sec]
  path = {self.src}
  auth users = alice
  secrets file = {self.secrets}
[hidden]
  path = {self.src}
  list = no
[early]
  path = {self.src}
  early exec = {base}/early.sh
""")
        (base / "early.sh").write_text(f"#!/bin/sh\ncat > {base}/early.out\n")
        os.chmod(base / "early.sh", 0o755)
        self.proc = subprocess.Popen(
            [rh.RSYNC, "--daemon", "--no-detach", f"--config={self.conf}",
             f"--port={self.port}", "--address=127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("rsync --daemon did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    base = tmp_path_factory.mktemp("daemon")
    rh.build_source(harness.Tree(base), top="src")
    d = Daemon(base)
    yield d
    d.stop()


def run(prog, args, wd: Path, env=None, dst: Path = None):
    wd.mkdir(parents=True, exist_ok=True)
    e = harness.base_env(env or {})
    start_ns = time.time_ns()
    t = time.monotonic()
    rc, out, err = rh._run([rh.PROGS[prog], *args], wd, e)
    r = rh.Run(label=f"{prog}->rsyncd", wd=wd, args=args, rc=rc, out=harness._text(out),
               err=harness._text(err), seconds=time.monotonic() - t)
    if dst is not None and dst.exists():
        r.dst = harness.snapshot(dst, start_ns)
    return r


def both(daemon, tmp_path, args_for, env=None, dst_for=None, stdout=True):
    """Run the case with rsync's client, then ursync's, and compare.
    args_for(name) and dst_for(name) give each client its own arguments
    and the tree to compare."""
    runs = {}
    for prog in ("rsync", "ursync"):
        wd = tmp_path / prog
        runs[prog] = run(prog, args_for(prog, wd), wd, env,
                         dst_for(prog, wd) if dst_for else None)
    rh.assert_same(runs["rsync"], runs["ursync"], " ".join(runs["ursync"].args), stdout=stdout)
    return runs


def url(daemon, path=""):
    return f"rsync://127.0.0.1:{daemon.port}/{path}"


@pytest.mark.parametrize("form", ["url", "double-colon", "no-motd"])
def test_module_listing(daemon, tmp_path, form):
    def args(prog, wd):
        if form == "double-colon":
            return [f"--port={daemon.port}", "127.0.0.1::"]
        return (["--no-motd"] if form == "no-motd" else []) + [url(daemon)]
    runs = both(daemon, tmp_path, args)
    assert runs["ursync"].rc == 0
    assert ("the source tree" in runs["ursync"].out) == (form != "no-motd")
    assert "hidden" not in runs["ursync"].out


@pytest.mark.parametrize("opts", [["-a"], ["-av"], ["-ai"], ["-a", "--stats"],
                                  ["-rlpt", "--delete", "-z"], ["-avn"], ["-a", "--debug=cmd"]],
                         ids=lambda o: "_".join(o))
def test_pull(daemon, tmp_path, opts):
    def args(prog, wd):
        return [*opts, url(daemon, "mod/"), str(wd / "dst") + "/"]
    runs = both(daemon, tmp_path, args, dst_for=lambda p, wd: wd / "dst")
    assert runs["ursync"].rc == 0


def test_pull_module_path_and_listing_contents(daemon, tmp_path):
    both(daemon, tmp_path, lambda p, wd: ["-a", url(daemon, "mod/sub"), str(wd / "dst")],
         dst_for=lambda p, wd: wd / "dst")
    both(daemon, tmp_path / "list", lambda p, wd: ["-r", url(daemon, "mod/sub/")])


@pytest.mark.parametrize("opts", [["-a"], ["-av", "--delete"], ["-ai"]],
                         ids=lambda o: "_".join(o))
def test_push(daemon, tmp_path, opts):
    tag = tmp_path.name

    def args(prog, wd):
        return [*opts, str(daemon.src) + "/", url(daemon, f"w-{prog}/{tag}/")]
    both(daemon, tmp_path, args, dst_for=lambda p, wd: daemon.w[p] / tag)


def test_connect_prog(daemon, tmp_path):
    """The daemon on a pipe (RSYNC_CONNECT_PROG), as rsync's own test suite
    runs it; %H is the host, quoted."""
    env = {"RSYNC_CONNECT_PROG": f"{rh.RSYNC} --config={daemon.conf} --daemon # %H"}
    both(daemon, tmp_path, lambda p, wd: ["-a", "rsync://localhost/mod/", str(wd / "dst")],
         env=env, dst_for=lambda p, wd: wd / "dst")


@pytest.mark.parametrize("case", ["env-right", "env-wrong", "file-right", "file-wrong",
                                  "file-readable-by-others", "file-missing"])
def test_auth(daemon, tmp_path, case):
    env = {}
    extra = []
    if case.startswith("env"):
        env["RSYNC_PASSWORD"] = "sesame" if case == "env-right" else "nope"
    else:
        pw = tmp_path / "pw"
        if case != "file-missing":
            pw.write_text("sesame\n" if case != "file-wrong" else "nope\n")
            os.chmod(pw, 0o644 if case == "file-readable-by-others" else 0o600)
        extra = [f"--password-file={pw}"]
    runs = both(daemon, tmp_path,
                lambda p, wd: [*extra, "-a", f"rsync://alice@127.0.0.1:{daemon.port}/sec/",
                               str(wd / "dst")],
                env=env, dst_for=lambda p, wd: wd / "dst")
    want = {"env-right": 0, "file-right": 0, "env-wrong": 5, "file-wrong": 5}.get(case, 1)
    assert runs["ursync"].rc == want


@pytest.mark.parametrize("case", ["unknown-module", "refused-port", "slash-path",
                                  "push-read-only", "ipv6-only-to-v4-address",
                                  "bind-unusable-address"])
def test_errors(daemon, tmp_path, case):
    def args(prog, wd):
        if case == "unknown-module":
            return ["-a", url(daemon, "nosuch/"), str(wd / "dst")]
        if case == "refused-port":
            return ["-a", f"rsync://127.0.0.1:{free_port()}/mod/", str(wd / "dst")]
        if case == "ipv6-only-to-v4-address":
            return ["-6", "-a", url(daemon, "mod/"), str(wd / "dst")]
        if case == "bind-unusable-address":
            return ["--address=192.0.2.1", "-a", url(daemon, "mod/"), str(wd / "dst")]
        if case == "slash-path":
            return ["-a", f"127.0.0.1::/etc/", str(wd / "dst"), f"--port={daemon.port}"]
        return ["-a", str(daemon.src) + "/", url(daemon, "mod/x/")]
    if case == "push-read-only":
        # rsync's client may or may not add a "read error: Connection
        # reset by peer" line (it races the daemon's close): compare the
        # rest.
        runs = {p: run(p, args(p, tmp_path / p), tmp_path / p) for p in ("rsync", "ursync")}
        for r in runs.values():
            r.err = "".join(x for x in r.err.splitlines(True) if "reset by peer" not in x)
        rh.assert_same(runs["rsync"], runs["ursync"], case)
    else:
        runs = both(daemon, tmp_path, args)
    assert runs["ursync"].rc == {"unknown-module": 5, "refused-port": 10, "slash-path": 5,
                                 "push-read-only": 1, "ipv6-only-to-v4-address": 10,
                                 "bind-unusable-address": 10}[case]


@pytest.mark.parametrize("direction", ["pull", "push"])
def test_daemon_over_remote_shell(daemon, tmp_path, direction):
    """host::module with -e: the far side is started as `rsync --server
    --daemon .` by the remote shell and speaks the daemon's greeting on the
    pipe."""
    tag = tmp_path.name
    rpath = f"--rsync-path={rh.RSYNC} --config={daemon.conf}"

    def args(prog, wd):
        if direction == "pull":
            return ["-a", "-e", rh.FAKESHELL, rpath, "localhost::mod/", str(wd / "dst")]
        return ["-a", "-e", rh.FAKESHELL, rpath, str(daemon.src) + "/",
                f"localhost::w-{prog}/{tag}/"]
    dst = (lambda p, wd: wd / "dst") if direction == "pull" else \
        (lambda p, wd: daemon.w[p] / tag)
    both(daemon, tmp_path, args, dst_for=dst)


def fake_daemon_response(prog, digests, challenge, tmp_path, user="alice"):
    """Offer only `digests` in a scripted daemon's greeting, send a fixed
    challenge and return the client's "USER RESPONSE" line and exit code."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    wd = tmp_path / prog
    wd.mkdir(parents=True, exist_ok=True)
    p = subprocess.Popen([rh.PROGS[prog], "-a", f"rsync://{user}@127.0.0.1:{port}/sec/",
                          str(wd / "dst")], cwd=wd,
                         env=harness.base_env({"RSYNC_PASSWORD": "sesame"}),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    srv.settimeout(10)
    conn, _ = srv.accept()
    conn.settimeout(10)
    f = conn.makefile("rwb", buffering=0)
    f.write(f"@RSYNCD: 32.0 {digests}\n".encode())
    greeting = f.readline()
    module = f.readline()
    f.write(f"@RSYNCD: AUTHREQD {challenge}\n".encode())
    answer = f.readline().decode().rstrip("\n")
    f.write(b"@ERROR: auth failed on module sec\n")
    conn.close()
    srv.close()
    out, err = p.communicate(timeout=10)
    return greeting.decode(), module.decode(), answer, p.returncode


@pytest.mark.parametrize("digest", ["sha512", "sha256", "sha1", "md5", "md4",
                                    "md4 md5", "bogus sha1"])
def test_auth_digest_matches_rsync(tmp_path, digest):
    """The response to a challenge under each digest the server may offer is
    byte for byte rsync's (the strongest one both name is taken)."""
    challenge = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"
    ref = fake_daemon_response("rsync", digest, challenge, tmp_path)
    got = fake_daemon_response("ursync", digest, challenge, tmp_path)
    assert got[0].split()[2:] == ref[0].split()[2:]  # the digest lists
    assert got[1:] == ref[1:], (ref, got)
    assert got[2].startswith("alice ") and len(got[2]) > 12


@pytest.mark.parametrize("size", [0, 100, 5120, 5121])
def test_early_input(daemon, tmp_path, size):
    """--early-input=FILE reaches the module's early exec on its stdin, as
    with rsync; a file past 5120 bytes is refused before the module."""
    data = bytes((i * 7) % 251 for i in range(size))
    (tmp_path / "ei").write_bytes(data)
    got = {}
    for prog in ("rsync", "ursync"):
        out = daemon.base / "early.out"
        out.unlink(missing_ok=True)
        wd = tmp_path / prog
        r = run(prog, [f"--early-input={tmp_path / 'ei'}", "-a", url(daemon, "early/"),
                       str(wd / "dst")], wd)
        got[prog] = (r.rc, out.read_bytes() if out.exists() else None,
                     harness.norm_stderr(r.err, str(wd)))
    assert got["ursync"] == got["rsync"]
    if size <= 5120:
        assert got["ursync"][:2] == (0, data)


class Proxy:
    """A one-connection-at-a-time HTTP CONNECT proxy on 127.0.0.1 that
    relays to the daemon, or answers `answer` instead when given one.
    Records each request's lines."""

    def __init__(self, answer=None):
        import threading
        self.answer = answer
        self.requests = []
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.port = self.srv.getsockname()[1]
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        import threading
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        import select
        f = c.makefile("rb", buffering=0)
        lines = []
        while True:
            line = f.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            lines.append(line.decode().rstrip("\r\n"))
        self.requests.append(lines)
        if self.answer is not None:
            c.sendall(self.answer)
            c.close()
            return
        host, port = lines[0].split()[1].rsplit(":", 1)
        up = socket.create_connection((host, int(port)))
        c.sendall(b"HTTP/1.0 200 Connection established\r\nX-Test: 1\r\n\r\n")
        socks = [c, up]
        while True:
            r, _, _ = select.select(socks, [], [], 10)
            if not r:
                break
            done = False
            for s in r:
                data = s.recv(65536)
                if not data:
                    done = True
                    break
                (up if s is c else c).sendall(data)
            if done:
                break
        up.close()
        c.close()

    def close(self):
        self.srv.close()


@pytest.mark.parametrize("case", ["relay", "relay-auth", "refused-403", "not-http",
                                  "bad-spec"])
def test_rsync_proxy(daemon, tmp_path, case):
    """RSYNC_PROXY: the daemon through an HTTP CONNECT proxy, as rsync's
    client uses it: the same request lines (with Basic authentication from
    USER:PASS@), the same transfer, and the same failures."""
    answer = {"refused-403": b"HTTP/1.0 403 Forbidden\r\n\r\n",
              "not-http": b"SSH-2.0-nope\r\n"}.get(case)
    proxy = Proxy(answer)
    try:
        spec = f"127.0.0.1:{proxy.port}"
        if case == "relay-auth":
            spec = "bob:pa:ss@" + spec
        if case == "bad-spec":
            spec = "no-port-here"
        runs = both(daemon, tmp_path,
                    lambda p, wd: ["-a", url(daemon, "mod/sub/"), str(wd / "dst")],
                    env={"RSYNC_PROXY": spec}, dst_for=lambda p, wd: wd / "dst")
    finally:
        proxy.close()
    if case.startswith("relay"):
        assert runs["ursync"].rc == 0
        assert len(proxy.requests) == 2 and proxy.requests[0] == proxy.requests[1]
        assert proxy.requests[0][0] == f"CONNECT 127.0.0.1:{daemon.port} HTTP/1.0"
    else:
        assert runs["ursync"].rc == 10


def scripted_daemon(script, prog, tmp_path, args=(), env=None, timeout=10):
    """Run PROG's client against a scripted daemon on 127.0.0.1: script is a
    list of bytes to send, each after reading one line from the client
    (None: read nothing first). Returns (rc, normalised stderr, stdout)."""
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        try:
            c, _ = srv.accept()
        except OSError:
            return
        c.settimeout(timeout)
        f = c.makefile("rb", buffering=0)
        try:
            for read_first, data in script:
                if read_first:
                    f.readline()
                if data == "HANG":
                    time.sleep(timeout)
                    break
                c.sendall(data)
        except OSError:
            pass
        # read what the client sent, so that closing is an orderly end of
        # the stream (unread data would make it a reset)
        c.settimeout(0.3)
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    wd = tmp_path / prog
    wd.mkdir(parents=True, exist_ok=True)
    r = run(prog, [*args, "-a", f"rsync://127.0.0.1:{port}/mod/", str(wd / "dst")], wd, env)
    srv.close()
    return r.rc, sorted(r.stderr_lines), r.stdout_lines


GREET = b"@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n"
HOSTILE = {
    "no-greeting": [(False, b"")],
    "garbage-greeting": [(False, b"HTTP/1.1 400 Bad Request\n")],
    "no-subprotocol": [(False, b"@RSYNCD: 31\n")],
    "no-digest-list": [(False, b"@RSYNCD: 32.0\n")],
    "huge-greeting": [(False, b"@RSYNCD: 32.0 " + b"x" * 70000 + b"\n")],
    "nul-in-motd": [(False, GREET + b"motd\0line\n")],
    "longest-motd-line": [(False, GREET + b"m" * 5118 + b"\n@ERROR: stop\n")],
    "overlong-motd-line": [(False, GREET + b"m" * 5119 + b"\n@ERROR: stop\n")],
    "cr-in-lines": [(False, GREET + b"mo\rtd\r\n@ERROR: st\rop\r\n")],
    "eof-after-module": [(False, GREET), (True, b"")],
    "error-line": [(False, GREET), (True, b"@ERROR: max connections (3) reached -- try again later\n")],
    "exit-without-listing": [(False, GREET), (True, b"@RSYNCD: EXIT\n")],
    "auth-then-eof": [(False, GREET), (True, b"@RSYNCD: AUTHREQD abc\n"), (True, b"")],
    "silent-daemon": [(False, "HANG")],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_daemon(tmp_path, case):
    """A daemon that breaks the text exchange: the same exit code and
    messages as rsync's client, never a crash or a hang (--timeout)."""
    args = ["--timeout=2"] if case == "silent-daemon" else []
    env = {"RSYNC_PASSWORD": "x"}
    ref = scripted_daemon(HOSTILE[case], "rsync", tmp_path, args, env)
    got = scripted_daemon(HOSTILE[case], "ursync", tmp_path, args, env)
    assert got == ref
