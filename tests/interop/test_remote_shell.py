# SPDX-License-Identifier: GPL-3.0-or-later
"""The remote-shell matrix: {rsync, ursync} as client x {rsync, ursync} as
server x push/pull x option sets x {fakeshell, ssh}, each cell compared with
the same cell run rsync->rsync (see remote_harness.py for what is compared).

All 160 matrix cells run over both transports: an ssh run costs about
0.4 s more than a fakeshell one (the login; root's bash reads its rc
files), and the whole suite stays well within a 4-minute budget on 2 cores
(about 1.5 minutes with every cell really transferring), so no ssh subset is
needed. Run `-m "not ssh"` for the quick half.
"""

import pytest

import remote_harness as rh


def _marks(client, server, transport):
    marks = [pytest.mark.interop, getattr(pytest.mark, transport)]
    if client == "rsync" and server == "rsync":
        marks.append(getattr(pytest.mark, "rsync-rsync"))
    else:
        marks.append(pytest.mark.ursync)
    return marks


def _cells():
    for transport in rh.TRANSPORTS:
        for direction in rh.DIRECTIONS:
            for client, server in rh.PAIRS:
                for opts, dest in rh.OPTIONS:
                    yield pytest.param(direction, transport, client, server, opts, dest,
                                       id=rh.cell_id(direction, transport, client, server, opts),
                                       marks=_marks(client, server, transport))


def _expected_rc(opts, dest):
    # Without --delete, the non-empty directory where a file goes cannot be
    # replaced ("cannot delete non-empty directory"): rsync exits 23.
    return 23 if dest == "stale-nonempty" and "--delete" not in opts.split() else 0


@pytest.mark.parametrize("direction,transport,client,server,opts,dest", list(_cells()))
def test_cell(direction, transport, client, server, opts, dest, inputs, shells, references,
              ursync_available):
    if "ursync" in (client, server) and ursync_available:
        pytest.fail(ursync_available, pytrace=False)
    ref = references.cell(shells, direction, transport, opts, dest)
    # The reference itself must be what rsync is known to do, or every
    # comparison against it is worthless.
    assert ref.rc == _expected_rc(opts, dest), "reference run failed:\n" + ref.summary()
    got = rh.run_cell(inputs, shells, direction, transport, client, server, opts, dest)
    rh.assert_same(ref, got, f"{direction} over {transport}, options {opts!r}, dest {dest}")


def _error_cells():
    for transport in rh.TRANSPORTS:
        for scenario, spec in rh.ERROR_SCENARIOS.items():
            if transport not in spec[-1]:
                continue
            for client, server in rh.PAIRS:
                yield pytest.param(scenario, transport, client, server,
                                   id=f"{scenario}-{transport}-client_{client}-server_{server}",
                                   marks=_marks(client, server, transport))


# The reference exit code of each error scenario, checked so that a change in
# the inputs cannot quietly turn an error cell into a success cell.
ERROR_RC = {
    "pull-missing-source": 23,
    "pull-missing-and-present": 23,
    "pull-unreadable-file": 23,
    "push-unwritable-dest": 23,
    "push-dest-parent-is-file": 3,
}


@pytest.mark.parametrize("scenario,transport,client,server", list(_error_cells()))
def test_error_travels(scenario, transport, client, server, inputs, shells, references,
                       ursync_available):
    """Errors met on either side reach the client's exit code and stderr as
    with rsync on both ends: same exit code, same message lines once the
    program name at the start of a line ("rsync:", "ursync:", "rsync
    error:") and the "at FILE(LINE) [role=VERSION]" tail are normalised.
    Role tags such as "[sender]" and "[Receiver]" are kept and compared."""
    if "ursync" in (client, server) and ursync_available:
        pytest.fail(ursync_available, pytrace=False)
    ref = references.error(shells, scenario, transport)
    assert ref.rc == ERROR_RC[scenario], "reference run: unexpected exit:\n" + ref.summary()
    assert ref.stderr_lines, "reference run printed no error:\n" + ref.summary()
    got = rh.run_error_cell(inputs, shells, scenario, transport, client, server)
    rh.assert_same(ref, got, f"error scenario {scenario} over {transport}")
