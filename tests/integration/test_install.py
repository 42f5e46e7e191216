# SPDX-License-Identifier: GPL-3.0-or-later
"""What `make install` lays out, and that each piece works (docs/install.md).

    URSYNC=$PWD/build/ursync /usr/bin/python3 -m pytest -q tests/integration/test_install.py

`make install PREFIX=/usr DESTDIR=<tmp>` runs once on the build directory
of $URSYNC; the tests then read the staged tree: the binary and its rsync
link, the man pages (rendered by man, every option of the option table in
them), the bash completion (run in bash with bash-completion), the systemd
units (verified, and each ExecStart line run), the example rsyncd.conf.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

URSYNC = os.environ.get("URSYNC")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import optlist  # noqa: E402

PREFIX = "/usr"
TIMEOUT = 120
NOT_YET = re.compile(r"--daemon is not supported yet")


def table():
    return open(ROOT / "src/cli/options.c", encoding="utf-8").read()


MAIN = optlist.rows(table(), "main_opts")
DAEMON = optlist.rows(table(), "daemon_opts")


def daemon_supported():
    """Has the daemon landed? Its row in the option table says so."""
    return any(lng == "daemon" and sup for lng, _, _, sup in MAIN)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    if not URSYNC or not os.access(URSYNC, os.X_OK):
        pytest.fail("set URSYNC to the ursync binary", pytrace=False)
    dest = tmp_path_factory.mktemp("destdir")
    build = Path(URSYNC).resolve().parent
    r = subprocess.run(["make", "-C", str(ROOT), "install", f"BUILD={build}",
                        f"PREFIX={PREFIX}", f"DESTDIR={dest}"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest


def under(staged, path):
    return staged / path.lstrip("/")


def completionsdir():
    r = subprocess.run(["pkg-config", "--variable=completionsdir", "bash-completion"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else \
        f"{PREFIX}/share/bash-completion/completions"


def test_layout(staged):
    want = {
        f"{PREFIX}/bin/ursync": "exe",
        f"{PREFIX}/share/man/man1/ursync.1": "file",
        f"{PREFIX}/share/man/man5/ursyncd.conf.5": "file",
        f"{completionsdir()}/ursync": "file",
        f"{PREFIX}/lib/systemd/system/ursync.service": "file",
        f"{PREFIX}/lib/systemd/system/ursync.socket": "file",
        f"{PREFIX}/lib/systemd/system/ursync@.service": "file",
        f"{PREFIX}/share/doc/ursync/examples/rsyncd.conf": "file",
        f"{PREFIX}/libexec/ursync/rsync": "link",
    }
    for path, kind in want.items():
        p = under(staged, path)
        if kind == "link":
            assert p.is_symlink() and os.readlink(p) == f"{PREFIX}/bin/ursync", path
        else:
            assert p.is_file() and not p.is_symlink(), path
        if kind == "exe":
            assert os.access(p, os.X_OK), path
    # nothing else: no test programs, no headers, no static library
    found = {"/" + str(p.relative_to(staged)) for p in staged.rglob("*")
             if p.is_file() or p.is_symlink()}
    assert found == set(want)


def test_installed_binary_and_rsync_link(staged, tmp_path):
    exe = under(staged, f"{PREFIX}/bin/ursync")
    v = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("ursync  version ")
    # the alternatives link points into the final system; follow it into
    # the staged tree under the same name
    link = tmp_path / "rsync"
    link.symlink_to(exe)
    v = subprocess.run([link, "--version"], capture_output=True, text=True)
    assert v.stdout.splitlines()[0] == "rsync  version 3.5.0  protocol version 32"
    assert v.stdout.splitlines()[1].startswith("ursync  version ")


def test_debian_alternative_names_an_installed_path(staged):
    # the package's postinst offers the link make install lays out, under a
    # name that is not Debian rsync's /usr/bin/rsync
    text = (ROOT / "debian/ursync.postinst").read_text()
    m = re.search(r"--install (\S+) rsync /usr/libexec/ursync/rsync \d+", text)
    assert m and m.group(1) == "/usr/local/bin/rsync"
    assert under(staged, "/usr/libexec/ursync/rsync").is_symlink()
    rules = (ROOT / "debian/rules").read_text()
    assert "-Dlibexecdir=libexec" in rules


# ------------------------------------------------------------- man pages

def render(page):
    env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    r = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                       env=env, timeout=TIMEOUT)
    return r.returncode, re.sub(r".\x08", "", r.stdout), r.stderr


@pytest.mark.parametrize("page", ["man1/ursync.1", "man5/ursyncd.conf.5"])
def test_man_page_renders_without_warnings(staged, page):
    path = under(staged, f"{PREFIX}/share/man/{page}")
    rc, out, err = render(path)
    assert rc == 0 and err == "", err
    assert len(out.splitlines()) > 100
    # mandoc's checker is stricter about mdoc than groff
    lint = subprocess.run(["mandoc", "-Tlint", "-W", "warning", str(path)],
                          capture_output=True, text=True)
    assert lint.returncode == 0 and lint.stdout + lint.stderr == "", lint.stdout + lint.stderr


def section(text, title):
    """The rendered text of one section (its heading at column 0)."""
    m = re.search(rf"^{re.escape(title)}\n(.*?)(?=^[A-Z][A-Z /.-]+\n)", text, re.M | re.S)
    assert m, title
    return m.group(1)


def words(text):
    return set(re.findall(r"(?<![\w-])(--?[\w@][\w.@-]*)", text))


@pytest.fixture(scope="module")
def man1(staged):
    rc, out, _ = render(under(staged, f"{PREFIX}/share/man/man1/ursync.1"))
    assert rc == 0
    return out


def test_man_page_has_every_option(man1):
    # every row of the option table, client and daemon, named on the page
    client = words(section(man1, "OPTIONS"))
    missing = [f"--{lng}" for lng, _, _, _ in MAIN if lng and f"--{lng}" not in client]
    missing += [f"-{s}" for _, s, _, _ in MAIN if s and f"-{s}" not in client]
    daemon = words(section(man1, "DAEMON OPTIONS"))
    missing += [f"daemon --{lng}" for lng, _, _, _ in DAEMON if lng and f"--{lng}" not in daemon]
    missing += [f"daemon -{s}" for _, s, _, _ in DAEMON if s and f"-{s}" not in daemon]
    assert missing == []


def test_man_page_says_what_is_not_supported(man1):
    # the first paragraph of NOT SUPPORTED YET names exactly the options the
    # table refuses (plus --iconv, refused for every value but "-")
    listed = words(section(man1, "NOT SUPPORTED YET").split("\n\n")[0])
    refused = {f"--{lng}" for lng, _, _, sup in MAIN if lng and not sup}
    refused |= {f"-{s}" for _, s, _, sup in MAIN if s and not sup}
    assert listed == refused | {"--iconv", "--OPTION"}


def test_man_page_exit_codes_are_ursyncs(man1):
    text = open(ROOT / "src/util/err.h", encoding="utf-8").read()
    codes = {int(c) for c in re.findall(r"UR_EXIT_\w+ = (\d+),", text)} - {254, 255}
    listed = {int(c) for c in re.findall(r"^ {5}(\d+) ", section(man1, "EXIT STATUS"), re.M)}
    assert listed == codes


# ------------------------------------------------------------ completion

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def complete(staged, home, line):
    """COMPREPLY for a command line typed up to its end, one per line."""
    script = f"""
source {BASH_COMPLETION}
source {under(staged, completionsdir() + '/ursync')}
compopt() {{ :; }}
COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({line}); [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_ursync ursync "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, cwd=home, env=dict(os.environ, HOME=str(home)), timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.splitlines() if w]


@pytest.fixture
def home(tmp_path):
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "known_hosts").write_text(
        "backup.example.org ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
    (tmp_path / "backups").mkdir()
    (tmp_path / "notes.txt").write_text("x\n")
    return tmp_path


def test_completion_offers_every_option(staged, home):
    got = set(complete(staged, home, "ursync --"))
    want = {f"--{lng}" + ("=" if value else "") for lng, _, value, _ in MAIN if lng}
    assert got == want
    assert complete(staged, home, "ursync --link-d") == ["--link-dest="]
    assert "-a" in complete(staged, home, "ursync -")


def test_completion_values_paths_and_hosts(staged, home):
    assert complete(staged, home, "ursync --compress-choice z") == ["zstd", "zlibx", "zlib"]
    assert complete(staged, home, "ursync --temp-dir ba") == ["backups"]
    # local files as scp completes them (a file ends with a space, nospace mode)
    assert [w.strip() for w in complete(staged, home, "ursync -a no")] == ["notes.txt"]
    # a known host completes to the remote form "host:"
    assert "backup.example.org:" in complete(staged, home, "ursync -a backup.ex")


# ------------------------------------------------------------------ units

UNITS = ["ursync.service", "ursync.socket", "ursync@.service"]


def unit_dir(staged):
    return under(staged, f"{PREFIX}/lib/systemd/system")


def exec_start(path):
    lines = [ln.split("=", 1)[1] for ln in path.read_text().splitlines()
             if ln.startswith("ExecStart=")]
    assert len(lines) == 1, path
    # systemd's prefixes: "-" ignore failure, "@", "+", "!", ":"
    return lines[0].lstrip("-@+!:").split()


def test_units_are_hardened_and_point_at_the_binary(staged):
    for name in ("ursync.service", "ursync@.service"):
        text = (unit_dir(staged) / name).read_text()
        for key in ("ProtectSystem=full", "NoNewPrivileges=yes", "PrivateDevices=yes",
                    "CapabilityBoundingSet="):
            assert key in text, (name, key)
        assert exec_start(unit_dir(staged) / name)[0] == f"{PREFIX}/bin/ursync"
    assert exec_start(unit_dir(staged) / "ursync.service")[1:] == ["--daemon", "--no-detach"]
    assert exec_start(unit_dir(staged) / "ursync@.service")[1:] == ["--daemon"]
    sock = (unit_dir(staged) / "ursync.socket").read_text()
    assert "Accept=yes" in sock and "ListenStream=873" in sock


def test_units_verify(staged, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze not found (apt-get install systemd)", pytrace=False)
    # the units name the final path of the binary; verify copies that name
    # the staged one, with the staged man pages on MANPATH
    for name in UNITS:
        text = (unit_dir(staged) / name).read_text()
        text = text.replace(f"{PREFIX}/bin/ursync", str(under(staged, f"{PREFIX}/bin/ursync")))
        (tmp_path / name).write_text(text)
    env = dict(os.environ, MANPATH=str(under(staged, f"{PREFIX}/share/man")),
               SYSTEMD_LOG_LEVEL="notice")
    r = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / u) for u in UNITS]],
                       capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("unit", ["ursync.service", "ursync@.service"])
def test_unit_exec_start_runs(staged, tmp_path, unit):
    """Each unit's ExecStart, as written, with the staged binary.

    Until the daemon lands (its row in options.c says "not supported"),
    the line must parse and be refused as not supported: exit 4 with that
    message. Once the row flips, this test checks the daemon instead: the
    standalone one must listen and greet, the socket-activated one must
    greet a client on its standard input and output.
    """
    cmd = exec_start(unit_dir(staged) / unit)
    cmd[0] = str(under(staged, cmd[0]))
    port = free_port()
    if daemon_supported():
        # the units read /etc/rsyncd.conf; point this run at a scratch one
        (tmp_path / "mod").mkdir()
        conf = tmp_path / "rsyncd.conf"
        conf.write_text(f"port = {port}\n[m]\n  path = {tmp_path / 'mod'}\n")
        cmd.append(f"--config={conf}")
    a, b = socket.socketpair()
    with a, b:
        stdio = b if unit == "ursync@.service" else subprocess.DEVNULL
        p = subprocess.Popen(cmd, stdin=stdio, stdout=stdio, stderr=subprocess.PIPE)
        b.close()
        try:
            if not daemon_supported():
                # NOTE: flips to the checks below when --daemon is supported
                _, err = p.communicate(timeout=TIMEOUT)
                assert p.returncode == 4, err
                assert NOT_YET.search(err.decode()), err
                return
            if unit == "ursync@.service":
                a.settimeout(30)
                assert a.recv(64).startswith(b"@RSYNCD: ")
            else:
                deadline = time.monotonic() + 30
                while True:
                    assert p.poll() is None, p.stderr.read()
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                            assert c.recv(64).startswith(b"@RSYNCD: ")
                        break
                    except OSError:
                        assert time.monotonic() < deadline, "the daemon never listened"
                        time.sleep(0.2)
        finally:
            if p.poll() is None:
                p.terminate()
            p.wait(timeout=30)
            p.stderr.close()
