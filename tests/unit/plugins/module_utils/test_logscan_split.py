# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a large range is cut for the workers: at header lines, the parent's part smaller by what
detailing matches costs it, and the answer the same whatever the cut."""

from __future__ import annotations

import random

import pytest
from test_logscan import expected, generated, write_log

from ansible_collections.billmgr.ops.plugins.module_utils._logs import logscan
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import scan


@pytest.fixture
def log_file(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    return path, write_log(path, generated(random.Random(5), 6000))


def _cuts(path, room, workers=2, detail_bytes=None, monkeypatch=None):
    if detail_bytes is not None:
        monkeypatch.setattr(logscan, 'DETAIL_BYTES', detail_bytes)
    options = logscan._Options(['ERROR'], None, None, None, 'thread', 20, 8192, logscan.CHUNK_BYTES, 300,
                                workers, 0, True)
    tally = logscan._Tally(options.levels, room)
    search = logscan.BufferSearch(bytearray(logscan._buffer_size(options)), options, tally)
    file_scan = logscan._FileScan(logscan.LogSource('billmgr', path), options, search)
    with open(path, 'rb') as raw:
        search.start_file(file_scan.source, logscan._Stamped(None, logscan.year_anchor(0), None))
        size = logscan.os.fstat(raw.fileno()).st_size
        return size, file_scan._split(raw.fileno(), 0, size)


def test_the_parent_takes_a_smaller_part_when_it_details_matches(log_file, monkeypatch):
    path, written = log_file
    size, even = _cuts(path, room=0)
    handicapped = _cuts(path, room=100, detail_bytes=size // 5, monkeypatch=monkeypatch)[1]
    header_offsets = set(w.offset for w in written)
    for parts in (even, handicapped):
        assert parts[0][0] == 0 and parts[-1][1] == size
        assert all(left[1] == right[0] and right[0] in header_offsets for left, right in zip(parts, parts[1:]))
    assert abs((even[0][1] - even[0][0]) - size // 2) < 4096
    assert handicapped[0][1] < even[0][1] - size // 20


@pytest.mark.parametrize('detail_bytes', [0, 4096, 10 ** 9])
def test_the_cut_never_changes_the_answer(log_file, monkeypatch, detail_bytes):
    path, written = log_file
    monkeypatch.setattr(logscan, 'DETAIL_BYTES', detail_bytes)
    result = scan([path], max_matches=50, workers=3, parallel_min_bytes=0)
    assert [m['offset'] for m in result['matches']] == [w.offset for w in expected(written)][:50]
    assert result['counts']['by_level']['ERROR'] == len(expected(written))
