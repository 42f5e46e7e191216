#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of ursync's option table (src/cli/options.c), for the
bash completion (built from it) and the tests that check the man page.

    optlist.py options.c                  every row: long, short, value?, supported?
    optlist.py options.c --fill IN OUT    IN with @LONG_OPTIONS@ and @SHORT_OPTIONS@
                                          replaced (the client table only)
"""
import re
import sys

ROW = re.compile(r"""^\s*(?:\{|(?P<macro>[A-Z]{2})\()\s*(?:NULL|"(?P<long>[^"]*)")\s*,\s*"""
                 r"""(?:0|'(?P<short>.)')\s*,(?P<rest>.*)$""")


def rows(source, table):
    """(long or None, short or None, takes a value, supported) per row of table."""
    body = source.split(f"static const struct optdef {table}[] = {{", 1)[1]
    body = body.split("\n};", 1)[0]
    out = []
    for line in body.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        rest = m.group("rest")
        value = m.group("macro") in ("OS", "CS", "ON", "CN") or bool(
            re.search(r"\bARG_(STR|INT)\b", rest))
        supported = not re.search(r",\s*N\s*[,)}]", rest)
        out.append((m.group("long"), m.group("short"), value, supported))
    return out


def main(argv):
    source = open(argv[1], encoding="utf-8").read()
    if len(argv) == 2:
        for table in ("main_opts", "daemon_opts"):
            for lng, sht, value, sup in rows(source, table):
                print(table, lng or "-", sht or "-", int(value), int(sup))
        return 0
    if len(argv) != 5 or argv[2] != "--fill":
        print(__doc__, file=sys.stderr)
        return 2
    main_rows = rows(source, "main_opts")
    longs = " ".join(f"--{lng}{'=' if value else ''}" for lng, _, value, _ in main_rows if lng)
    shorts = " ".join(f"-{sht}" for _, sht, _, _ in main_rows if sht)
    text = open(argv[3], encoding="utf-8").read()
    text = text.replace("@LONG_OPTIONS@", longs).replace("@SHORT_OPTIONS@", shorts)
    with open(argv[4], "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
