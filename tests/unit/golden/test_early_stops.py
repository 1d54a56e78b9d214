# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook 003's own billmaintain.log samples, read as billmgr_facts' early_stops reads them.

The golden files hold the samples byte for byte as the runbook prints them, indented by its page;
a log line starts at the first column, so the tests take that indentation off (``dedent``) before
writing the log.  Each copy gets a pinned modification time, so the year the parser infers does not
depend on the day the suite runs.
"""

from __future__ import annotations

import gzip
import os
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.earlystop import (
    SCAN_LEVELS,
    SCAN_PATTERN,
    early_stops,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import FactsRequest
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import scan
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.sweepfacts import early_stops_section

GOLDEN = Path(__file__).resolve().parents[2] / 'golden' / 'runbook003'


def runbook_sample(name):
    """A golden sample as the log holds it: the runbook page's indentation taken off."""
    return textwrap.dedent((GOLDEN / name).read_text(encoding='utf-8'))


MONEY = runbook_sample('billmaintain_not_enough_money.log').encode()
ADDON = runbook_sample('billmaintain_stat_addon_over_limit.log').encode()
GREP = runbook_sample('billmaintain_grep_service.txt')
MONEY_WRITTEN = datetime(2025, 5, 5, 0, 30)
ADDON_WRITTEN = datetime(2020, 3, 3, 0, 30)
SUSPEND_310598 = b'May  5 00:19:18 [8821:1] sbin_utils INFO QUERY: func=service.autosuspend&item=310598&stat=on\n'
RUNBOOK_AMOUNTS = {'amount': '0.1048', 'have': '0.00', 'currency': 'EUR', 'deficit': '0.1048', 'limit': '0.00'}


def write(path, data, written):
    path.write_bytes(data)
    stamp = time.mktime(written.timetuple())
    os.utime(path, (stamp, stamp))
    return path


def read_stops(tmp_path, data, written=MONEY_WRITTEN, items=None):
    log = write(tmp_path / 'billmaintain.log', data, written)
    found = scan([str(log)], levels=SCAN_LEVELS, pattern=SCAN_PATTERN, context='none', max_matches=1000)
    return early_stops(found['matches'], items)


def without_levels(data, hidden):
    """DATA as a server whose debug.conf level leaves out HIDDEN levels writes it: the records of
    those levels are gone with their continuation lines."""
    kept, dropping = [], False
    for line in data.split(b'\n'):
        words = line.split(b' ')
        header = len(words) > 5 and words[0] in (b'May', b'Mar') and line[:1] != b' '
        if header:
            level = [word for word in words if word][5]
            dropping = level.decode() in hidden
        if not dropping:
            kept.append(line)
    return b'\n'.join(kept)


def local(stamp):
    """The wall-clock part of a reported time (the offset is the test machine's)."""
    return stamp[:19]


def amounts(stop):
    return dict((key, stop[key]) for key in RUNBOOK_AMOUNTS)


def test_runbook_not_enough_money_is_reported_with_its_amounts_without_a_suspend_line(tmp_path):
    stops = read_stops(tmp_path, MONEY)
    assert len(stops) == 1
    stop = stops[0]
    assert (stop['item'], stop['reason'], stop['thread']) == (310598, 'not_enough_money', '8821:1')
    assert local(stop['time']) == '2025-05-05T00:19:17'
    assert amounts(stop) == RUNBOOK_AMOUNTS
    assert stop['amounts_logged'] is True and 'amounts_note' not in stop
    assert (stop['stopped'], stop['stopped_at']) == (False, None)


def test_the_trailing_error_record_never_wipes_the_amounts_and_the_suspend_line_stops_it(tmp_path):
    stops = read_stops(tmp_path, MONEY + SUSPEND_310598)
    assert len(stops) == 1
    assert amounts(stops[0]) == RUNBOOK_AMOUNTS
    assert (stops[0]['stopped'], local(stops[0]['stopped_at'])) == (True, '2025-05-05T00:19:18')


def test_records_in_the_other_order_keep_the_amounts_too(tmp_path):
    lines = MONEY.split(b'\n')
    error = [line for line in lines if b'libmgr ERROR' in line]
    reordered = b'\n'.join([lines[0]] + error + [line for line in lines[1:] if line not in error])
    assert amounts(read_stops(tmp_path, reordered)[0]) == RUNBOOK_AMOUNTS


def test_debug_level_hidden_gives_null_amounts_and_says_how_to_raise_it(tmp_path):
    hidden = without_levels(MONEY, {'DEBUG'})
    assert b'Result xml' not in hidden and b"Type: 'not_enough_money'" in hidden
    stop = read_stops(tmp_path, hidden + SUSPEND_310598)[0]
    assert (stop['item'], stop['reason'], stop['stopped']) == (310598, 'not_enough_money', True)
    assert set(amounts(stop).values()) == {None}
    assert stop['amounts_logged'] is False
    assert 'debug.yml' in stop['amounts_note'] and 'debug_logs=billmaintain' in stop['amounts_note']


def test_extinfo_hidden_too_the_suspend_line_names_the_item(tmp_path):
    hidden = without_levels(MONEY, {'DEBUG', 'EXTINFO'})
    assert read_stops(tmp_path, hidden)[0]['item'] is None
    stop = read_stops(tmp_path, hidden + SUSPEND_310598)[0]
    assert (stop['item'], stop['stopped']) == (310598, True)


def test_runbook_addon_over_limit_is_stopped_at_the_suspend_line(tmp_path):
    stops = read_stops(tmp_path, ADDON, written=ADDON_WRITTEN)
    assert [(s['item'], s['reason'], s['stopped']) for s in stops] == [(323911, 'stat_addon_over_limit', True)]
    assert local(stops[0]['time']) == '2020-03-03T00:24:36'
    assert local(stops[0]['stopped_at']) == '2020-03-03T00:24:37'
    assert 'amount' not in stops[0]


def test_statdaily_and_billdaily_each_start_an_item_in_a_thread(tmp_path):
    # The add-on case of the runbook right after the money case in the same thread: the addon
    # error belongs to the statdaily item, not to the billdaily item before it.
    data = MONEY + ADDON.replace(b'Mar 3 00:24:3', b'May  5 00:19:2').replace(b'[9686:1]', b'[8821:1]')
    stops = read_stops(tmp_path, data)
    assert [(s['item'], s['reason'], s['stopped']) for s in stops] == [
        (310598, 'not_enough_money', False), (323911, 'stat_addon_over_limit', True)]
    assert amounts(stops[0]) == RUNBOOK_AMOUNTS


def test_only_the_items_asked_for(tmp_path):
    assert read_stops(tmp_path, MONEY, items=[7]) == []
    assert [s['item'] for s in read_stops(tmp_path, MONEY, items=['310598'])] == [310598]


def test_the_runbook_grep_reads_the_log_the_section_reads():
    command = GREP.split('|')[0].strip()
    assert command == MgrLayout('/usr/local/mgr5').log('billmaintain')
    assert '<service_id>' in GREP


def test_the_section_reads_rotated_archives_inside_the_window(tmp_path):
    layout = MgrLayout(str(tmp_path))
    os.makedirs(layout.archive_dir)
    # The failure was logged before the rotation, the suspend line after it.
    archive = tmp_path / 'var' / 'logs' / 'billmaintain.log.2025-05-05-00-19.1.gz'
    with gzip.GzipFile(str(archive), 'wb', mtime=time.mktime(datetime(2025, 5, 5, 0, 19, 17).timetuple())) as out:
        out.write(MONEY)
    stamp = time.mktime(datetime(2025, 5, 5, 0, 19, 17).timetuple())
    os.utime(str(archive), (stamp, stamp))
    # An archive written before the window is not read.
    old = tmp_path / 'var' / 'logs' / 'billmaintain.log.2025-04-01-00-19.1'
    write(old, ADDON.replace(b'Mar 3', b'Apr  1'), datetime(2025, 4, 1, 0, 30))
    write(tmp_path / 'var' / 'billmaintain.log', SUSPEND_310598, MONEY_WRITTEN)
    request = FactsRequest(layout, runner=None, since_local=datetime(2025, 5, 4, 0, 0))
    section = early_stops_section(request)
    assert [(s['item'], s['reason'], s['stopped']) for s in section['items']] == [(310598, 'not_enough_money', True)]
    assert amounts(section['items'][0]) == RUNBOOK_AMOUNTS
    assert str(archive) in section['files'] and section['missing'] == []


def test_a_corrupt_archive_is_skipped_and_named_the_rest_still_read(tmp_path):
    layout = MgrLayout(str(tmp_path))
    os.makedirs(layout.archive_dir)
    broken = tmp_path / 'var' / 'logs' / 'billmaintain.log.2025-05-05-00-19.1.gz'
    write(broken, gzip.compress(MONEY)[:40], datetime(2025, 5, 5, 0, 19, 17))
    write(tmp_path / 'var' / 'billmaintain.log', MONEY + SUSPEND_310598, MONEY_WRITTEN)
    section = early_stops_section(FactsRequest(layout, runner=None, since_local=datetime(2025, 5, 4, 0, 0)))
    assert [(s['item'], s['stopped']) for s in section['items']] == [(310598, True)]
    assert list(section['skipped']) == [str(broken)] and str(broken) not in section['files']


@pytest.mark.parametrize('suspend', [b'', SUSPEND_310598])
def test_no_failure_reads_as_zero(tmp_path, suspend):
    for stop in read_stops(tmp_path, without_levels(MONEY, {'DEBUG'}) + suspend):
        assert all(stop[key] is None for key in RUNBOOK_AMOUNTS)


def test_the_lab_writes_what_the_parser_reads_as_the_runbook(tmp_path):
    """The lab's billmaintain.log, read as billmgr_facts reads it, gives the stops the lab planned."""
    from billmgr_lab.loggen import EarlyStop, LogPlan, write_logs

    plan = LogPlan(now=datetime(2025, 5, 5, 12, 0, 0), seed=3, size_bytes=100_000, early_stops=[
        EarlyStop(item=310598, reason='not_enough_money', amount='0.1048', have='0.00', currency='EUR',
                  deficit='0.1048', limit='0.00'),
        EarlyStop(item=323911, reason='stat_addon_over_limit')])
    summary = write_logs(tmp_path / 'var', plan)
    found = scan([str(tmp_path / 'var' / 'billmaintain.log')], levels=SCAN_LEVELS, pattern=SCAN_PATTERN,
                 context='none', max_matches=10000)
    stops = early_stops(found['matches'])
    assert sorted((s['item'], s['reason'], s['stopped']) for s in stops) == [
        (310598, 'not_enough_money', True), (323911, 'stat_addon_over_limit', True)]
    money = next(s for s in stops if s['reason'] == 'not_enough_money')
    assert amounts(money) == RUNBOOK_AMOUNTS
    planned = dict((entry['item'], entry) for entry in summary['early_stops'])
    for stop in stops:
        assert local(stop['time']) == planned[stop['item']]['time'].isoformat()
        assert stop['thread'] == planned[stop['item']]['thread']


def test_the_lab_money_sequence_has_the_runbooks_shape(tmp_path):
    """Record by record (logger, level, continuation lines) the lab's not_enough_money stop is the
    runbook's example, up to its values and the suspend line the lab adds after it."""
    from billmgr_lab.loggen import EarlyStop, LogPlan, write_logs
    from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import iter_records

    def shape(records):
        return [(record.logger, record.level, len(lines), [line == '' for line in lines])
                for record, lines in records]

    runbook = [(record, lines) for record, lines in iter_records(MONEY.decode().splitlines()) if record]
    plan = LogPlan(now=datetime(2025, 5, 5, 12, 0, 0), seed=5, size_bytes=100_000,
                   early_stops=[EarlyStop(item=310598, reason='not_enough_money')])
    summary = write_logs(tmp_path / 'var', plan)
    thread = summary['early_stops'][0]['thread']
    text = (tmp_path / 'var' / 'billmaintain.log').read_text()
    records = [(record, lines) for record, lines in iter_records(text.splitlines())
               if record and record.thread_key == thread]
    start = next(number for number, (record, _lines) in enumerate(records)
                 if record.message == runbook[0][0].message)
    assert shape(records[start:start + len(runbook)]) == shape(runbook)
    assert [record.message for record, _lines in records[start:start + 2]] == [
        record.message for record, _lines in runbook[:2]]
