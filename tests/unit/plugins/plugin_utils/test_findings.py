# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_findings, unreachable_finding

HEALTHY = {
    'mgr_root': '/usr/local/mgr5',
    'os': {'id': 'almalinux', 'version': '9.4', 'pretty_name': 'AlmaLinux 9.4', 'supported': True},
    'clock': {'utc': '2026-11-23T14:00:00Z', 'skew_seconds': 1, 'ntp_synchronized': None},
    'disk': [{'mount': '/', 'fs_type': 'ext4', 'used_pct': 40.0, 'inodes_used_pct': 10.0},
             {'mount': '/usr/local/mgr5/var', 'fs_type': 'tmpfs', 'used_pct': 2.0, 'inodes_used_pct': 1.0}],
    'memory': {'total_bytes': 8 * 2 ** 30, 'available_bytes': 6 * 2 ** 30},
    'kernel_errors': {'available': True, 'count': 0, 'lines': []},
    'journal_errors': {'available': False, 'reason': 'no journal'},
    'platform': {'installed': True, 'answers': True, 'maintenance': False, 'processes': {'core': True}},
    'cron': {'checkevent': {'present': True, 'form': 'plain'}},
    'debug': [{'log': '*', 'module': '*', 'level': 6}],
    'license': {'id': 12, 'linked': True, 'expires': '2027-11-01', 'days_left': 340, 'trial_used': False},
    'log_errors': {'since': '2026-11-22T14:00:00', 'by_error_type': {}},
    'early_stops': {'items': []},
    'database': {'stuck_payments': [], 'itemevent_backlog': {'count': 0, 'oldest_age_seconds': None},
                 'promised_payments': [], 'credit_limits': []},
}


def with_change(path, value):
    facts = copy.deepcopy(HEALTHY)
    target = facts
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return facts


def ids(findings):
    return {(item['id'], item['severity']) for item in findings}


def test_a_healthy_host_has_no_finding():
    assert host_findings(HEALTHY) == []


@pytest.mark.parametrize('path, value, expected', [
    (('os', 'supported'), False, {('os_unsupported', 'warning')}),
    (('clock', 'skew_seconds'), 45, {('clock_skew', 'warning')}),
    (('clock', 'skew_seconds'), -3600, {('clock_skew', 'critical')}),
    (('clock', 'ntp_synchronized'), False, {('ntp_unsynced', 'warning')}),
    (('memory', 'total_bytes'), 2 ** 30, {('memory_low', 'warning')}),
    (('kernel_errors', 'count'), 3, {('kernel_errors', 'warning')}),
    (('platform', 'answers'), False, {('platform_down', 'critical')}),
    (('platform', 'maintenance'), True, {('maintenance_mode', 'warning')}),
    (('cron', 'checkevent'), {'present': False}, {('checkevent_missing', 'warning')}),
    (('license', 'linked'), False, {('license_unlinked', 'critical')}),
    (('license', 'days_left'), 10, {('license_expiring', 'warning')}),
    (('license', 'days_left'), -2, {('license_expiring', 'critical')}),
    (('debug',), [{'log': 'billmgr', 'module': '*', 'level': 9}], {('debug_left_on', 'warning')}),
    (('database', 'stuck_payments'), [{'id': 1}], {('payments_stuck', 'warning')}),
    (('database', 'itemevent_backlog'), {'count': 4, 'oldest_age_seconds': 7200}, {('itemevent_backlog', 'warning')}),
    (('database',), {'error': 'Can\'t connect'}, {('database_unreachable', 'critical')}),
])
def test_each_fault_gives_exactly_its_finding(path, value, expected):
    assert ids(host_findings(with_change(path, value))) == expected


def test_a_hung_platform_is_down_even_though_its_section_has_an_error():
    facts = with_change(('platform',), {'installed': True, 'answers': False, 'maintenance': False,
                                        'answer_error': {'type': 'timeout'},
                                        'error': 'mgrctl -m billmgr whoami did not answer within 5 seconds'})
    assert ids(host_findings(facts)) == {('platform_down', 'critical'), ('sweep_incomplete', 'warning')}


def test_disk_and_inodes_per_mount_with_severity_by_threshold():
    facts = with_change(('disk',), [
        {'mount': '/', 'used_pct': 90.0, 'inodes_used_pct': 10.0},
        {'mount': '/usr/local/mgr5/var', 'used_pct': 2.0, 'inodes_used_pct': 98.0}])
    found = host_findings(facts)
    assert {(f['id'], f['key'], f['severity']) for f in found} == {
        ('disk_low', '/', 'warning'), ('inodes_low', '/usr/local/mgr5/var', 'critical')}


def test_thresholds_move_the_line():
    facts = with_change(('disk',), [{'mount': '/', 'used_pct': 80.0, 'inodes_used_pct': 1.0}])
    assert host_findings(facts) == []
    assert ids(host_findings(facts, {'disk_used_warning_pct': 75})) == {('disk_low', 'warning')}


def test_unknown_threshold_is_refused_by_name():
    with pytest.raises(ValueError, match='disk_full_pct'):
        host_findings(HEALTHY, {'disk_full_pct': 1})


def test_log_errors_one_finding_per_error_type_with_a_sample_thread():
    facts = with_change(('log_errors', 'by_error_type'), {
        'missed': {'count': 25, 'thread_key': '8821:17', 'context': ['a', 'b'], 'log': 'billmgr'},
        'value': {'count': 2, 'thread_key': '8821:3'}})
    found = {f['key']: f for f in host_findings(facts)}
    assert found['missed']['severity'] == 'warning' and found['missed']['evidence']['thread'] == '8821:17'
    assert found['value']['severity'] == 'info'


def test_early_stops_keep_their_reason_and_amounts():
    stop = {'item': 310598, 'reason': 'not_enough_money', 'amount': '12.50', 'have': '3.00',
            'currency': 'RUB', 'deficit': '9.50', 'limit': '0'}
    found = host_findings(with_change(('early_stops', 'items'), [stop, {'item': 7, 'reason': 'stat_addon_over_limit'}]))
    assert [(f['key'], f['evidence']['reason']) for f in found] == [
        ('310598', 'not_enough_money'), ('7', 'stat_addon_over_limit')]
    assert 'credit limit' in found[0]['fix'] and 'maximum' in found[1]['fix']


def test_a_failed_section_is_named_and_the_rest_still_judged():
    facts = with_change(('platform',), {'error': 'mgrctl did not answer within 20 seconds'})
    facts['license']['linked'] = False
    assert ids(host_findings(facts)) == {('sweep_incomplete', 'warning'), ('license_unlinked', 'critical')}


def test_most_severe_first():
    facts = with_change(('log_errors', 'by_error_type'), {'value': {'count': 2, 'thread_key': '8821:3'}})
    facts['platform']['answers'] = False
    facts['os']['supported'] = False
    assert [f['severity'] for f in host_findings(facts)] == ['critical', 'warning', 'info']


def test_unreachable_finding_carries_the_message():
    item = unreachable_finding('ssh: connect to host 127.0.0.250 port 22: Connection refused')
    assert item['id'] == 'unreachable' and item['severity'] == 'critical'
    assert 'Connection refused' in item['summary']
