# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Archives by time: a window decompresses only the archives that can overlap it, and finds the
same records as reading every file in full."""

from __future__ import annotations

import gzip
import os
import random
import time
from datetime import timedelta

import pytest
from test_logscan import END, generated, offsets, render

from ansible_collections.billmgr.ops.plugins.module_utils._logs import logscan
from ansible_collections.billmgr.ops.plugins.module_utils._logs.archiveplan import FileSpan, outside_window
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogSource, scan

DAYS = 6


# ---------------------------------------------------------------- the plan alone
def test_rotation_order_bounds_each_archive_by_the_next_first_record():
    # Three archives whose mtimes all say "later" (touched after rotation): only the neighbours
    # tell where each ends.
    spans = [FileSpan(100, 1000, True), FileSpan(200, 1000, True), FileSpan(300, 1000, True),
             FileSpan(400, 1000, False)]
    assert outside_window(spans, since_key=250) == {0}
    assert outside_window(spans, since_key=350) == {0, 1}
    assert outside_window(spans, until_key=150) == {1, 2}
    assert outside_window(spans, since_key=150, until_key=250) == {2}


def test_plain_files_bound_neighbours_but_are_never_skipped():
    spans = [FileSpan(100, 199, False), FileSpan(200, 299, True), FileSpan(300, 400, False)]
    # The plain file before the window is bisected, not skipped here; the archive is.
    assert outside_window(spans, since_key=350) == {1}
    assert outside_window(spans, until_key=50) == {1}


def test_an_archive_spanning_its_neighbours_keeps_its_mtime():
    # A merged copy: it starts first but was written last, so rotation order says nothing of it.
    merged = FileSpan(100, 400, True)
    spans = [merged, FileSpan(200, 299, True), FileSpan(300, 399, True)]
    assert 0 not in outside_window(spans, since_key=350)
    assert outside_window(spans, since_key=350) == {1}


def test_an_archive_whose_first_record_is_unknown_is_bounded_by_mtime_only():
    spans = [FileSpan(None, 150, True), FileSpan(None, 250, True), FileSpan(300, 400, False)]
    assert outside_window(spans, since_key=200) == {0}
    assert outside_window(spans, until_key=10) == set()


def test_equal_first_records_do_not_bound_each_other():
    spans = [FileSpan(100, 300, True), FileSpan(100, 300, True)]
    assert outside_window(spans, since_key=200) == set()


# ---------------------------------------------------------------- scan() over a rotated log
def _epoch(when):
    return time.mktime(when.timetuple())


def rotated(tmp_path, touch=None, gzip_mtime=True):
    """DAYS daily gzip archives and a live log of records ending at END, rotated at midnight.

    TOUCH: a datetime every archive's mtime is set to instead of its last write (a copy that did
    not keep mtimes). Returns (sources, records by file).
    """
    rng = random.Random(11)
    start = END - timedelta(days=DAYS)
    # Spread over the days, then some written up to 200 s out of order (log_grep allows 300).
    dense = generated(rng, 6000, start=start, error_share=0.05)
    stretch = DAYS * 86400 / (dense[-1].when - start).total_seconds()
    records = [rec._replace(when=start + (rec.when - start) * stretch
                            - timedelta(seconds=rng.randint(0, 200) if rng.random() < 0.2 else 0))
               for rec in dense]
    records = [rec._replace(when=rec.when.replace(microsecond=0)) for rec in records if rec.when <= END]
    cuts = [(start + timedelta(days=day + 1)).replace(hour=0, minute=0, second=0) for day in range(DAYS)]
    files, current = [], []
    for rec in records:
        while cuts and rec.when >= cuts[0]:
            files.append((cuts.pop(0), current))
            current = []
        current.append(rec)
    sources = []
    for number, (rotated_at, recs) in enumerate(files):
        path = str(tmp_path / ('billmgr.log-%s.gz' % rotated_at.strftime('%Y%m%d')))
        data = b''.join(render(rec) for rec in recs)
        header_mtime = _epoch(rotated_at) if gzip_mtime else 0
        with gzip.GzipFile(path, 'wb', mtime=header_mtime) as target:
            target.write(data)
        os.utime(path, (_epoch(touch or rotated_at),) * 2)
        sources.append(LogSource('billmgr', path))
    live = str(tmp_path / 'billmgr.log')
    with open(live, 'wb') as target:
        target.write(b''.join(render(rec) for rec in current))
    os.utime(live, (_epoch(END),) * 2)
    sources.append(LogSource('billmgr', live))
    return sources


@pytest.fixture
def decompressed(monkeypatch):
    """Paths of the archives read beyond their first record."""
    read = []
    real = logscan._ChunkLoop.__init__

    def counting(self, search, stream, *args, **kwargs):
        if not isinstance(stream, logscan.io.FileIO):
            read.append(search.source.path)
        real(self, search, stream, *args, **kwargs)
    monkeypatch.setattr(logscan._ChunkLoop, '__init__', counting)
    return read


def full_read(sources, **window):
    """The same scan with nothing skipped ahead: every archive decompressed."""
    original = logscan.outside_window
    logscan.outside_window = lambda spans, since_key=None, until_key=None: set()
    try:
        return scan(sources, max_matches=10 ** 6, **window)
    finally:
        logscan.outside_window = original


WINDOWS = {
    'since 24h': dict(since=END - timedelta(hours=24)),
    'two hours three days back': dict(since=END - timedelta(days=3, hours=2), until=END - timedelta(days=3)),
    'until the second day': dict(until=END - timedelta(days=DAYS - 1, hours=12)),
    'across a rotation': dict(since=(END - timedelta(days=2)).replace(hour=23), until=(END - timedelta(days=1)).replace(hour=1)),
}


@pytest.mark.parametrize('touch', [None, END + timedelta(days=1)], ids=['mtimes kept', 'mtimes lost'])
@pytest.mark.parametrize('name', sorted(WINDOWS))
def test_window_reads_the_same_records_as_a_full_read(tmp_path, decompressed, touch, name):
    sources = rotated(tmp_path, touch=touch, gzip_mtime=touch is None)
    window = WINDOWS[name]
    result = scan(sources, max_matches=10 ** 6, **window)
    read = list(decompressed)
    assert offsets(result) == offsets(full_read(sources, **window))
    assert result['counts'] == full_read(sources, **window)['counts']
    assert result['counts']['by_level']['ERROR'] > 0
    # At most the archives holding the window's ends, and one more on each side for the records
    # written out of order across a rotation.
    assert 1 <= len(read) <= 3, read
    assert len(read) < DAYS


def test_since_24h_decompresses_only_the_last_archive(tmp_path, decompressed):
    sources = rotated(tmp_path)
    scan(sources, since=END - timedelta(hours=10))
    assert decompressed == []
    scan(sources, since=END - timedelta(hours=30))
    assert decompressed == [sources[-2].path]


def test_a_merged_archive_is_read_whatever_its_neighbours_say(tmp_path, decompressed):
    sources = rotated(tmp_path)
    merged = str(tmp_path / 'billmgr.log-all.gz')
    with gzip.GzipFile(merged, 'wb', mtime=_epoch(END)) as target:
        for source in sources[:-1]:
            with gzip.open(source.path, 'rb') as part:
                target.write(part.read())
    os.utime(merged, (_epoch(END),) * 2)
    everything = [LogSource('billmgr', merged)] + sources
    window = WINDOWS['two hours three days back']
    result = scan(everything, max_matches=10 ** 6, **window)
    assert merged in decompressed
    assert offsets(result) == offsets(full_read(everything, **window))


def test_a_corrupt_archive_is_still_reported(tmp_path):
    sources = rotated(tmp_path)
    with open(sources[-2].path, 'r+b') as handle:
        handle.seek(40)
        handle.write(b'\x00' * 64)
    result = scan(sources, since=END - timedelta(hours=30))
    assert [item['path'] for item in result['unreadable_archives']] == [sources[-2].path]
