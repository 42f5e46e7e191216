#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check src/ against the layer rule of docs/architecture.md.

    check-layers.py [ROOT]     ROOT: a tree with src/ and docs/ (default: this one)

The order of the layers is read from docs/architecture.md (the indented
block under "## Layers", one `name/` a line, top to bottom), so the
document and the code cannot drift apart. Checked:

  - every folder of src/ holding C files is a layer of the list, and every
    layer of the list is a folder;
  - a file includes headers of its own folder, of folders below it, of
    util/ and config.h only (so no two folders include each other);
  - the pure layers (marked "pure" in the list) include no header that
    makes system calls;
  - an internal header (*_int.h) is included only from its own folder;
  - file names are unique across src/.

Prints one line per violation and exits 1 if there is any, else 0.
"""

import os
import re
import sys

# Headers whose functions are system calls (or wrap them): a pure layer
# works on bytes handed to it and includes none of these.
SYSCALL_HEADERS = {
    "unistd.h", "fcntl.h", "dirent.h", "poll.h", "signal.h", "pthread.h",
    "liburing.h", "sys/stat.h", "sys/socket.h", "sys/mman.h", "sys/uio.h",
    "sys/ioctl.h", "sys/xattr.h", "sys/acl.h", "acl/libacl.h", "sys/wait.h",
    "sys/syscall.h", "sys/sendfile.h", "sys/time.h", "netdb.h", "time.h",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
LAYER_LINE = re.compile(r"^    ([a-z0-9_]+)/\s+(.*)$")


def read_layers(doc):
    """[(name, pure)] from the block under '## Layers', top to bottom."""
    layers, in_section, in_block = [], False, False
    with open(doc, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("## "):
                if in_block:
                    break
                in_section = line.strip() == "## Layers"
                continue
            if not in_section:
                continue
            m = LAYER_LINE.match(line)
            if m:
                in_block = True
                layers.append((m.group(1), "(pure)" in m.group(2)))
            elif in_block and line.startswith("    ") and line.strip():
                continue  # a continuation line of the previous layer
            elif in_block and line.strip():
                break
    return layers


def check(root):
    problems = []
    doc = os.path.join(root, "docs", "architecture.md")
    src = os.path.join(root, "src")
    if not os.path.isfile(doc):
        return ["docs/architecture.md: missing"]
    layers = read_layers(doc)
    if not layers:
        return ["docs/architecture.md: no layer list under '## Layers'"]
    rank = {name: i for i, (name, _) in enumerate(layers)}
    pure = {name for name, p in layers if p}
    util = "util"

    files = {}  # folder -> [relative paths]
    for folder in sorted(os.listdir(src)):
        top = os.path.join(src, folder)
        if not os.path.isdir(top):
            continue
        for dirpath, _, names in os.walk(top):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    files.setdefault(folder, []).append(os.path.join(dirpath, n))
        if folder not in rank and folder in files:
            problems.append(f"src/{folder}/: not a layer of docs/architecture.md")
    for name, _ in layers:
        if not os.path.isdir(os.path.join(src, name)):
            problems.append(f"docs/architecture.md: layer {name}/ has no folder in src/")

    seen = {}
    for folder, paths in files.items():
        for p in paths:
            rel = os.path.relpath(p, root)
            base = os.path.basename(p)
            if base in seen:
                problems.append(f"{rel}: file name also used by {seen[base]}")
            else:
                seen[base] = rel
            with open(p, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    kind, hdr = m.groups()
                    where = f"{rel}:{lineno}"
                    if kind == "<":
                        if folder in pure and hdr in SYSCALL_HEADERS:
                            problems.append(f"{where}: {folder}/ is pure but includes <{hdr}>")
                        continue
                    if "/" not in hdr:
                        if hdr != "config.h":
                            problems.append(f'{where}: "{hdr}" is not a folder/file path')
                        continue
                    to = hdr.split("/", 1)[0]
                    if to == folder:
                        continue
                    if hdr.endswith("_int.h"):
                        problems.append(f'{where}: includes {to}/\'s internal header "{hdr}"')
                    if to == util:
                        continue
                    if to not in rank:
                        problems.append(f'{where}: "{hdr}" is in no layer')
                    elif folder in rank and rank[to] <= rank[folder]:
                        problems.append(f'{where}: {folder}/ includes "{hdr}" from {to}/, '
                                        "which is not below it")
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = check(os.path.abspath(root))
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
