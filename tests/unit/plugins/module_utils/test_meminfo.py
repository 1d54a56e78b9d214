# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.meminfo import memory_facts, parse_meminfo, read_memory

MEMINFO = '''MemTotal:        8000000 kB
MemFree:          500000 kB
MemAvailable:    5000000 kB
Buffers:          100000 kB
Cached:          2000000 kB
SwapTotal:       2097148 kB
SwapFree:        2000000 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
'''


def test_parse_converts_kb_and_keeps_counts():
    values = parse_meminfo(MEMINFO)
    assert values['MemTotal'] == 8000000 * 1024
    assert values['HugePages_Total'] == 0
    assert values['Hugepagesize'] == 2048 * 1024


def test_memory_section():
    assert memory_facts(parse_meminfo(MEMINFO)) == {
        'total_bytes': 8000000 * 1024, 'available_bytes': 5000000 * 1024, 'available_estimated': False,
        'swap_total_bytes': 2097148 * 1024, 'swap_free_bytes': 2000000 * 1024}


def test_old_kernel_without_memavailable_is_estimated():
    text = '\n'.join(line for line in MEMINFO.splitlines() if not line.startswith('MemAvailable'))
    facts = memory_facts(parse_meminfo(text))
    assert facts['available_bytes'] == (500000 + 100000 + 2000000) * 1024
    assert facts['available_estimated'] is True


def test_missing_fields_are_null():
    assert memory_facts(parse_meminfo('garbage\n')) == {
        'total_bytes': None, 'available_bytes': None, 'available_estimated': True,
        'swap_total_bytes': None, 'swap_free_bytes': None}


def test_read_memory_from_a_file_and_from_this_machine(tmp_path):
    path = tmp_path / 'meminfo'
    path.write_text(MEMINFO)
    assert read_memory(str(path))['total_bytes'] == 8000000 * 1024
    live = read_memory()
    assert live['total_bytes'] > 0 and 0 < live['available_bytes'] <= live['total_bytes']
    with pytest.raises(OSError):
        read_memory(str(tmp_path / 'none'))
