# SPDX-License-Identifier: GPL-3.0-or-later
"""ursync --daemon as the server of rsync 3.5.0's client and of ursync's,
compared with rsync's client talking to rsync 3.5.0's daemon on the same
configuration: module listings and the motd, pulls and pushes over TCP and
through RSYNC_CONNECT_PROG (the inetd way), authentication, unknown
modules, hosts allow/deny, read only and write only, refused options, and
what a bad configuration file does. Each case compares exit code, stdout,
stderr (normalised) and the tree left behind."""

import contextlib
import os
import shutil
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
import test_daemon_client as dc  # noqa: E402
from test_daemon_client import free_port  # noqa: E402

pytestmark = [pytest.mark.interop]


@pytest.fixture(autouse=True)
def _no_leak_check_in_a_chroot(monkeypatch):
    """A daemon chrooted into its module has no /proc, where LeakSanitizer
    looks at exit: an ASan build's daemon would report that as an error of
    its own. Leak checking stays on for every other test."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (opts + ":" if opts else "") + "detect_leaks=0")

MOTD = "Welcome to the ursync daemon test\nsecond motd line\n"
SERVERS = ("rsync", "ursync")


def wait_port(port, proc, what):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


@contextlib.contextmanager
def serving(prog, conf, port):
    """prog --daemon in the foreground on 127.0.0.1:port while the block runs."""
    p = subprocess.Popen([rh.PROGS[prog], "--daemon", "--no-detach", f"--config={conf}",
                          f"--port={port}", "--address=127.0.0.1"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        wait_port(port, p, prog)
        yield p
    finally:
        p.terminate()
        p.wait(timeout=5)


class Daemon:
    """One daemon (rsync's or ursync's) with its own writable module."""

    def __init__(self, base: Path, prog: str, src: Path):
        self.prog = prog
        self.base = base
        base.mkdir()
        self.port = free_port()
        self.w = base / "w"
        self.w.mkdir()
        self.secrets = base / "secrets"
        self.secrets.write_text("alice:sesame\n@staff:groupword\n")
        os.chmod(self.secrets, 0o600)
        (base / "motd").write_text(MOTD)
        self.conf = base / "rsyncd.conf"
        self.conf.write_text(f"""\
# the test's daemon; every module is chrooted (use chroot unset, as root)
pid file = {base}/rsyncd.pid
log file = {base}/rsyncd.log
motd file = {base}/motd
lock file = {base}/rsyncd.lock
uid = root
gid = root

[mod]
  path = {src}
  comment = the source tree
[w]
  path = {self.w}
  read only = no
  ignore errors = yes
[sec]
  path = {src}
  comment = needs a password
  auth users = alice, bob:deny
  secrets file = {self.secrets}
[hidden]
  path = {src}
  list = no
[denied]
  path = {src}
  hosts deny = 127.0.0.0/8
[denied-hidden]
  path = {src}
  list = false
  hosts allow = 10.0.0.0/255.0.0.0 ::2
[allowed]
  path = {src}
  hosts allow = 192.168.0.1 127.0.0.1
  hosts deny = *
[noref]
  path = {src}
  refuse options = delete checksum
[wo]
  path = {self.w}
  write only = yes
  read only = no
[one]
  path = {src}
  max connections = 1
[closed]
  path = {src}
  max connections = -1
""")
        self.proc = subprocess.Popen(
            [rh.PROGS[prog], "--daemon", "--no-detach", f"--config={self.conf}",
             f"--port={self.port}", "--address=127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(self.port, self.proc, f"{prog} --daemon")
        except RuntimeError:
            self.stop()
            raise

    def url(self, path=""):
        return f"rsync://127.0.0.1:{self.port}/{path}"

    stop = dc.Daemon.stop


@pytest.fixture(scope="module")
def daemons(tmp_path_factory):
    base = tmp_path_factory.mktemp("dserver")
    rh.build_source(harness.Tree(base), top="src")
    ds = {}
    try:
        for prog in SERVERS:
            ds[prog] = Daemon(base / f"d-{prog}", prog, base / "src")
        yield ds
    finally:
        for d in ds.values():
            d.stop()


def run(client, server, args, wd: Path, env=None, dst: Path = None):
    r = dc.run(client, args, wd, env, dst)
    r.label = f"{client}->{server}d"
    return r


def compare(daemons, tmp_path, args_for, env_for=None, dst_for=None, drop=(), rc=True,
            cleanup=False, pairs=(("rsync", "ursync"), ("ursync", "ursync"))):
    """rsync's client against rsync's daemon is the reference; rsync's and
    ursync's clients against ursync's daemon must do the same. args_for(d,
    wd), env_for(d) and dst_for(d, wd) give the arguments, environment and
    tree to compare for daemon d (the work directory's name is the same
    for every pair, so that it can appear in the output). Lines of stderr
    holding any of drop are left out of the comparison (races of rsync's
    own); rc=False compares only that each run failed. cleanup removes the
    compared tree after each run (a destination inside a module)."""
    runs = {}
    for client, server in (("rsync", "rsync"), *pairs):
        d = daemons[server]
        wd = tmp_path / f"{client}-{server}" / "wd"
        dst = dst_for(d, wd) if dst_for else None
        runs[(client, server)] = r = run(client, server, args_for(d, wd), wd,
                                         env_for(d) if env_for else None, dst)
        r.err = "".join(x for x in r.err.splitlines(True) if not any(s in x for s in drop))
        if not rc:
            r.rc = "failed" if r.rc else 0
        if cleanup and dst is not None and dst.exists():
            shutil.rmtree(dst)
    ref = runs[("rsync", "rsync")]
    for key in pairs:
        rh.assert_same(ref, runs[key], " ".join(runs[key].args))
    return runs


@pytest.mark.parametrize("form", ["url", "double-colon", "no-motd"])
def test_listing(daemons, tmp_path, form):
    def args(d, wd):
        if form == "double-colon":
            return [f"--port={d.port}", "127.0.0.1::"]
        return (["--no-motd"] if form == "no-motd" else []) + [d.url()]
    runs = compare(daemons, tmp_path, args)
    out = runs[("rsync", "ursync")].out
    assert ("the source tree" in out) == (form != "no-motd")
    assert "hidden" not in out and "second motd line" in out or form == "no-motd"


@pytest.mark.parametrize("opts", [["-a"], ["-av"], ["-ai", "--delete"], ["-a", "--stats"],
                                  ["-rlptz"], ["-avn"], ["-a", "--protocol=30"],
                                  ["-a", "--protocol=31"]],
                         ids=lambda o: "_".join(o))
def test_pull(daemons, tmp_path, opts):
    runs = compare(daemons, tmp_path,
                   lambda d, wd: [*opts, d.url("mod/"), str(wd / "dst") + "/"],
                   dst_for=lambda d, wd: wd / "dst")
    assert runs[("ursync", "ursync")].rc == 0


def test_pull_subdir_and_remote_listing(daemons, tmp_path):
    compare(daemons, tmp_path, lambda d, wd: ["-a", d.url("mod/sub"), str(wd / "dst")],
            dst_for=lambda d, wd: wd / "dst")
    compare(daemons, tmp_path / "ls", lambda d, wd: ["-r", d.url("mod/sub/")])


@pytest.mark.parametrize("opts", [["-a"], ["-av", "--delete"], ["-ai"], ["-a", "--protocol=30"],
                                  ["-az", "--protocol=31"]],
                         ids=lambda o: "_".join(o))
def test_push(daemons, tmp_path, opts):
    def args(d, wd):
        return [*opts, str(d.base.parent / "src") + "/", d.url(f"w/{tmp_path.name}/")]
    compare(daemons, tmp_path, args, dst_for=lambda d, wd: d.w / tmp_path.name, cleanup=True)


def test_connect_prog(daemons, tmp_path):
    """The daemon on one socket as its stdin (RSYNC_CONNECT_PROG, inetd)."""
    def env(d):
        return {"RSYNC_CONNECT_PROG": f"{rh.PROGS[d.prog]} --config={d.conf} --daemon # %H"}
    compare(daemons, tmp_path, lambda d, wd: ["-a", "rsync://localhost/mod/", str(wd / "dst")],
            env_for=env, dst_for=lambda d, wd: wd / "dst")
    compare(daemons, tmp_path / "list", lambda d, wd: ["rsync://localhost/"], env_for=env)
    compare(daemons, tmp_path / "push",
            lambda d, wd: ["-a", str(d.base.parent / "src") + "/", "rsync://localhost/w/cp/"],
            env_for=env, dst_for=lambda d, wd: d.w / "cp", cleanup=True)


@pytest.mark.parametrize("case", ["right", "wrong", "unknown-user", "denied-user",
                                  "password-file"])
def test_auth(daemons, tmp_path, case):
    user = {"unknown-user": "carol", "denied-user": "bob"}.get(case, "alice")
    env = {"RSYNC_PASSWORD": "nope" if case == "wrong" else "sesame"}
    extra = []
    if case == "password-file":
        pw = tmp_path / "pw"
        pw.write_text("sesame\n")
        os.chmod(pw, 0o600)
        extra = [f"--password-file={pw}"]
        env = {}
    runs = compare(daemons, tmp_path,
                   lambda d, wd: [*extra, "-a", d.url("sec/").replace("//", f"//{user}@"),
                                  str(wd / "dst")],
                   env_for=lambda d: env, dst_for=lambda d, wd: wd / "dst")
    assert runs[("rsync", "ursync")].rc == (0 if case in ("right", "password-file") else 5)


@pytest.mark.parametrize("case", ["unknown-module", "hosts-deny", "hosts-deny-unlisted",
                                  "hosts-allow", "push-read-only", "pull-write-only",
                                  "refused-option", "refused-option-short",
                                  "refused-push-delete"])
def test_refusals(daemons, tmp_path, case):
    def args(d, wd):
        dst = str(wd / "dst")
        return {
            "unknown-module": ["-a", d.url("nosuch/"), dst],
            "hosts-deny": ["-a", d.url("denied/"), dst],
            "hosts-deny-unlisted": ["-a", d.url("denied-hidden/"), dst],
            "hosts-allow": ["-a", d.url("allowed/"), dst],
            "push-read-only": ["-a", str(d.base.parent / "src") + "/", d.url("mod/x/")],
            "pull-write-only": ["-a", d.url("wo/"), dst],
            "refused-option": ["-a", "--delete", d.url("noref/"), dst],
            "refused-option-short": ["-ac", d.url("noref/"), dst],
            "refused-push-delete": ["-a", "--delete", str(d.base.parent / "src") + "/",
                                    d.url("noref/x/")],
        }[case]
    # rsync's client may add a "Connection reset by peer" line when rsync's
    # daemon closes first (a race of its own). A refused option: rsync's
    # daemon drops the connection after the message (the client then fails
    # with a socket error, 10 or 12); ursync's ends the protocol cleanly with
    # code 4. The message is compared, the closing lines are not.
    refused = case.startswith("refused-") and case != "refused-option"
    drop = ("reset by peer", "connection unexpectedly closed",
            "error in rsync protocol data stream")
    if refused:
        drop += ("rsync error: ", "ursync error: ", "error in socket IO")
    runs = compare(daemons, tmp_path, args, dst_for=lambda d, wd: wd / "dst", drop=drop,
                   rc=not refused)
    if refused:
        assert "The server is configured to refuse" in runs[("ursync", "ursync")].err
    want = {"unknown-module": 5, "hosts-deny": 5, "hosts-deny-unlisted": 5, "hosts-allow": 0,
            "push-read-only": 1, "pull-write-only": 1}.get(case)
    if want is not None:
        assert runs[("rsync", "ursync")].rc == want


def test_max_connections(daemons, tmp_path):
    """A second client while the one slot is held gets rsync's @ERROR."""
    for prog in SERVERS:
        d = daemons[prog]
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        f = s.makefile("rwb", buffering=0)
        f.readline()
        f.write(b"@RSYNCD: 32.0 md5\none\n")
        while True:  # the motd, then OK
            line = f.readline()
            if line.startswith(b"@RSYNCD: OK") or not line:
                break
        r = run("rsync", prog, ["-a", d.url("one/"), str(tmp_path / prog / "dst")],
                tmp_path / prog)
        s.close()
        assert r.rc == 5, r.err
        assert "@ERROR: max connections (1) reached -- try again later" in r.err


BAD_CONFIGS = {
    "unknown-directive": "&bogus value\n",
    "empty-parameter-name": "= x\n",
    "missing-include": "&include /nonexistent/x.conf\n",
    "missing-file": None,
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config(tmp_path, case):
    """A configuration file rsync cannot parse: exit 1 and the same line on
    stderr, before listening."""
    got = {}
    for prog in SERVERS:
        conf = tmp_path / f"{case}.conf"
        if BAD_CONFIGS[case] is not None:
            conf.write_text(BAD_CONFIGS[case])
        p = subprocess.run([rh.PROGS[prog], "--daemon", "--no-detach", f"--config={conf}",
                            f"--port={free_port()}"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        got[prog] = (p.returncode, p.stdout, p.stderr)
    assert got["ursync"] == got["rsync"]
    assert got["ursync"][0] == 1


def test_soft_config_errors_still_serve(tmp_path):
    """Unknown parameters, bad booleans and global parameters in a module
    are logged and skipped: both daemons start and serve."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x\n")
    outs = {}
    for prog in SERVERS:
        base = tmp_path / prog
        base.mkdir()
        conf = base / "rsyncd.conf"
        port = free_port()
        conf.write_text(f"log file = {base}/log\nbogus = 1\nlist = maybe\n"
                        f"[m]\npath = {src}\nport = 1\n")
        with serving(prog, conf, port):
            r = subprocess.run([rh.RSYNC, f"rsync://127.0.0.1:{port}/"], capture_output=True,
                               timeout=10)
            outs[prog] = (r.returncode, r.stdout)
        log = (base / "log").read_text()
        assert 'Unknown Parameter encountered: "bogus"' in log
        assert 'Badly formed boolean in configuration file: "maybe".' in log
    assert outs["ursync"] == outs["rsync"]


@pytest.mark.parametrize("param", ["exclude = *.o", "pre-xfer exec = /bin/true",
                                   "use chroot = no", "incoming chmod = Fu+w",
                                   "fake super = yes"])
def test_unsupported_parameter_refuses_to_start(tmp_path, param):
    """A parameter ursync's daemon cannot honour yet stops it before it
    listens, rather than serving the module less safely than configured."""
    conf = tmp_path / "rsyncd.conf"
    conf.write_text(f"[m]\npath = {tmp_path}\n{param}\n")
    p = subprocess.run([rh.URSYNC, "--daemon", "--no-detach", f"--config={conf}",
                        f"--port={free_port()}"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "module [m]" in err and param.split(" =")[0] in err and "refusing to start" in err


def test_detach_and_pid_file(tmp_path):
    """Without --no-detach the daemon goes to the background (the command
    returns 0 once it listens) and writes its pid file."""
    src = tmp_path / "src"
    src.mkdir()
    conf = tmp_path / "rsyncd.conf"
    pidf = tmp_path / "d.pid"
    conf.write_text(f"pid file = {pidf}\n[m]\npath = {src}\n")
    port = free_port()
    r = subprocess.run([rh.URSYNC, "--daemon", f"--config={conf}", f"--port={port}",
                        "--address=127.0.0.1"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 10
    while not (pidf.exists() and pidf.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pidf.read_text())
    try:
        out = subprocess.run([rh.RSYNC, f"rsync://127.0.0.1:{port}/"], capture_output=True,
                             timeout=10)
        assert out.returncode == 0 and out.stdout.startswith(b"m ")
    finally:
        os.kill(pid, 15)
    deadline = time.monotonic() + 5
    while pidf.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pidf.exists()


@pytest.mark.parametrize("direction", ["pull", "push"])
def test_server_daemon_over_remote_shell(daemons, tmp_path, direction):
    """host::module with -e: `--server --daemon` started by the remote shell
    reads the configuration and serves the one client on its pipes."""
    def args(d, wd):
        rpath = f"--rsync-path={rh.PROGS[d.prog]} --config={d.conf}"
        if direction == "pull":
            return ["-a", "-e", rh.FAKESHELL, rpath, "localhost::mod/", str(wd / "dst")]
        return ["-a", "-e", rh.FAKESHELL, rpath, str(d.base.parent / "src") + "/",
                "localhost::w/rsh/"]
    dst = (lambda d, wd: wd / "dst") if direction == "pull" else (lambda d, wd: d.w / "rsh")
    compare(daemons, tmp_path, args, dst_for=dst, cleanup=direction == "push")


def test_silent_client_is_dropped(tmp_path):
    """A client that says nothing after the greeting is dropped after the
    handshake bound (here the global "timeout = 1"), by both daemons."""
    src = tmp_path / "src"
    src.mkdir()
    for prog in SERVERS:
        conf = tmp_path / f"{prog}.conf"
        conf.write_text(f"timeout = 1\n[m]\npath = {src}\n")
        port = free_port()
        with serving(prog, conf, port):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            t = time.monotonic()
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
            assert data.startswith(b"@RSYNCD: 32.0"), (prog, data)
            assert time.monotonic() - t < 8, prog


def test_port_in_use(tmp_path):
    """A port already taken: exit 10, and (as rsync) the reason only in the
    log, not on stderr."""
    src = tmp_path / "src"
    src.mkdir()
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        got = {}
        for prog in SERVERS:
            conf = tmp_path / f"{prog}.conf"
            log = tmp_path / f"{prog}.log"
            conf.write_text(f"log file = {log}\n[m]\npath = {src}\n")
            p = subprocess.run([rh.PROGS[prog], "--daemon", "--no-detach", f"--config={conf}",
                                f"--port={port}", "--address=127.0.0.1"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
            got[prog] = (p.returncode, p.stdout, p.stderr)
            assert f"unable to bind any inbound sockets on port {port}" in log.read_text()
    assert got["ursync"] == got["rsync"] == (10, b"", b"")


def exchange(port, hello: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(hello)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                return data
            data += chunk
        return data


@pytest.mark.parametrize("hello", [
    b"@RSYNCD: 31.0\n\n", b"@RSYNCD: 32.0 md5\n#list\n", b"@RSYNCD: 29\n\n",
    b"hello\n", b"@RSYNCD: 32.0\n", b"@RSYNCD: 31\nmod\n", b"@RSYNCD: 32.0 md5\n#foo\n",
    b"@RSYNCD: 32.0 md5\nnosuch\n", b"@RSYNCD: 32.0 md5\ndenied\n",
    b"@RSYNCD: 32.0 md5\ndenied-hidden\n", b"@RSYNCD: 32.0 md5\n#early_input=0\nmod\n",
    b"@RSYNCD: 32.0 md5\n#early_input=9999\nmod\n",
    b"@RSYNCD: 32.0 bogus\nsec\n", b"@RSYNCD: 32.0 md5\nsec\nalice\n",
    b"@RSYNCD: 32.0 md5\nclosed\n",
], ids=lambda h: h.decode().replace("\n", "|"))
def test_text_exchange_bytes(daemons, hello):
    """The server's side of the text exchange, byte for byte (a challenge
    is random: only its length is compared)."""
    import re
    got = {}
    for prog in SERVERS:
        data = exchange(daemons[prog].port, hello)
        got[prog] = re.sub(rb"(AUTHREQD )(\S+)", lambda m: m[1] + b"X" * len(m[2]), data)
    assert got["ursync"] == got["rsync"]


@pytest.mark.parametrize("direction", ["pull", "push"])
def test_secluded_args(daemons, tmp_path, direction):
    """rsync's client with -s sends the paths as a second list after its
    options (ursync's client does not do -s over a connection yet)."""
    def args(d, wd):
        if direction == "pull":
            return ["-s", "-a", d.url("mod/sub"), str(wd / "dst")]
        return ["-s", "-a", str(d.base.parent / "src") + "/", d.url("w/sec/")]
    dst = (lambda d, wd: wd / "dst") if direction == "pull" else (lambda d, wd: d.w / "sec")
    compare(daemons, tmp_path, args, dst_for=dst, cleanup=direction == "push",
            pairs=(("rsync", "ursync"),))


@pytest.mark.parametrize("client", ["rsync", "ursync"])
def test_unsupported_module_refused_on_a_pipe(tmp_path, client):
    """Started for one connection (inetd, RSYNC_CONNECT_PROG) there is no
    start to refuse: the module with a parameter ursync cannot honour is
    refused to the client with an @ERROR line (exit 5)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x\n")
    conf = tmp_path / "rsyncd.conf"
    conf.write_text(f"[m]\npath = {src}\nexclude = f\n[ok]\npath = {src}\n")
    env = {"RSYNC_CONNECT_PROG": f"{rh.URSYNC} --config={conf} --daemon"}
    r = dc.run(client, ["-a", "rsync://localhost/m/", str(tmp_path / "dst")], tmp_path / "wd",
               env)
    assert r.rc == 5, r.err
    assert '@ERROR: module m uses "exclude", which this daemon does not support yet' in r.err
    assert not (tmp_path / "dst").exists()
    r = dc.run(client, ["-a", "rsync://localhost/ok/", str(tmp_path / "dst")], tmp_path / "wd",
               env)
    assert r.rc == 0 and (tmp_path / "dst" / "f").exists(), r.err
