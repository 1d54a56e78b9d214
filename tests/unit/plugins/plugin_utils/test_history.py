# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep history in the fact cache: records kept, compared with, and assembled into a fleet report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils import _history, _report

STAMP = '%Y-%m-%dT%H:%M:%SZ'
# Relative to the run: no test depends on today's date.
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def at(hours_ago=0):
    return (NOW - timedelta(hours=hours_ago)).strftime(STAMP)


def finding(check_id, severity='warning', key=''):
    return {'id': check_id, 'key': key, 'severity': severity, 'summary': check_id + ' found', 'fix': ''}


def host(name, *findings, reachable=True):
    return {'host': name, 'reachable': reachable, 'swept_at': at(), 'summary': {}, 'findings': list(findings)}


def sweep(hosts, previous, when):
    return _report.build_report(hosts, previous=previous, generated_at=when,
                                sweep_id=when.replace('-', '').replace(':', ''), fail_on='critical')


def kept(report):
    """What the health role leaves in the fact cache after REPORT, as the next run reads it back."""
    return list(_history.records_to_cache(report).values())


def marks(report):
    return {r['host']: (sorted((f['id'], f['since_last']) for f in r['findings']),
                        sorted(f['id'] for f in r['resolved'])) for r in report['hosts']}


def test_a_sweep_compares_each_host_with_its_own_cached_record():
    first = sweep([host('a', finding('disk_low')), host('b', finding('maintenance_mode'))], None, at(2))
    second = sweep([host('a', finding('disk_low'), finding('clock_skew')), host('b')],
                   _history.previous_report(kept(first)), at(0))
    assert marks(second) == {'a': ([('clock_skew', 'new'), ('disk_low', 'ongoing')], []),
                             'b': ([], ['maintenance_mode'])}
    ongoing = next(f for f in second['hosts'][0]['findings'] if f['id'] == 'disk_low')
    assert ongoing['first_seen'] == at(2)


def test_hosts_swept_by_different_slices_keep_their_own_times():
    early = sweep([host('a', finding('disk_low'))], None, at(5))
    late = sweep([host('b', finding('disk_low'))], None, at(1))
    previous = _history.previous_report(kept(early) + kept(late))
    assert previous['sweep']['generated_at'] == at(1)
    now = sweep([host('a'), host('b', finding('disk_low'))], previous, at(0))
    by_host = {r['host']: r for r in now['hosts']}
    assert by_host['a']['resolved'][0]['last_seen'] == at(5)
    assert by_host['b']['findings'][0]['first_seen'] == at(1)


def test_no_record_no_previous_report():
    assert _history.previous_report([]) is None


def test_the_fleet_report_of_fresh_records_keeps_every_mark():
    first = sweep([host('a', finding('disk_low')), host('b', finding('maintenance_mode'))], None, at(2))
    second = sweep([host('a', finding('disk_low'), finding('clock_skew', 'critical')), host('b')],
                   _history.previous_report(kept(first)), at(0))
    records, missing = _history.fleet_records(kept(second), ['a', 'b'], at(0), 3600)
    assert missing == []
    fleet = _report.build_report(records, generated_at=at(0), sweep_id='fleet', marked=True)
    assert marks(fleet) == marks(second)
    assert fleet['summary'] == second['summary'] and fleet['decision'] == second['decision']


@pytest.mark.parametrize('hours_ago, fresh', [(0, True), (1.9, True), (2.1, False), (48, False)])
def test_a_record_older_than_the_bound_is_not_swept(hours_ago, fresh):
    report = sweep([host('a', finding('disk_low'))], None, at(hours_ago))
    records, missing = _history.fleet_records(kept(report), ['a'], at(0), 7200)
    assert missing == ([] if fresh else ['a'])
    ids = [f['id'] for f in records[0]['findings']]
    assert ids == (['disk_low'] if fresh else ['not_swept'])


def test_a_host_without_record_is_listed_with_a_critical_finding_never_dropped():
    report = sweep([host('a', finding('disk_low'))], None, at(0))
    stale = sweep([host('c', finding('license_unlinked', 'critical'))], None, at(30))
    records, missing = _history.fleet_records(kept(report) + kept(stale), ['a', 'b', 'c'], at(0), 7200)
    assert missing == ['b', 'c']
    fleet = _report.build_report(records, generated_at=at(0), sweep_id='fleet', marked=True,
                                 notes=['2 host(s) not swept'])
    by_host = {r['host']: r for r in fleet['hosts']}
    (never,) = by_host['b']['findings']
    assert (never['id'], never['severity'], never['evidence']['last_swept_at']) == ('not_swept', 'critical', None)
    (old,) = by_host['c']['findings']
    assert old['evidence'] == {'last_swept_at': at(30), 'max_age_seconds': 7200, 'findings_then': ['license_unlinked']}
    assert fleet['summary']['hosts']['unreachable'] == 2 and fleet['decision']['failed']
    assert fleet['notes'] == ['2 host(s) not swept']


def test_marked_records_without_marks_count_as_new():
    fleet = _report.build_report([host('a', finding('disk_low'))], generated_at=at(0), sweep_id='x', marked=True)
    assert fleet['hosts'][0]['findings'][0]['since_last'] == 'new'


class _HostVars(dict):
    """hostvars as a filter sees it: a mapping of host to variables."""


def test_cached_records_are_read_from_ansible_facts_or_the_variables():
    record = {'host': 'a', 'findings': []}
    hostvars = _HostVars(
        a={'ansible_facts': {_history.CACHE_FACT: record}},
        b={_history.CACHE_FACT: dict(record, host='b')},
        c={'ansible_facts': {}},
        d={_history.CACHE_FACT: dict(record, host='someone else')},
    )
    assert [r['host'] for r in _history.cached_records(hostvars, ['a', 'b', 'c', 'd', 'missing'])] == ['a', 'b']


def test_the_health_role_caches_under_the_name_the_history_reads():
    from pathlib import Path
    tasks = (Path(__file__).resolve().parents[4] / 'roles' / 'health' / 'tasks' / 'report.yml').read_text()
    assert '    %s: ' % _history.CACHE_FACT in tasks and 'cacheable: true' in tasks


def test_without_cached_records_the_newest_report_in_the_directory_is_the_previous_sweep(tmp_path):
    assert _history.previous_sweep([], str(tmp_path / 'none')) == ''
    older, newer = at(3), at(1)
    for when in (older, newer):
        report = sweep([host('bm01', finding('disk_used'))], None, when)
        directory = tmp_path / report['sweep']['id']
        directory.mkdir()
        (directory / 'report.json').write_text(json.dumps(report))
    previous = _history.previous_sweep([], str(tmp_path))
    assert isinstance(previous, str) and _history.previous_sweep_time(previous) == newer
    cached = kept(sweep([host('bm01')], None, at(2)))
    assert _history.previous_sweep_time(_history.previous_sweep(cached, str(tmp_path))) == at(2)


@pytest.mark.parametrize('damaged', ['', '{"sweep": ', '[]', '{"hosts": []}'])
def test_a_damaged_previous_report_has_no_time(damaged):
    assert _history.previous_sweep_time(damaged) == ''
