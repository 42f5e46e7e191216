# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest wiring for the remote-shell interop suite.

    URSYNC=/path/to/ursync /usr/bin/python3 -m pytest -q tests/interop

Selecting:
    -k rsync-rsync          only the cells with rsync on both ends (marker)
    -m ursync               only the cells with ursync on at least one end
    -m "not ssh"            only the fakeshell transport (no sshd needed)
    -k "client_ursync and server_rsync and push"

URSYNC_KEEP=1 keeps the work directories (their paths are in the failure
messages). The ssh transport runs a private sshd (session fixture `sshd`)
on 127.0.0.1 with throwaway keys; it is skipped, with the reason, only when
sshd is not installed or will not start.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import remote_harness as rh  # noqa: E402

SSHD = os.environ.get("URSYNC_SSHD", "/usr/sbin/sshd")  # override to test the skip


def pytest_configure(config):
    for name, doc in (("interop", "remote-shell interop cells (tests/interop)"),
                      ("rsync-rsync", "a cell with rsync 3.5.0 on both ends"),
                      ("ursync", "a cell with ursync on at least one end"),
                      ("ssh", "runs over a real sshd"),
                      ("fakeshell", "runs over tests/interop/fakeshell")):
        config.addinivalue_line("markers", f"{name}: {doc}")


def pytest_report_header(config):
    return [f"ursync: {rh.URSYNC}", f"rsync: {rh.RSYNC}"]


@pytest.fixture(scope="session")
def reference_rsync():
    try:
        out = subprocess.run([rh.RSYNC, "--version"], capture_output=True, text=True).stdout
    except OSError as e:
        pytest.exit(f"reference rsync not runnable: {e}", returncode=3)
    if not re.search(r"version 3\.5\.0\b", out):
        pytest.exit(f"reference rsync is not 3.5.0: {out.splitlines()[:1]}", returncode=3)
    return rh.RSYNC


@pytest.fixture(scope="session")
def interop_base():
    base = Path(tempfile.mkdtemp(prefix="ursync-interop-", dir="/tmp"))
    os.chmod(base, 0o755)  # the error cells run a server as nobody
    yield base
    if not rh.harness.KEEP:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def inputs(interop_base, reference_rsync):
    """The seed trees, built once; every cell copies them with cp -a."""
    return rh.Inputs(interop_base / "work")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_banner(port, proc, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(2)
                if s.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def sshd(interop_base):
    """A private sshd on 127.0.0.1 accepting a throwaway key for root.
    Returns the -e string for the clients."""
    if not os.path.exists(SSHD) or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        pytest.skip(f"{SSHD} or ssh not installed (Debian: apt-get install openssh-server openssh-client)")
    d = interop_base / "sshd"
    d.mkdir()
    os.chmod(d, 0o700)
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ursync-interop",
                        "-f", str(d / key)], check=True, capture_output=True)
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    port = _free_port()
    (d / "sshd_config").write_text(f"""\
ListenAddress 127.0.0.1
Port {port}
HostKey {d}/host_key
AuthorizedKeysFile {d}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
UseDNS no
PidFile {d}/sshd.pid
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 100
""")
    # sshd insists on its privilege separation directory.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    log = d / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-f", str(d / "sshd_config"), "-E", str(log)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        if not _wait_banner(port, proc, time.monotonic() + 10):
            err = proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""
            text = log.read_text(errors="replace") if log.exists() else ""
            why = (f"exit {proc.returncode}" if proc.poll() is not None
                   else "no SSH banner within 10 s")
            pytest.skip(f"sshd would not start ({why}): {err.strip()} {text.strip()}".strip())
        shell = (f"ssh -p {port} -i {d}/client_key -o StrictHostKeyChecking=no "
                 f"-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR")
        # Started: from here on, a failure is the fixture's bug, not a skip.
        r = subprocess.run([*shell.split(), "127.0.0.1", "echo", "ursync-interop-ok"],
                           capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, env=rh.harness.base_env())
        if r.returncode != 0 or "ursync-interop-ok" not in r.stdout:
            pytest.fail(f"sshd is up but a login failed (rc {r.returncode}): {r.stderr}\n"
                        f"sshd log:\n{log.read_text(errors='replace')}", pytrace=False)
        yield shell
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def shells(request):
    """{transport: (-e string, host)}; asks for sshd only when the test uses it."""
    out = {"fakeshell": (rh.FAKESHELL, "localhost")}
    if "ssh" in request.keywords:
        out["ssh"] = (request.getfixturevalue("sshd"), "127.0.0.1")
    return out


class References:
    """rsync->rsync runs, one per (kind, direction/scenario, transport,
    options), made on first use and shared by every cell of that key."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.runs = {}

    def cell(self, shells, direction, transport, opts, dest):
        key = ("cell", direction, transport, opts)
        if key not in self.runs:
            self.runs[key] = rh.run_cell(self.inputs, shells, direction, transport, "rsync",
                                         "rsync", opts, dest,
                                         name=f"REF-{direction}-{transport}-{rh.opts_id(opts)}")
        return self.runs[key]

    def error(self, shells, scenario, transport):
        key = ("error", scenario, transport)
        if key not in self.runs:
            self.runs[key] = rh.run_error_cell(self.inputs, shells, scenario, transport, "rsync",
                                               "rsync", name=f"REF-{scenario}-{transport}")
        return self.runs[key]


@pytest.fixture(scope="session")
def references(inputs):
    return References(inputs)


@pytest.fixture(scope="session")
def ursync_available():
    """None when the ursync binary is there, else why not (a cell that
    needs it fails with this reason instead of an exec error)."""
    p = rh.URSYNC
    if os.path.isfile(p) and os.access(p, os.X_OK):
        return None
    return f"ursync binary not found at {p} (set URSYNC or build it)"
