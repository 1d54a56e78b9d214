# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.plugin_utils._fleetview import (
    fleet_errors,
    host_errors,
    version_key,
    version_table,
    with_version_drift,
)
from ansible_collections.billmgr.ops.plugins.plugin_utils._report import build_report


def group(error_type, obj, records, first, last, thread='1:1'):
    return {'type': error_type, 'object': obj, 'records': records, 'first': first, 'last': last, 'log': 'billmgr',
            'thread_key': thread, 'message': 'm', 'thread_lines': ['line of %s' % thread]}


def host(name, groups=(), version='6.112.0', complete=True, reachable=True):
    return {'host': name, 'reachable': reachable, 'summary': {'platform_version': version}, 'findings': [],
            'errors': {'complete': complete, 'dropped': 0, 'groups': list(groups)} if groups is not None else None}


GATEWAY = ('missed', 'function')


def test_the_same_error_on_many_hosts_is_one_row_sorted_by_hosts():
    records = [
        host('bm01', [group(*GATEWAY, 3, '2026-03-06T10:00:00', '2026-03-06T11:00:00', '7:1')]),
        host('bm02', [group(*GATEWAY, 40, '2026-03-06T09:00:00', '2026-03-06T10:30:00', '8:2'),
                      group('stat_addon_over_limit', '', 90, '2026-03-06T09:00:00', '2026-03-06T09:01:00')]),
        host('bm03', [group(*GATEWAY, 1, '2026-03-06T12:00:00', '2026-03-06T12:00:00')], complete=False),
        host('bm04', None),
    ]
    rows = fleet_errors(records)
    assert [(r['type'], r['object'], r['host_count']) for r in rows] == [
        ('missed', 'function', 3), ('stat_addon_over_limit', '', 1)]
    gateway = rows[0]
    assert gateway['records'] == 44 and gateway['complete'] is False
    assert (gateway['first'], gateway['last']) == ('2026-03-06T09:00:00', '2026-03-06T12:00:00')
    assert [h['host'] for h in gateway['hosts']] == ['bm02', 'bm01', 'bm03']
    # The sample is the thread of the earliest record, and says where it comes from.
    assert (gateway['sample']['host'], gateway['sample']['thread_key']) == ('bm02', '8:2')
    assert rows[1]['complete'] is True


def test_objects_tell_errors_of_one_type_apart():
    rows = fleet_errors([host('bm01', [group('missed', 'function', 1, 't', 't'), group('missed', 'currency', 1, 't', 't')])])
    assert sorted(r['object'] for r in rows) == ['currency', 'function']


def test_host_errors_reads_the_sweep_section_and_refuses_a_failed_one():
    facts = {'log_errors': {'by_error': {'complete': True, 'dropped': 0, 'groups': [group(*GATEWAY, 1, 't', 't')]}}}
    assert host_errors(facts)['groups'][0]['type'] == 'missed'
    assert host_errors({'log_errors': {'error': 'unreadable'}}) is None
    assert host_errors({}) is None
    assert host_errors({'log_errors': {'by_error_type': {}}}) is None


def test_versions_compare_by_their_numbers():
    assert version_key('6.112.0') > version_key('6.99.1') > version_key('6.9.10')


def test_version_drift_marks_the_hosts_off_the_most_common_version():
    records = [host('bm01'), host('bm02'), host('bm03', version='6.99.1'), host('bm04', version=None),
               host('bm05', version='6.100.0', reachable=False)]
    table = version_table(records)
    assert table['fleet_version'] == '6.112.0' and table['hosts'] == 3
    assert [(v['version'], v['host_count'], v['fleet']) for v in table['versions']] == [
        ('6.112.0', 2, True), ('6.99.1', 1, False)]
    assert table['drifting'] == [{'host': 'bm03', 'version': '6.99.1', 'fleet_version': '6.112.0', 'direction': 'older'}]
    marked = {r['host']: r for r in with_version_drift(records)}
    drift = [f for f in marked['bm03']['findings'] if f['id'] == 'version_drift']
    assert len(drift) == 1 and drift[0]['severity'] == 'info' and '6.99.1' in drift[0]['summary']
    assert drift[0]['evidence']['fleet_version'] == '6.112.0'
    assert not any(marked[name]['findings'] for name in ('bm01', 'bm02', 'bm04', 'bm05'))
    # Applied twice (a report rebuilt from its records), still one finding.
    again = {r['host']: r for r in with_version_drift(with_version_drift(records))}
    assert len(again['bm03']['findings']) == 1


def test_a_tie_takes_the_newest_as_the_fleet_version_and_one_version_drifts_nobody():
    table = version_table([host('bm01', version='6.110.0'), host('bm02', version='6.112.0')])
    assert table['fleet_version'] == '6.112.0'
    assert [(d['host'], d['direction']) for d in table['drifting']] == [('bm01', 'older')]
    assert version_table([host('bm01'), host('bm02')])['drifting'] == []
    assert version_table([host('bm01', version=None)]) is None


def test_the_report_carries_both_views_with_secrets_masked():
    secret = group(*GATEWAY, 2, 't1', 't2')
    secret['thread_lines'] = ['Query(func=auth&password=hunter2secret)']
    report = build_report([host('bm01', [secret]), host('bm02', version='6.99.1')],
                          generated_at='2026-03-06T12:00:00Z', sweep_id='20260306T120000Z')
    assert report['fleet_errors'][0]['host_count'] == 1
    assert 'hunter2secret' not in str(report['fleet_errors'])
    assert report['versions']['fleet_version'] in ('6.112.0', '6.99.1')
