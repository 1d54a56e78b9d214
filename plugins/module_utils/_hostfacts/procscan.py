# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether processes of given names run, read from ``/proc`` without running ``ps`` or ``pgrep``.

A process's name is the ``comm`` field of ``/proc/PID/stat`` (what ``pgrep -x`` matches, at most 15
characters); zombies and dead tasks do not count as running.  Stdlib only.
"""

from __future__ import annotations

import os

PROC = '/proc'
COMM_MAX = 15
_NOT_RUNNING = ('Z', 'X', 'x')


def parse_stat(text):
    """``/proc/PID/stat`` text -> ``(comm, state)``; comm may hold spaces and parentheses."""
    start, end = text.index('('), text.rindex(')')
    return text[start + 1:end], text[end + 2:end + 3]


def running(names, proc=PROC):
    """``{name: bool}``: whether a live process with each of NAMES exists."""
    wanted = {name[:COMM_MAX]: name for name in names}
    found = dict((name, False) for name in names)
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, 'stat'), encoding='utf-8', errors='replace') as handle:
                comm, state = parse_stat(handle.read())
        except (OSError, ValueError):
            # The process ended while we looked.
            continue
        if comm in wanted and state not in _NOT_RUNNING:
            found[wanted[comm]] = True
    return found
