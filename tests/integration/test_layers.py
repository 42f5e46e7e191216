# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/check-layers.py: passes on this tree, and fails on each kind of
break it is there to catch (an upward include, a cycle between folders, a
syscall header in a pure layer, a foreign internal header, a duplicate file
name, a folder missing from docs/architecture.md)."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "scripts", "check-layers.py")


def run(root):
    return subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)


def test_this_tree_keeps_the_rule():
    r = run(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def tree(tmp_path):
    """A copy of src/ and docs/architecture.md to break."""
    shutil.copytree(os.path.join(ROOT, "src"), tmp_path / "src")
    (tmp_path / "docs").mkdir()
    shutil.copy(os.path.join(ROOT, "docs", "architecture.md"), tmp_path / "docs")
    assert run(str(tmp_path)).returncode == 0
    return tmp_path


def add_line(path, line):
    text = path.read_text()
    path.write_text(text + line + "\n")


@pytest.mark.parametrize("folder,header,why", [
    ("engine", "wire/wire.h", "not below it"),          # the engine naming the wire
    ("report", "engine/engine.h", "not below it"),      # upward
    ("opts", "cli/cli.h", "not below it"),              # the old cli <-> opts circle
    ("io", "proto/varint.h", "not below it"),         # io/ is below proto/
    ("engine", "delta/nothing_int.h", "internal header"),
    ("engine", "nowhere/x.h", "in no layer"),
])
def test_bad_include_fails(tree, folder, header, why):
    victim = sorted((tree / "src" / folder).glob("*.c"))[0]
    add_line(victim, f'#include "{header}"')
    r = run(str(tree))
    assert r.returncode == 1
    assert why in r.stdout and header in r.stdout


def test_syscall_in_pure_layer_fails(tree):
    add_line(tree / "src" / "proto" / "varint.c", "#include <unistd.h>")
    r = run(str(tree))
    assert r.returncode == 1 and "pure" in r.stdout


def test_syscall_header_allowed_in_io(tree):
    add_line(tree / "src" / "io" / "posix.c", "#include <unistd.h>")
    assert run(str(tree)).returncode == 0


def test_duplicate_file_name_fails(tree):
    shutil.copy(tree / "src" / "proto" / "xfer_stats.c", tree / "src" / "report" / "xfer_stats.c")
    r = run(str(tree))
    assert r.returncode == 1 and "file name also used" in r.stdout


def test_folder_not_in_the_map_fails(tree):
    (tree / "src" / "extra").mkdir()
    (tree / "src" / "extra" / "extra.c").write_text("int x;\n")
    r = run(str(tree))
    assert r.returncode == 1 and "src/extra/" in r.stdout


def test_layer_without_folder_fails(tree):
    shutil.rmtree(tree / "src" / "flist")
    r = run(str(tree))
    assert r.returncode == 1 and "flist/" in r.stdout
