# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line, compared with rsync 3.5.0.

    URSYNC=$PWD/build/ursync /usr/bin/python3 -m pytest -q tests/integration/test_cli.py

Bad and odd command lines run through both programs in a scratch
directory; exit codes must match and, for errors, both must explain on
stderr (with the same words, once "rsync" is read as "ursync"). Options
ursync parses but does not implement yet must exit 4 and say so.
"""

import json
import os
import re
import shutil
import subprocess

import pytest

URSYNC = os.environ.get("URSYNC")
RSYNC = shutil.which("rsync") or "rsync"
TIMEOUT = 30

# Environment variables that change how rsync reads its options.
SCRUB = ("RSYNC_MAX_ALLOC", "RSYNC_PARTIAL_DIR", "RSYNC_OLD_ARGS", "RSYNC_PROTECT_ARGS",
         "RSYNC_RSH", "RSYNC_ICONV", "URSYNC_IO", "POSIXLY_CORRECT")


@pytest.fixture(scope="module")
def ursync():
    if not URSYNC or not os.access(URSYNC, os.X_OK):
        pytest.fail("set URSYNC to the ursync binary", pytrace=False)
    return URSYNC


@pytest.fixture(scope="module")
def rsync():
    out = subprocess.run([RSYNC, "--version"], capture_output=True, text=True).stdout
    if not re.search(r"version 3\.5\.0\b", out):
        pytest.fail(f"reference rsync 3.5.0 not found: {out.splitlines()[:1]}", pytrace=False)
    return RSYNC


def env_for(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env.update(extra or {})
    return env


def scratch(root):
    """A source tree and an empty destination, as the odd command lines expect."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "s").mkdir()
    (root / "s" / "f").write_text("data\n")
    (root / "d").mkdir()
    (root / "LIST").write_text("f\n")
    return root


def run(prog, args, cwd, extra_env=None):
    return subprocess.run([prog, *args], cwd=cwd, env=env_for(extra_env), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT)


def first_message(stderr):
    """The first line of the explanation, with the program name made neutral."""
    for line in stderr.splitlines():
        if line.strip():
            line = re.sub(r"\bu?rsync(d?)\b", r"PROG\1", line)
            return re.sub(r"version \S+  protocol", "version V  protocol", line)
    return ""


BIG = "x" * 300
LONG_PATH = "y" * 4090

# (args, compare the first stderr line?) -- rsync and ursync must agree on the
# exit code. Most of these are usage errors (1); some are odd but valid.
CASES = [
    # no operands, or only options
    ([], True), (["-v"], True), (["-h", "-v"], True), (["--no-h"], True), (["-q"], True),
    # rsync's post-parse checks
    (["--delete", "s/", "d/"], True),
    (["-n", "-r", "--no-r", "--delete", "s/", "d/"], True),
    (["--inplace", "--partial-dir=x", "s/", "d/"], True),
    (["--inplace", "--delay-updates", "s/", "d/"], True),
    (["--append", "-W", "s/", "d/"], True),
    (["--append-verify", "--whole-file", "s/", "d/"], True),
    (["-r", "--delete-before", "--delete-after", "s/", "d/"], True),
    (["-r", "--del", "--delete-after", "s/", "d/"], True),
    (["-r", "--delete-before", "--delete-delay", "s/", "d/"], True),
    (["-s", "--old-args", "s/", "d/"], True),
    (["--suffix=a/b", "s/", "d/"], True),
    (["-b", "--suffix=", "s/", "d/"], True),
    (["--backup-dir=", "s/", "d/"], True),
    (["--fake-super", "-XX", "s/", "d/"], True),
    (["--write-batch=x", "--read-batch=y", "s/", "d/"], True),
    (["--read-batch=x", "--files-from=y", "s/", "d/"], True),
    (["--read-batch=x", "--remove-source-files", "s/", "d/"], True),
    (["--read-batch=x", "--remove-sent-files", "s/", "d/"], True),
    (["--write-batch=" + BIG, "s/", "d/"], True),
    (["--temp-dir=" + LONG_PATH, "s/", "d/"], True),
    (["--confine-root=rel", "s/", "d/"], True),
    (["--insecure-links", "--confine-root=/x", "s/", "d/"], True),
    (["--files-from=NONEXIST", "s/", "d/"], True),
    (["-a", "--files-from=LIST", "d/"], True),
    (["--files-from=LIST", "a", "b", "c"], True),
    (["-N", "s/", "d/"], True),
    # popt's complaints
    (["--verb", "s/", "d/"], True), (["--foo", "s/", "d/"], True),
    (["--no-foo", "s/", "d/"], True), (["--no-archive", "s/", "d/"], True),
    (["--no-delete", "s/", "d/"], True), (["--no-a", "s/", "d/"], True),
    (["-Q", "s/", "d/"], True), (["-vQ", "s/", "d/"], True), (["-a-", "s/"], True),
    (["--dry-run=1", "s/", "d/"], True), (["-n=1", "s/", "d/"], True),
    (["--perms=1", "s/", "d/"], True), (["--no-perms=1", "s/", "d/"], True),
    (["--rsh"], True), (["-ve"], True), (["--info"], True),
    (["s/", "--foo", "d/"], True),
    # numbers
    (["--max-delete=garbage", "s/", "d/"], True),
    (["--max-delete", "garbage", "s/", "d/"], True),
    (["--max-delete=2147483648", "s/", "d/"], True),
    (["--max-delete=5 ", "s/", "d/"], True),
    (["--modify-window=x", "s/", "d/"], True), (["-@x", "s/", "d/"], True),
    (["-v@x", "s/", "d/"], True),
    (["--port=x", "s/", "d/"], True), (["--port=0x", "s/", "d/"], True),
    (["--port=08", "s/", "d/"], True),
    (["--port=99999999999999999999", "s/", "d/"], True),
    (["--timeout=5x", "s/", "d/"], True), (["--protocol=abc", "s/", "d/"], True),
    (["--protocol=99", "s/", "d/"], False), (["--protocol=33", "s/", "d/"], False),
    (["--protocol=0", "s/", "d/"], False), (["--protocol=19", "s/", "d/"], False),
    # sizes
    (["--min-size=junk", "s/", "d/"], True), (["--max-size=1x", "s/", "d/"], True),
    (["--max-size=-1", "s/", "d/"], True), (["--max-size=+1", "s/", "d/"], True),
    (["--max-size=8192P", "s/", "d/"], True), (["--max-size=1e3", "s/", "d/"], True),
    (["--max-size=1kx", "s/", "d/"], True),
    (["-B", "200000", "s/", "d/"], True), (["-B", "x", "s/", "d/"], True),
    (["--block-size=1kx", "s/", "d/"], True), (["-vB", "-n", "s/"], True),
    (["--bwlimit=1b", "s/", "d/"], True), (["--bwlimit=x", "s/", "d/"], True),
    (["--max-alloc=1k", "s/", "d/"], True), (["--max-alloc=1x", "s/", "d/"], True),
    # --info / --debug
    (["--info=foo", "s/", "d/"], True), (["--info=name3,FOO2", "s/", "d/"], True),
    (["--info=2", "s/", "d/"], True), (["--debug=nope", "s/", "d/"], True),
    # other values rsync checks
    (["--stderr=x", "s/", "d/"], True), (["--outbuf=x", "s/", "d/"], True),
    (["--outbuf=", "s/", "d/"], True),
    (["--chmod=x", "s/", "d/"], True), (["--chmod=u+q", "s/", "d/"], True),
    (["-M", "foo", "s/", "d/"], True), (["--remote-option=bar", "s/", "d/"], True),
    (["--usermap=a", "--usermap=b", "s/", "d/"], True),
    (["--groupmap=a", "--chown=:b", "s/", "d/"], True),
    (["--chown=a", "--usermap=b", "s/", "d/"], True),
    (["--chown=a", "--chown=b", "s/", "d/"], True),
    (["--link-dest=a", "--copy-dest=b", "s/", "d/"], True),
    (["--compare-dest=a", "--link-dest=b", "s/", "d/"], True),
    (["--stop-after=0", "s/", "d/"], True), (["--stop-after=x", "s/", "d/"], True),
    (["--stop-at=foo", "s/", "d/"], True), (["--stop-at=2001-01-01", "s/", "d/"], True),
    (["--stop-at=T12", "s/", "d/"], True),
    (["--zc=foo", "s/", "d/"], True), (["--compress-choice=bogus", "s/", "d/"], True),
    (["--cc=nosuch", "s/", "d/"], True), (["--cc=md5,nosuch", "s/", "d/"], True),
    (["--cc=md5,", "s/", "d/"], True), (["--checksum-choice=,md5", "s/", "d/"], True),
    # daemon-mode parsing
    (["--config=x"], True), (["--no-detach"], True), (["--dparam=motdfile=x"], True),
    (["--daemon", "-a"], True), (["--daemon", "--dparam=x"], True),
    (["--daemon", "--foo"], True), (["--daemon", "--port=x"], True),
    # --server/--sender order
    (["--sender", "s/", "d/"], True), (["--server"], True),
    # help, version and friends
    (["-h"], True), (["--human-readable"], True), (["-hh"], True), (["--help", "--foo"], True),
    (["--version", "--foo"], True), (["-V", "--delete", "s/", "d/"], True),
    (["--info=help"], True), (["--debug=help"], True), (["--info=help,foo"], True),
    (["--daemon", "--help"], True), (["-h", "--daemon"], True),
    # odd but valid: dry runs and listings
    (["-n", "-essh", "s/", "d/"], True), (["-n", "-e", "ssh", "s/", "d/"], True),
    (["-n", "--", "s/", "d/"], True), (["-n", "s/", "-v", "d/"], True),
    (["-n", "-a", "--no-i-r", "--no-motd", "--no-implied-dirs", "s/", "d/"], True),
    (["-n", "-r", "--max-delete=-3", "--delete", "s/", "d/"], True),
    (["-n", "--modify-window=-1", "s/", "d/"], True), (["-n", "-@-1", "s/", "d/"], True),
    (["-n", "--port=-1", "s/", "d/"], True), (["-n", "--port=", "s/", "d/"], True),
    (["-n", "--info=", "s/", "d/"], True), (["-n", "--info=,,", "s/", "d/"], True),
    (["-n", "--max-size=", "s/", "d/"], True), (["-n", "--max-alloc=0", "s/", "d/"], True),
    (["-n", "-c", "--size-only", "s/", "d/"], True),
    (["-n", "--existing", "--ignore-existing", "s/", "d/"], True),
    (["-n", "-E", "-p", "s/", "d/"], True), (["-n", "-zz", "--zl=99", "s/", "d/"], True),
    (["-n", "--zc=zstd", "s/", "d/"], True), (["-n", "--protocol=31", "s/", "d/"], True),
    (["-n", "--outbuf=L", "s/", "d/"], True), (["-n", "-P", "s/", "d/"], True),
    (["-n", "--no-N", "--no-H", "--no-A", "s/", "d/"], True),
    (["-n", "-r", "--delete-during", "--delete-delay", "s/", "d/"], True),
    (["-n", "--no-W", "-W", "s/", "d/"], True), (["-n", "-B0", "s/", "d/"], True),
    (["-n", "--iconv=-", "s/", "d/"], True), (["-n", "--stderr=e", "s/", "d/"], True),
    (["--list-only", "s/"], True),
]


def case_id(case):
    args = case[0]
    text = " ".join(a if len(a) < 24 else a[:20] + "..." for a in args)
    return text or "(none)"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_same_exit_code(case, tmp_path, rsync, ursync):
    args, same_words = case
    r = run(rsync, args, scratch(tmp_path / "r"))
    u = run(ursync, args, scratch(tmp_path / "u"))
    assert u.returncode == r.returncode, (
        f"exit {u.returncode}, rsync {r.returncode}\n"
        f"rsync stderr:\n{r.stderr[-1500:]}\nursync stderr:\n{u.stderr[-1500:]}")
    if r.returncode != 0:
        assert r.stderr.strip(), "rsync said nothing?"
        assert u.stderr.strip(), "ursync failed without a word on stderr"
        if same_words:
            assert first_message(u.stderr) == first_message(r.stderr)
        if r.returncode == 1:
            assert re.search(r"^ursync error: syntax or usage error \(code 1\)", u.stderr, re.M)


# (args, also run rsync with them?) -- rsync accepts these (exit 0 for a dry
# run); ursync must refuse them with exit 4 until they are implemented.
UNSUPPORTED = [
    (["-A"], True), (["-X"], True),
    (["-S"], True),
    (["--delay-updates"], True),
    (["-y"], True),
    (["--bwlimit=100"], True),
    (["--stop-after=5"], True), (["-K"], True),
    (["--munge-links"], True), (["--super"], True), (["--no-super"], True),
    (["--fake-super"], True), (["--copy-devices"], True), (["--write-devices"], True),
    (["--preallocate"], True),
    (["--old-dirs"], True),
    (["--drop-D"], True), (["--insecure-links"], True),
    (["--confine-root=/"], True), (["-M-v"], True),
    (["--stderr=all"], True), (["--msgs2stderr"], True),
    (["--log-file=LOG"], True), (["--iconv=utf8"], True), (["--protocol=29"], True),
    (["--write-batch=B"], True), (["--only-write-batch=B"], True),
    (["--copy-as=root"], False), (["--read-batch=B"], False),
]


@pytest.mark.parametrize("dest", ["d/", "h:d/"])
def test_password_file_needs_a_daemon(dest, tmp_path, rsync, ursync):
    """--password-file works with a daemon (tests/interop/test_daemon_client.py);
    anywhere else both programs refuse it with the same line and exit 1."""
    args = ["-n", "--password-file=LIST", "s/", dest]
    r = run(rsync, args, scratch(tmp_path / "r"))
    u = run(ursync, args, scratch(tmp_path / "u"))
    assert r.returncode == u.returncode == 1, (r.stderr, u.stderr)
    line = "The --password-file option may only be used when accessing an rsync daemon."
    assert line in r.stderr and line in u.stderr


@pytest.mark.parametrize("case", UNSUPPORTED, ids=[case_id(c) for c in UNSUPPORTED])
def test_not_supported_yet(case, tmp_path, rsync, ursync):
    opts, with_rsync = case
    args = ["-n", *opts, "s/", "d/"]
    if with_rsync:
        r = run(rsync, args, scratch(tmp_path / "r"))
        assert r.returncode == 0, f"rsync rejects {opts}: {r.stderr}"
    u = run(ursync, args, scratch(tmp_path / "u"))
    assert u.returncode == 4, u.stderr
    assert re.search(r"^ursync: -\S+.* is not supported yet$", u.stderr, re.M), u.stderr
    assert "(code 4)" in u.stderr


def test_daemon_mode_is_supported(tmp_path, ursync):
    """--daemon runs (tests/interop/test_daemon_server.py); a missing
    config file is rsync's "Failed to parse config file" and exit 1."""
    conf = tmp_path / "missing.conf"
    u = run(ursync, ["--daemon", "--no-detach", f"--config={conf}", "--port=8730"],
            scratch(tmp_path))
    assert u.returncode == 1, u.stderr
    assert u.stderr == f"Failed to parse config file: {conf}\n"


def test_short_option_named_by_its_long_form(tmp_path, ursync):
    u = run(ursync, ["-naX", "s/", "d/"], scratch(tmp_path))
    assert u.returncode == 4
    assert "ursync: --xattrs is not supported yet" in u.stderr


def test_help(tmp_path, rsync, ursync):
    u = run(ursync, ["--help"], tmp_path)
    assert u.returncode == 0 and u.stderr == ""
    assert "Usage: ursync [OPTION]... SRC [SRC]... DEST" in u.stdout
    assert "--io-uring" in u.stdout and "--no-io-uring" in u.stdout
    # the same option list as rsync's, plus our two I/O options
    r = run(rsync, ["--help"], tmp_path)

    def option_lines(text):
        lines = text.split("\nOptions\n", 1)[1].split("\n\n", 1)[0].splitlines()
        return [ln for ln in lines if "io-uring" not in ln]
    assert option_lines(u.stdout) == option_lines(r.stdout)


def test_daemon_help_lists_rsyncs_daemon_options(tmp_path, rsync, ursync):
    def rows(text):
        return text.split("[OPTION]...\n", 1)[1].split("\n\n", 1)[0].splitlines()
    u = run(ursync, ["--daemon", "--help"], tmp_path)
    r = run(rsync, ["--daemon", "--help"], tmp_path)
    assert u.returncode == 0 == r.returncode
    assert rows(u.stdout) == rows(r.stdout)


def test_h_alone_is_help_but_not_with_operands(tmp_path, ursync):
    u = run(ursync, ["-h"], tmp_path)
    assert u.returncode == 0 and "Usage: ursync" in u.stdout
    u = run(ursync, ["-n", "-h", "s/", "d/"], scratch(tmp_path / "x"))
    assert "Usage:" not in u.stdout


@pytest.mark.parametrize("what", ["info", "debug"])
def test_info_debug_help_match_rsync(what, tmp_path, rsync, ursync):
    r = run(rsync, [f"--{what}=help"], tmp_path)
    u = run(ursync, [f"--{what}=help"], tmp_path)
    assert u.returncode == 0 == r.returncode
    assert u.stdout == r.stdout


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag, tmp_path, ursync):
    u = run(ursync, [flag], tmp_path)
    assert u.returncode == 0 and u.stderr == ""
    first = u.stdout.splitlines()[0]
    assert re.fullmatch(r"ursync  version \S+  protocol version 32", first), first
    assert "protocol version 32" in u.stdout
    assert re.search(r"^io: \S+", u.stdout, re.M)
    for section in ("Capabilities:", "Checksum list:", "Compress list:"):
        assert re.search(rf"^{section}$", u.stdout, re.M), section
    # sha1 comes from libcrypto: listed exactly when the build has it
    # (a section may wrap onto more indented lines)
    libs = re.search(r"^Libraries:\n((?: .*\n)+)", u.stdout, re.M).group(1).replace(",", " ").split()
    sums = re.search(r"^Checksum list:\n((?: .*\n)+)", u.stdout, re.M).group(1).split()
    assert ("sha1" in sums) == ("libcrypto" in libs)


def test_version_json(tmp_path, ursync):
    u = run(ursync, ["-VV"], tmp_path)
    assert u.returncode == 0
    data = json.loads(u.stdout)
    assert data["program"] == "ursync"
    assert data["protocol"] == "32.0"
    assert "io" in data and "capabilities" in data


def version_section(text, title):
    """The comma- or space-separated items under "Title:" in --version."""
    body = text.split(f"\n{title}:\n", 1)[1]
    lines = []
    for line in body.splitlines():
        if not line.startswith("    "):
            break
        lines.append(line.strip())
    joined = " ".join(lines)
    return [w.strip() for w in joined.split(",")] if "," in joined else joined.split()


def test_version_capabilities_in_rsyncs_order(tmp_path, rsync, ursync):
    # rsync's words in rsync's order; ursync may only add its own after them
    r = version_section(run(rsync, ["--version"], tmp_path).stdout, "Capabilities")
    u = version_section(run(ursync, ["--version"], tmp_path).stdout, "Capabilities")

    def word(item):
        return item[3:] if item.startswith("no ") else item
    assert [word(i) for i in u if word(i) != "portable build"] == [word(i) for i in r]
    ro = version_section(run(rsync, ["--version"], tmp_path).stdout, "Optimizations")
    uo = version_section(run(ursync, ["--version"], tmp_path).stdout, "Optimizations")
    assert [word(i) for i in uo][:len(ro)] == [word(i) for i in ro]


# Each capability ursync claims or denies, and a command line that shows
# it: a claimed one must not be refused, a denied one must be (exit 4, or
# 1 where rsync on Linux refuses it too). Implementing one of them without
# updating --version (or the reverse) fails here.
CAPABILITY_PROBES = {
    "hardlinks": ["-H"], "hardlink-specials": ["-H", "-D"], "hardlink-symlinks": ["-H", "-l"],
    "IPv6": ["-6"], "atimes": ["-U"], "inplace": ["--inplace"], "append": ["--append"],
    "symlinks": ["-l"], "optional secluded-args": ["-s"],
    "batchfiles": ["--write-batch=b"], "ACLs": ["-A"], "ACL-at": ["-A"], "xattrs": ["-X"],
    "iconv": ["--iconv=utf8"], "prealloc": ["--preallocate"],
    "stop-at": ["--stop-at=23:59"], "crtimes": ["-N"],
}


def test_version_capabilities_are_true(tmp_path, ursync):
    caps = version_section(run(ursync, ["--version"], tmp_path).stdout, "Capabilities")
    seen = set()
    for item in caps:
        have = not item.startswith("no ")
        name = item if have else item[3:]
        if name not in CAPABILITY_PROBES:
            continue
        seen.add(name)
        d = scratch(tmp_path / name.replace(" ", "_"))
        u = run(ursync, ["-r", *CAPABILITY_PROBES[name], "s/", "d/"], d)
        if have:
            assert u.returncode == 0, (name, u.stderr)
        else:
            assert u.returncode in (1, 4), (name, u.returncode)
            assert re.search(r"not supported yet|does not support", u.stderr), (name, u.stderr)
    assert seen == set(CAPABILITY_PROBES)


def test_version_lists_name_what_works(tmp_path, ursync):
    out = run(ursync, ["--version"], tmp_path).stdout
    assert "not yet implemented" not in out
    checksums = version_section(out, "Checksum list")
    compressors = version_section(out, "Compress list")
    assert checksums[:3] == ["xxh128", "xxh3", "xxh64"] and "md5" in checksums
    assert compressors == ["zstd", "lz4", "zlibx", "zlib", "none"]
    for name in checksums:
        if name.startswith("("):
            continue
        d = scratch(tmp_path / ("cc-" + name))
        u = run(ursync, ["-r", "--no-W", f"--checksum-choice={name}", "s/", "d/"], d)
        assert u.returncode == 0, (name, u.stderr)
    for name in compressors:
        d = scratch(tmp_path / ("zc-" + name))
        u = run(ursync, ["-rz", f"--compress-choice={name}", "s/", "d/"], d)
        assert u.returncode == 0, (name, u.stderr)
    # the daemon client's digests, in rsync's order; each is exercised
    # against rsync's daemon in tests/interop/test_daemon_client.py
    auths = version_section(out, "Daemon auth list")
    assert auths == ["sha512", "sha256", "sha1", "md5", "md4"]
    assert json.loads(run(ursync, ["-VV"], tmp_path).stdout)["daemon_auth_list"] == auths


def json_keys(data, prefix=""):
    keys = set()
    for k, v in data.items():
        keys.add(prefix + k)
        if isinstance(v, dict):
            keys |= json_keys(v, prefix + k + ".")
    return keys


# ursync's additions to rsync's -VV keys.
OUR_JSON_KEYS = {"io", "libraries", "optimizations.copy_file_range",
                 "capabilities.portable_build", "ursync_version"}


@pytest.mark.parametrize("name", ["ursync", "rsync"])
def test_version_json_keys_are_rsyncs(name, tmp_path, rsync, ursync):
    r = json.loads(run(rsync, ["-VV"], tmp_path).stdout)
    prog = tmp_path / name
    prog.symlink_to(ursync)
    u = json.loads(run(str(prog), ["-VV"], tmp_path).stdout)
    rk, uk = json_keys(r), json_keys(u)
    assert rk - uk == set()
    assert {k for k in uk - rk if not k.startswith("libraries.")} <= OUR_JSON_KEYS
    assert "libraries" in uk and "io" in uk
    assert u["program"] == name
    if name == "rsync":
        assert u["version"] == r["version"] == "3.5.0" and u["ursync_version"]


def test_called_as_rsync_speaks_as_rsync(tmp_path, rsync, ursync):
    prog = tmp_path / "bin" / "rsync"
    prog.parent.mkdir()
    prog.symlink_to(ursync)
    d = scratch(tmp_path / "w")
    v = run(str(prog), ["--version"], d).stdout.splitlines()
    rv = run(rsync, ["--version"], d).stdout.splitlines()
    # the line scripts parse is rsync's own, then ursync names itself
    assert v[0] == rv[0] == "rsync  version 3.5.0  protocol version 32"
    assert re.fullmatch(r"ursync  version \S+", v[1]), v[1]
    assert "rsync comes with ABSOLUTELY NO WARRANTY" in "\n".join(v)
    u = run(str(prog), ["-A", "s/", "d/"], d)
    assert u.returncode == 4
    assert u.stderr.startswith("rsync: --acls is not supported yet\n"), u.stderr
    assert "\nrsync error: requested action not supported (code 4)" in u.stderr
    u = run(str(prog), [], d)
    assert u.returncode == 1 and "Usage: rsync [OPTION]..." in u.stderr
    u = run(str(prog), ["--foo"], d)
    r = run(rsync, ["--foo"], d)
    assert u.stderr.splitlines()[0] == r.stderr.splitlines()[0]
    # under its own name (or any other) it says ursync
    u = run(ursync, ["-A", "s/", "d/"], d)
    assert u.stderr.startswith("ursync: --acls is not supported yet\n"), u.stderr
    assert "ursync error: requested action not supported (code 4)" in u.stderr


def test_no_operands_prints_usage_on_stderr(tmp_path, ursync):
    u = run(ursync, [], tmp_path)
    assert u.returncode == 1
    assert u.stdout == ""
    assert "Usage: ursync" in u.stderr
    assert "syntax or usage error (code 1)" in u.stderr
