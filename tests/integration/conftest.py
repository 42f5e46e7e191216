# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest wiring for the local-sync comparison suite.

    URSYNC=/path/to/ursync /usr/bin/python3 -m pytest -q tests/integration

Every test that takes the `rr` fixture runs twice: with ursync's default
fastio backend and with URSYNC_IO=posix. URSYNC_KEEP=1 keeps the work
directories (their paths are printed in failure messages).
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def pytest_report_header(config):
    return [f"ursync: {harness.URSYNC}", f"rsync: {harness.RSYNC}"]


@pytest.fixture(scope="session")
def reference_rsync():
    try:
        out = subprocess.run([harness.RSYNC, "--version"], capture_output=True, text=True).stdout
    except OSError as e:
        pytest.exit(f"reference rsync not runnable: {e}", returncode=3)
    if not re.search(r"version 3\.5\.0\b", out):
        pytest.exit(f"reference rsync is not 3.5.0: {out.splitlines()[:1]}", returncode=3)
    return harness.RSYNC


@pytest.fixture(scope="session")
def ursync_bin():
    path = harness.URSYNC
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"ursync binary not found at {path} (set URSYNC)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def it_base():
    base = Path(tempfile.mkdtemp(prefix="ursync-it-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    if not harness.KEEP:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def ws(it_base, request):
    tag = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:60] + "-" + tag
    d = it_base / name
    d.mkdir()
    os.chmod(d, 0o755)
    w = harness.Workspace(d)
    yield w
    w.cleanup()
    if not harness.KEEP:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(params=["auto", "posix"], ids=["io-auto", "io-posix"])
def io_backend(request):
    return request.param


@pytest.fixture
def rr(ws, io_backend, reference_rsync, ursync_bin):
    """The Runner: rr.run_both(args, setup) and rr.check(args, setup)."""
    return harness.Runner(ws, io_backend)


@pytest.fixture(scope="session")
def am_root():
    if os.geteuid() != 0:
        pytest.skip("needs root (devices, owners, mounts, setpriv)")
    return True
