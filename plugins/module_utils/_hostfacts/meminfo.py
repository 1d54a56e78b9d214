# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory and swap from ``/proc/meminfo``, the numbers behind ``free -h``.  Stdlib only."""

from __future__ import annotations

import re

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_text

MEMINFO = '/proc/meminfo'

_LINE_RE = re.compile(r'^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$')


def parse_meminfo(text):
    """meminfo text -> ``{field: bytes}`` (``kB`` values times 1024; counts without a unit as they are)."""
    values = {}
    for line in (text or '').splitlines():
        match = _LINE_RE.match(line.strip())
        if match:
            number = int(match.group(2))
            values[match.group(1)] = number * 1024 if match.group(3) else number
    return values


def memory_facts(values):
    """The ``memory`` section from parsed VALUES.

    ``MemAvailable`` exists since Linux 3.14; before it, free plus buffers plus page cache is the
    usual estimate, and ``available_estimated`` says so.
    """
    available = values.get('MemAvailable')
    estimated = available is None
    if estimated and 'MemFree' in values:
        available = values['MemFree'] + values.get('Buffers', 0) + values.get('Cached', 0)
    return {
        'total_bytes': values.get('MemTotal'),
        'available_bytes': available,
        'available_estimated': estimated,
        'swap_total_bytes': values.get('SwapTotal'),
        'swap_free_bytes': values.get('SwapFree'),
    }


def read_memory(path=MEMINFO):
    return memory_facts(parse_meminfo(read_text(path)))
