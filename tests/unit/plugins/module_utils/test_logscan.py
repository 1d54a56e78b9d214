# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scan engine against logs written here, whose every record the test knows.

Expected answers come from the generator's own list of records, never from the code under test.
Small chunks and a small context window (the ``small_window`` fixture) make a file of a few
hundred kilobytes cross many chunk boundaries.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import random
import re
import time
from collections import Counter, namedtuple
from datetime import datetime, timedelta

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs import logscan, logsearch
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import MONTHS
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogScanError, LogSource, scan

Rec = namedtuple('Rec', 'when pid thread logger level message continuation')
Written = namedtuple('Written', 'rec offset')

END = datetime(2025, 5, 5, 12, 0, 0)


def stamp(when, padded=True):
    day = '%2d' % when.day if padded else str(when.day)
    return '%s %s %02d:%02d:%02d' % (MONTHS[when.month - 1], day, when.hour, when.minute, when.second)


def render(rec, colour=False, newline='\n', padded=True):
    key = '%d:%s' % (rec.pid, rec.thread) if rec.thread is not None else str(rec.pid)
    level = '\x1b[1;31m%s\x1b[0m' % rec.level if colour else rec.level
    head = '%s [%s] %s %s %s' % (stamp(rec.when, padded), key, rec.logger, level, rec.message)
    return ''.join(line + newline for line in [head] + list(rec.continuation)).encode('utf-8')


def write_log(path, records, mtime=END, **style):
    """Write RECORDS; return them with the byte offset of each header line."""
    written, offset = [], 0
    with open(path, 'wb') as handle:
        for rec in records:
            data = render(rec, **style)
            handle.write(data)
            written.append(Written(rec, offset))
            offset += len(data)
    epoch = time.mktime(mtime.timetuple())
    os.utime(path, (epoch, epoch))
    return written


def generated(rng, count, start=END - timedelta(hours=6), disorder=0, error_share=0.08):
    """COUNT records of a busy log: threads interleaved, XML continuations, ERROR in messages."""
    records, now = [], start
    threads = [(rng.choice((4100, 4200)), str(rng.randint(1, 90000))) for unused in range(12)]
    for unused in range(count):
        now += timedelta(seconds=rng.choice((0, 0, 1, 1, 2, 7)))
        when = now - timedelta(seconds=rng.randint(0, disorder)) if disorder and rng.random() < 0.2 else now
        pid, thread = rng.choice(threads)
        roll = rng.random()
        if roll < error_share:
            kind = rng.choice(('missed', 'value', 'not_enough_money'))
            continuation = ('<doc>', '  <error type="%s">ERROR %s(x)</error>' % (kind, kind), '</doc>') \
                if rng.random() < 0.3 else ()
            records.append(Rec(when, pid, thread, 'libmgr', 'ERROR',
                               "Error: Type: '%s' Object: 'item' Value: '%d'" % (kind, rng.randint(1, 999)),
                               continuation))
        elif roll < 0.2:
            records.append(Rec(when, pid, thread, 'libmgr', 'WARNING', "Module 'pmx' answered ERROR 500", ()))
        elif roll < 0.3:
            records.append(Rec(when, pid, thread, 'core_module', 'EXTINFO', 'Remote result:',
                               ('<doc>', '  <msg>Remote call failed: ERROR sql(query)</msg>', '</doc>')))
        elif roll < 0.4:
            records.append(Rec(when, pid, thread, 'db', 'DEBUG', 'db.cpp:%d SELECT 1' % rng.randint(1, 900), ()))
        else:
            records.append(Rec(when, pid, thread, 'rpc', 'INFO', "Query('func=item&elid=%d')" % rng.randint(1, 9999), ()))
    return records


def expected(written, levels=('ERROR',), since=None, until=None):
    return [w for w in written if w.rec.level in levels
            and (since is None or w.rec.when >= since) and (until is None or w.rec.when <= until)]


def offsets(result):
    return [(match['file'], match['offset']) for match in result['matches']]


@pytest.fixture
def small_window(monkeypatch):
    """A 2 KiB context window, so that small files cross many chunk boundaries."""
    monkeypatch.setattr(logsearch, 'WINDOW_BYTES', 2048)
    monkeypatch.setattr(logscan, 'WINDOW_BYTES', 2048)


@pytest.fixture
def busy_log(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    return path, write_log(path, generated(random.Random(7), 6000, disorder=40))


# ---------------------------------------------------------------- fields and counts
SPEC_TEXT = (
    "May  5 00:19:17 [8821:1] rpc EXTINFO Query('func=service.billdaily&item=310598&from=daily')\n"
    "Mar  6 18:33:01 [483562:72787] libmgr ERROR Error: Type: 'missed' Object: 'function' Value: 'payment_cash_register.check'\n"
    "Mar  3 00:24:36 [9686:1] libmgr ERROR Error: Type: 'stat_addon_over_limit' Object: '' Value: ''\n"
    "Mar  3 00:24:37 [9686:1] sbin_utils INFO QUERY: func=service.autosuspend&item=323911&stat=on\n"
)


def test_spec_samples_as_matches(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    with open(path, 'w') as handle:
        handle.write(SPEC_TEXT)
    os.utime(path, (time.mktime(END.timetuple()),) * 2)
    result = scan([path], levels=['ERROR', 'EXTINFO', 'INFO'])
    first, second, third, fourth = result['matches']
    assert (first['level'], first['logger'], first['pid'], first['thread'], first['offset']) == ('EXTINFO', 'rpc', 8821, '1', 0)
    assert first['time'].startswith('2025-05-05T00:19:17')
    assert (second['thread_key'], second['error']) == (
        '483562:72787', {'type': 'missed', 'object': 'function', 'value': 'payment_cash_register.check'})
    assert second['time'].startswith('2025-03-06T18:33:01')
    assert third['error'] == {'type': 'stat_addon_over_limit', 'object': '', 'value': ''}
    assert fourth['message'] == 'QUERY: func=service.autosuspend&item=323911&stat=on'
    assert result['counts'] == {'by_log': {'billmgr': 4}, 'by_level': {'ERROR': 2, 'INFO': 1, 'EXTINFO': 1},
                                'by_error_type': {'missed': 1, 'stat_addon_over_limit': 1}}
    assert result['scanned_bytes'] == len(SPEC_TEXT) and result['truncated'] is False


def test_level_word_in_messages_and_continuations_is_not_counted(busy_log):
    path, written = busy_log
    with open(path, 'rb') as handle:
        substring_lines = sum(1 for line in handle if b' ERROR ' in line)
    errors = expected(written)
    assert substring_lines > 2 * len(errors)  # the file really is full of decoys
    result = scan([path], max_matches=10 ** 6)
    assert result['counts']['by_level'] == {'ERROR': len(errors)}
    assert [match['offset'] for match in result['matches']] == [w.offset for w in errors]
    assert result['counts']['by_error_type'] == dict(Counter(
        re.search(r"Type: '(\w+)'", w.rec.message).group(1) for w in errors))


def test_words_that_look_like_a_level_are_not_one(tmp_path):
    text = ('May  5 10:00:00 [1:1] rpc ERRORS plural is another word\n'
            'May  5 10:00:01 [1:1] rpc ERROR_X suffixed\n'
            'May  5 10:00:02 [1:1] ERROR INFO a logger named ERROR\n'
            'May  5 10:00:03 [1:1] rpc xERROR prefixed\n'
            'May  5 10:00:04 [1:1] rpc INFO ERROR at the start of a message\n'
            'May  5 10:00:05 [1:1] rpc ERROR\n'
            'May  5 10:00:06 [1:1] rpc ERROR the one real record with text ERROR\n')
    path = str(tmp_path / 'billmgr.log')
    with open(path, 'w') as handle:
        handle.write(text)
    result = scan([path])
    assert [m['offset'] for m in result['matches']] == [text.index('May  5 10:00:05'), text.index('May  5 10:00:06')]
    assert [m['message'] for m in result['matches']] == ['', 'the one real record with text ERROR']
    assert result['counts']['by_level'] == {'ERROR': 2}


def test_multiline_message_stays_with_its_header(busy_log):
    path, written = busy_log
    result = scan([path], max_matches=10 ** 6, context='none')
    by_offset = dict((w.offset, w.rec) for w in written)
    with_xml = [m for m in result['matches'] if by_offset[m['offset']].continuation]
    assert with_xml
    for match in with_xml:
        rec = by_offset[match['offset']]
        assert match['message'] == '\n'.join((rec.message,) + rec.continuation)


def test_counts_cover_everything_while_matches_stop_at_max(busy_log):
    path, written = busy_log
    errors = expected(written)
    result = scan([path], max_matches=25)
    assert len(result['matches']) == 25 and result['truncated'] is True
    assert result['counts']['by_level']['ERROR'] == len(errors)
    assert [m['offset'] for m in result['matches']] == [w.offset for w in errors[:25]]
    nothing = scan([path], max_matches=0)
    assert nothing['matches'] == [] and nothing['truncated'] is True
    assert nothing['counts'] == result['counts']
    everything = scan([path], max_matches=len(errors))
    assert everything['truncated'] is False


def test_several_levels_come_back_in_file_order(busy_log):
    path, written = busy_log
    wanted = expected(written, levels=('ERROR', 'WARNING'))
    result = scan([path], levels=['WARNING', 'ERROR'], max_matches=200, context='none')
    assert [m['offset'] for m in result['matches']] == [w.offset for w in wanted[:200]]
    assert [m['level'] for m in result['matches']] == [w.rec.level for w in wanted[:200]]
    assert result['counts']['by_level'] == dict(Counter(w.rec.level for w in wanted))


def test_pattern_reads_continuation_lines_too(busy_log):
    path, written = busy_log
    result = scan([path], pattern='error type="value"', max_matches=10 ** 6)
    wanted = [w for w in expected(written) if any('type="value"' in line for line in w.rec.continuation)]
    assert wanted and [m['offset'] for m in result['matches']] == [w.offset for w in wanted]
    assert result['counts']['by_error_type'] == {'value': len(wanted)}


# ---------------------------------------------------------------- the thread around a match
def test_context_holds_only_the_matched_thread(busy_log):
    path, written = busy_log
    result = scan([path], max_matches=300, context_lines=8)
    by_offset = dict((w.offset, w.rec) for w in written)
    checked = 0
    for match in result['matches']:
        assert len(match['context']) <= 8
        rec = by_offset[match['offset']]
        token = '[%d:%s]' % (rec.pid, rec.thread)
        headers = [line for line in match['context'] if re.match(r'^[A-Z][a-z]{2} [ \d]\d ', line)]
        assert all(token in line.split(' ] ')[0] for line in headers), match
        checked += bool(headers)
    assert checked > 100


def test_context_is_the_nearest_lines_before_and_after(tmp_path):
    base = END - timedelta(minutes=5)
    mine, other = (10, '1'), (10, '2')
    records = [Rec(base + timedelta(seconds=i), *(mine if i % 2 else other), 'rpc', 'INFO', 'step %d' % i, ())
               for i in range(40)]
    records.insert(21, Rec(base + timedelta(seconds=21), 10, '1', 'libmgr', 'ERROR', 'boom', ('<doc/>',)))
    # Another thread naming this one in its message is not this thread.
    records.insert(20, Rec(base + timedelta(seconds=20), 10, '2', 'rpc', 'INFO', 'waiting for [10:1]', ()))
    records.insert(24, Rec(base + timedelta(seconds=22), 10, '2', 'rpc', 'INFO', 'joined [10:1]', ()))
    path = str(tmp_path / 'billmgr.log')
    write_log(path, records)
    (match,) = scan([path], context_lines=5)['matches']
    steps = [line.rsplit(' ', 1)[-1] for line in match['context']]
    assert steps == ['15', '17', '19', '21', '23']
    assert match['message'] == 'boom\n<doc/>'
    assert scan([path], context='none')['matches'][0]['context'] == []
    assert scan([path], context_lines=0)['matches'][0]['context'] == []


def test_context_of_module_lines_without_thread(tmp_path):
    records = [Rec(END - timedelta(seconds=9 - i), 77 if i != 4 else 78, None, 'pmbillmgr', 'INFO', 'n%d' % i, ())
               for i in range(9)]
    records[5] = Rec(records[5].when, 77, None, 'pmbillmgr', 'ERROR', 'failed', ())
    path = str(tmp_path / 'pmbillmgr.log')
    write_log(path, records, padded=False)
    (match,) = scan([path])['matches']
    assert (match['thread'], match['thread_key'], match['pid']) == (None, '77', 77)
    assert [line.rsplit(' ', 1)[-1] for line in match['context']] == ['n0', 'n1', 'n2', 'n3', 'n6', 'n7', 'n8']


# ---------------------------------------------------------------- odd bytes
def test_colour_codes(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    written = write_log(path, generated(random.Random(3), 800), colour=True)
    with open(path, 'ab') as handle:
        handle.write(b"\x1b[31mMay  5 12:00:00 [9:9] libmgr ERROR Error: Type: 'whole'\x1b[0m\n")
    errors = expected(written)
    result = scan([path], max_matches=10 ** 6)
    assert result['counts']['by_level']['ERROR'] == len(errors) + 1
    assert '\x1b' not in result['matches'][0]['message']
    assert result['matches'][-1]['error']['type'] == 'whole'


def test_crlf(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    written = write_log(path, generated(random.Random(4), 500), newline='\r\n')
    result = scan([path], max_matches=10 ** 6)
    assert [m['offset'] for m in result['matches']] == [w.offset for w in expected(written)]
    assert not any('\r' in m['message'] or any('\r' in c for c in m['context']) for m in result['matches'])


def test_invalid_utf8_and_nul_bytes(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    with open(path, 'wb') as handle:
        handle.write(b"May  5 10:00:00 [1:1] libmgr ERROR bad \xff\xfe bytes\n"
                     b"\x00\x00\x00\x00May  5 10:00:01 [1:1] libmgr ERROR after NULs \x00 inside\n"
                     b"May  5 10:00:02 [1:1] rpc INFO \xc3\x28 ERROR \x00\n")
    result = scan([path])
    first, second = result['matches']
    assert first['message'] == 'bad \ufffd\ufffd bytes'
    # The record starts after the NULs in front of it.
    assert second['message'] == 'after NULs \ufffd inside' and second['offset'] == 52
    assert '\x00' not in ''.join(first['context'])


def test_runs_of_nul_bytes_hide_no_record(tmp_path, small_window):
    # The libc search stops at a NUL: a crash's run of them must not end the search of a chunk, and
    # a run longer than a header (1 KiB) must not hide the record after it.
    path = str(tmp_path / 'billmgr.log')
    rng = random.Random(7)
    lines = []
    for number in range(400):
        if rng.random() < 0.3:
            lines.append(b"\x00" * rng.choice([1, 2, 50, 1500]))
        level = b'ERROR' if number % 3 == 0 else b'INFO'
        lines.append(b'May  5 10:%02d:%02d [1:1] libmgr %s record %d\n' % (number // 60, number % 60, level, number))
    with open(path, 'wb') as handle:
        handle.write(b''.join(lines))
    for options in (dict(), dict(chunk_bytes=4096), dict(use_libc=False)):
        result = scan([path], max_matches=10 ** 6, context='none', **options)
        assert result['counts']['by_level']['ERROR'] == 134, options
        assert [m['message'] for m in result['matches']] == ['record %d' % n for n in range(0, 400, 3)], options


def test_a_line_longer_than_max_line_bytes_is_cut(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    long_message = 'x' * 20000
    write_log(path, [Rec(END, 1, '1', 'libmgr', 'ERROR', long_message, ('y' * 30000,)),
                     Rec(END, 1, '1', 'libmgr', 'ERROR', 'short', ())])
    first, second = scan([path], max_line_bytes=1000)['matches']
    mark = logsearch.TRUNCATION_MARK % 1000
    head, tail = first['message'].split('\n')
    assert head.endswith(mark) and len(head) < 1000 + len(mark)
    assert tail == 'y' * 1000 + mark
    assert second['message'] == 'short' and second['context'][0].endswith(mark)


def test_a_line_longer_than_the_buffer_is_never_fatal(tmp_path, small_window):
    path = str(tmp_path / 'billmgr.log')
    records = [Rec(END, 1, '1', 'rpc', 'INFO', 'before', ()),
               Rec(END, 1, '1', 'libmgr', 'ERROR', 'huge ' + 'ERROR ' * 200000, ('z' * 300000,)),
               Rec(END, 1, '1', 'libmgr', 'ERROR', 'after', ())]
    written = write_log(path, records)
    result = scan([path], chunk_bytes=65536, max_line_bytes=500)
    assert [m['offset'] for m in result['matches']] == [written[1].offset, written[2].offset]
    assert result['matches'][0]['message'].startswith('huge ERROR ')
    assert result['matches'][1]['message'] == 'after'
    assert result['scanned_bytes'] == os.path.getsize(path)


# ---------------------------------------------------------------- years and windows
def test_year_inference_across_new_year(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    start = datetime(2024, 12, 31, 23, 58, 0)
    records = [Rec(start + timedelta(seconds=30 * i), 5, '5', 'libmgr', 'ERROR', 'e%d' % i, ()) for i in range(10)]
    write_log(path, records, mtime=datetime(2025, 1, 1, 0, 3, 0))
    times = [m['time'][:19] for m in scan([path])['matches']]
    assert times[:4] == ['2024-12-31T23:58:00', '2024-12-31T23:58:30', '2024-12-31T23:59:00', '2024-12-31T23:59:30']
    assert times[4:6] == ['2025-01-01T00:00:00', '2025-01-01T00:00:30']
    window = scan([path], since=datetime(2024, 12, 31, 23, 59, 30), until=datetime(2025, 1, 1, 0, 0, 30))
    assert [m['message'] for m in window['matches']] == ['e3', 'e4', 'e5']


@pytest.mark.parametrize('seed', [1, 2, 3, 4, 5])
def test_bisected_window_is_exactly_the_brute_force_window(tmp_path, small_window, seed):
    rng = random.Random(seed)
    path = str(tmp_path / 'billmgr.log')
    written = write_log(path, generated(rng, 5000, disorder=45))
    times = sorted(w.rec.when for w in written)
    for unused in range(6):
        since = rng.choice(times) + timedelta(seconds=rng.choice((-1, 0, 1)))
        until = since + timedelta(seconds=rng.randint(0, 4000))
        for lo, hi in ((since, until), (since, None), (None, until)):
            want = expected(written, since=lo, until=hi)
            result = scan([path], since=lo, until=hi, max_matches=10 ** 6, context='none',
                          chunk_bytes=8192, disorder_seconds=60)
            assert [m['offset'] for m in result['matches']] == [w.offset for w in want], (lo, hi)
            assert result['counts']['by_level']['ERROR'] == len(want)


def test_window_reads_only_the_end_of_a_large_file(tmp_path):
    path = str(tmp_path / 'billmgr.log')
    written = write_log(path, generated(random.Random(9), 30000, start=END - timedelta(days=1)))
    since = END - timedelta(minutes=30)
    result = scan([path], since=since, max_matches=10 ** 6)
    assert [m['offset'] for m in result['matches']] == [w.offset for w in expected(written, since=since)]
    assert result['scanned_bytes'] < os.path.getsize(path) / 5


def test_window_after_the_file_reads_nothing(busy_log):
    path = busy_log[0]
    result = scan([path], since=END + timedelta(days=2))
    assert result['scanned_bytes'] == 0 and result['counts']['by_level'] == {'ERROR': 0}


# ---------------------------------------------------------------- archives and several files
@pytest.mark.parametrize('compress, suffix', [(gzip.compress, '.gz'), (bz2.compress, '.bz2'), (lzma.compress, '.xz')])
def test_compressed_archives_read_as_streams(tmp_path, busy_log, small_window, compress, suffix):
    path, written = busy_log
    archive = str(tmp_path / ('billmgr.log.1' + suffix))
    with open(path, 'rb') as source, open(archive, 'wb') as target:
        target.write(compress(source.read()))
    os.utime(archive, (os.stat(path).st_mtime,) * 2)
    plain = scan([path], max_matches=10 ** 6, chunk_bytes=8192)
    packed = scan([LogSource('billmgr', archive)], max_matches=10 ** 6, chunk_bytes=8192)
    assert [m['offset'] for m in packed['matches']] == [m['offset'] for m in plain['matches']]
    assert [m['context'] for m in packed['matches']] == [m['context'] for m in plain['matches']]
    assert {m['file'] for m in packed['matches']} == {archive}
    assert packed['counts'] == plain['counts']
    assert packed['scanned_bytes'] == os.path.getsize(path)


def test_gzip_window_uses_the_header_mtime_and_stops_early(tmp_path, small_window):
    records = generated(random.Random(11), 20000, start=END - timedelta(hours=20))
    path = str(tmp_path / 'plain.log')
    written = write_log(path, records)
    archive = str(tmp_path / 'billmgr.log.1.gz')
    with open(path, 'rb') as source, gzip.GzipFile(archive, 'wb', mtime=time.mktime(END.timetuple())) as target:
        target.write(source.read())
    # The archive file itself looks written a year later; the gzip header knows better.
    os.utime(archive, (time.mktime((END + timedelta(days=400)).timetuple()),) * 2)
    until = END - timedelta(hours=19)
    result = scan([LogSource('billmgr', archive)], until=until, max_matches=10 ** 6, chunk_bytes=65536)
    assert [m['offset'] for m in result['matches']] == [w.offset for w in expected(written, until=until)]
    assert result['scanned_bytes'] < os.path.getsize(path) / 2
    skipped = scan([LogSource('billmgr', archive)], since=END + timedelta(hours=1))
    assert skipped['scanned_bytes'] == 0


def test_files_are_read_in_the_order_given(tmp_path):
    old = str(tmp_path / 'old.log')
    new = str(tmp_path / 'new.log')
    write_log(old, [Rec(END - timedelta(days=1), 1, '1', 'libmgr', 'ERROR', 'old', ())])
    write_log(new, [Rec(END, 1, '1', 'libmgr', 'ERROR', 'new', ())])
    result = scan([LogSource('billmgr', old), LogSource('billmgr', new), LogSource('pmx', new)])
    assert [m['message'] for m in result['matches']] == ['old', 'new', 'new']
    assert result['counts']['by_log'] == {'billmgr': 2, 'pmx': 1}


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(LogScanError, match='cannot read .*nothing.log'):
        scan([str(tmp_path / 'nothing.log')])


# ---------------------------------------------------------------- the same answer every way
def test_chunking_search_and_workers_do_not_change_the_answer(busy_log, small_window):
    path, written = busy_log
    reference = scan([path], levels=['ERROR', 'WARNING'], max_matches=500, workers=1)
    assert reference['counts']['by_level']['ERROR'] == len(expected(written))
    for options in (dict(chunk_bytes=4096), dict(use_libc=False), dict(workers=2, parallel_min_bytes=0),
                    dict(workers=3, parallel_min_bytes=0, chunk_bytes=4096)):
        assert scan([path], levels=['ERROR', 'WARNING'], max_matches=500, **options) == reference, options


def test_workers_share_out_matches_and_window(busy_log):
    path, written = busy_log
    times = sorted(w.rec.when for w in written)
    since, until = times[1000], times[5000]
    single = scan([path], since=since, until=until, max_matches=10 ** 6, workers=1)
    split = scan([path], since=since, until=until, max_matches=10 ** 6, workers=2, parallel_min_bytes=0)
    assert split == single
    assert [m['offset'] for m in split['matches']] == [w.offset for w in expected(written, since=since, until=until)]


def _no_child_processes_left():
    """True when this process has no child, running or unreaped."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _break_scanning(monkeypatch, where, message):
    """Make searching a part raise RuntimeError(MESSAGE) in the parent or in the workers only."""
    parent = os.getpid()
    scan_plain = logscan._FileScan._scan_plain

    def broken(self, *args):
        if (os.getpid() == parent) == (where == 'parent'):
            raise RuntimeError(message)
        return scan_plain(self, *args)
    monkeypatch.setattr(logscan._FileScan, '_scan_plain', broken)


def test_a_failing_worker_fails_the_scan(busy_log, monkeypatch):
    _break_scanning(monkeypatch, 'workers', 'disk on fire')
    with pytest.raises(LogScanError, match='a worker reading a part of the log failed: RuntimeError: disk on fire'):
        scan([busy_log[0]], workers=2, parallel_min_bytes=0)
    assert _no_child_processes_left()


def test_workers_are_stopped_when_the_scan_fails(busy_log, monkeypatch):
    _break_scanning(monkeypatch, 'parent', 'parent gave up')
    with pytest.raises(RuntimeError, match='parent gave up'):
        scan([busy_log[0]], workers=3, parallel_min_bytes=0)
    assert _no_child_processes_left()


def test_parts_no_worker_could_take_are_searched_in_turn(busy_log, monkeypatch):
    path = busy_log[0]
    reference = scan([path], max_matches=10 ** 6, workers=1)
    forks = []

    def fork_once():
        forks.append(1)
        if len(forks) > 1:
            raise OSError(11, 'Resource temporarily unavailable')
        return real_fork()
    real_fork = os.fork
    monkeypatch.setattr(os, 'fork', fork_once)
    assert scan([path], max_matches=10 ** 6, workers=3, parallel_min_bytes=0) == reference
    assert len(forks) == 2
    assert _no_child_processes_left()


def test_lab_generator_agrees_when_present(tmp_path):
    loggen_big = pytest.importorskip('billmgr_lab.loggen.big')
    path = tmp_path / 'billmgr.log'
    stats = loggen_big.write_big_log(path, 3 * 1024 * 1024, seed=5, error_ratio=0.01)
    result = scan([str(path)], max_matches=5)
    assert result['counts']['by_level']['ERROR'] == stats['error_records']
    assert stats['error_substring_lines'] > stats['error_records']


def test_lab_module_logs_of_every_writer_read_as_written(tmp_path, host_zone):
    """The lab's module logs (platform, PHP helper current and older, Python library) on a host three
    hours east of UTC whose current PHP helper stamps in UTC: every ERROR record is found, each log in
    its zone, and the window is the same wall-clock hour for all of them."""
    loggen = pytest.importorskip('billmgr_lab.loggen')
    host_zone('XXX-3')
    now = datetime.now().replace(microsecond=0)
    summary = loggen.write_logs(tmp_path / 'var', loggen.LogPlan(
        now=now, seed=7, size_bytes=2_000_000, module_logs_utc=True,
        payment_modules=['pmbillmgr', 'pmbank', 'pmpaymaster', 'pmispmgr5']))
    names = ['pmbillmgr', 'pmbank', 'pmpaymaster', 'pmispmgr5']
    sources = [LogSource(name, str(tmp_path / 'var' / (name + '.log'))) for name in names]
    result = scan(sources, max_matches=1000, context='none')
    assert result['zones'] == {'pmbillmgr': 'local', 'pmbank': 'utc', 'pmpaymaster': 'local', 'pmispmgr5': 'local'}
    assert result['counts']['by_log'] == dict((name, summary['logs'][name + '.log']['error_records']) for name in names)
    assert result['unparsed_headers'] == 0
    assert {m['time'][-6:] for m in result['matches'] if m['log'] == 'pmbank'} == {'+00:00'}
    assert {m['time'][-6:] for m in result['matches'] if m['log'] != 'pmbank'} == {'+03:00'}
    # The same moments, whichever zone a log is stamped in: a window that takes in every record.
    first = min(summary['logs'][name + '.log']['first'] for name in names)
    assert scan(sources, since=first - timedelta(seconds=1), max_matches=0)['counts']['by_log'] == \
        result['counts']['by_log']


def test_convenient_argument_forms(busy_log, tmp_path):
    path = busy_log[0]
    since = END - timedelta(hours=2)
    reference = scan([path], levels=['ERROR'], since=since)
    assert scan([tmp_path / 'billmgr.log'], levels='ERROR', since=since.isoformat()) == reference
    # The log ends long before the last hour: nothing of it is read.
    assert scan([path], since='1h')['scanned_bytes'] == 0


@pytest.mark.parametrize('bad, message', [
    (dict(levels=['FATAL']), 'unknown level FATAL'),
    (dict(context='all'), 'context must be one of thread, none'),
    (dict(since='yesterday-ish'), "since: 'yesterday-ish' is not an ISO 8601 time"),
])
def test_bad_arguments(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        scan([str(tmp_path / 'x.log')], **bad)


def _rotate_after_split(monkeypatch, path, truncate_in_place):
    """Rotate PATH right after the file was cut into parts, as logrotate may do at any moment."""
    split = logscan._FileScan._split

    def split_then_rotate(self, fd, start, end):
        parts = split(self, fd, start, end)
        if truncate_in_place:
            os.truncate(path, 0)
        else:
            os.rename(path, path + '.1')
            with open(path, 'w') as fh:
                fh.write('Log rotated, previous part saved as billmgr.log.1\n')
        return parts

    monkeypatch.setattr(logscan._FileScan, '_split', split_then_rotate)


def test_a_log_renamed_while_workers_read_it_is_read_whole(busy_log, monkeypatch):
    path, _stats = busy_log
    whole = scan([path], max_matches=0, workers=1)
    _rotate_after_split(monkeypatch, path, truncate_in_place=False)
    rotated = scan([path], max_matches=0, workers=3, parallel_min_bytes=0)
    assert rotated['counts'] == whole['counts']


def test_a_log_truncated_while_workers_read_it_gives_a_result(busy_log, monkeypatch):
    path, _stats = busy_log
    _rotate_after_split(monkeypatch, path, truncate_in_place=True)
    result = scan([path], max_matches=0, workers=3, parallel_min_bytes=0)
    assert result['scanned_bytes'] >= 0


# ---------------------------------------------------------------- every writer in one file
WriterLine = namedtuple('WriterLine', 'text level typed unparsed')


def writer_line(rng, when, index):
    """One record in the form of a random writer, and what it is: text, level or None, type, unparsed."""
    day = str(when.day)
    clock = when.strftime('%H:%M:%S')
    month = MONTHS[when.month - 1]
    kind = rng.randrange(6)
    if kind == 0:
        return ('%s %s %s [%d] pmx \x1b[1;31mERROR payment %d failed\x1b[0m\n\n' % (month, day, clock, 700 + index % 5, index),
                'ERROR', None, False)
    if kind == 1:
        return ('%s %s %s [%d] ERROR: 2: fopen(): failed. In file: /x.php. On line: %d\n\n' % (month, day, clock, 701, index),
                'ERROR', None, False)
    if kind == 2:
        return ("%s,%03d [%d] pmvm \x1b[1;31m ERROR Type: 'value' Object: 'ip' Value: '%d'\x1b[0m\n"
                % (when.strftime('%Y-%m-%d %H:%M:%S'), index % 1000, 702, index), 'ERROR', 'value', False)
    if kind == 3:
        return ('%s %s %s host php-fpm[9]: PHP ERROR: out of memory %d\n' % (month, day, clock, index), None, None, True)
    if kind == 4:
        return ("%s %s %s [%d] pmx INFO sent Content-Type: 'json' and got ERROR %d\n" % (month, day, clock, 703, index),
                'INFO', None, False)
    return ('%s %s %s [%d] ERROR ok %d\n' % (month, day, clock, 704, index), None, None, False)


def test_every_writer_in_one_log_counts_the_same_however_it_is_read(tmp_path, small_window):
    rng = random.Random(11)
    path = tmp_path / 'pmmixed.log'
    lines, start = [], END - timedelta(hours=5)
    for index in range(3000):
        lines.append(WriterLine(*writer_line(rng, start + timedelta(seconds=5 * index), index)))
    path.write_bytes(''.join(line.text for line in lines).encode())
    epoch = time.mktime((start + timedelta(seconds=5 * 3000)).timetuple())
    os.utime(path, (epoch, epoch))
    reference = scan([str(path)], levels=['ERROR', 'INFO'], max_matches=5000, workers=1, zones={'pm*': 'local'})
    assert reference['counts']['by_level'] == {
        'ERROR': sum(1 for line in lines if line.level == 'ERROR'),
        'INFO': sum(1 for line in lines if line.level == 'INFO')}
    assert reference['counts']['by_error_type'] == {'value': sum(1 for line in lines if line.typed)}
    assert reference['unparsed_headers'] == sum(1 for line in lines if line.unparsed)
    assert all(not m['message'].endswith('\n') and '\n\n' not in m['message'] for m in reference['matches'])
    for options in (dict(chunk_bytes=4096), dict(use_libc=False), dict(workers=2, parallel_min_bytes=0)):
        assert scan([str(path)], levels=['ERROR', 'INFO'], max_matches=5000, zones={'pm*': 'local'}, **options) \
            == reference, options
    # In a window, only the unknown lines inside it are counted.
    since = start + timedelta(seconds=5 * 2000)
    windowed = scan([str(path)], since=since, zones={'pm*': 'local'})
    assert windowed['unparsed_headers'] == sum(1 for line in lines[2000:] if line.unparsed)


def test_an_archive_takes_the_zone_of_its_live_log(tmp_path, host_zone):
    host_zone('XXX-3')
    line = b'Mar 6 15:33:01 [4] pmx ERROR late\n'
    live, archive = tmp_path / 'pmx.log', tmp_path / 'pmx.log.1.gz'
    live.write_bytes(line)
    archive.write_bytes(gzip.compress(line))
    written = time.mktime(datetime(2026, 3, 6, 18, 33, 2).timetuple())
    os.utime(live, (written, written))
    result = scan([LogSource('pmx', str(archive)), LogSource('pmx', str(live))])
    assert result['zones'] == {'pmx': 'utc'}
    assert [m['time'] for m in result['matches']] == ['2026-03-06T15:33:01+00:00'] * 2
    with pytest.raises(ValueError, match='zone of pmx'):
        scan([str(live)], zones={'pmx': 'gmt'})
