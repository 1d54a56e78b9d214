# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_context, host_findings, unreachable_finding

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
    'cron': {'checkevent': {'present': True, 'form': 'plain', 'line': '*/5 * * * * mgrctl',
                            'schedule': {'text': '*/5 * * * *', 'interval_minutes': 5}}},
    'debug': [{'log': '*', 'module': '*', 'level': 6}],
    'license': {'id': 12, 'linked': True, 'expires': '2027-11-01', 'days_left': 340, 'trial_used': False},
    'log_errors': {'since': '2026-11-22T14:00:00', 'by_error_type': {}},
    'early_stops': {'items': []},
    'database': {'payments_in_pay': [], 'itemevent_backlog': {'count': 0, 'oldest_age_seconds': None},
                 'promised_payments': [], 'credit_limits': [],
                 'reselling_modules': [{'id': 5, 'module': 'pmbillmgr', 'active': 'on', 'items': 8}],
                 'unsupported': {}, 'left_out': {}, 'query_errors': {}, 'disk': []},
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
    (('license', 'expires'), None, {('license_expiry_unknown', 'info')}),
    (('cron', 'checkevent', 'schedule'), {'text': '*/15 * * * *', 'interval_minutes': 15},
     {('checkevent_slow', 'warning')}),
    (('cron', 'checkevent', 'schedule'), {'text': '*/7 * * * *', 'interval_minutes': None},
     {('checkevent_slow', 'warning')}),
    (('debug',), [{'log': 'billmgr', 'module': '*', 'level': 9}], {('debug_left_on', 'warning')}),
    (('database', 'payments_in_pay'), [{'paymethod': 2, 'count': 3, 'over_hours': 1, 'oldest_age_seconds': 9000}],
     {('payments_stuck', 'warning')}),
    (('database', 'payments_in_pay'), [{'paymethod': 2, 'count': 3, 'over_hours': None, 'oldest_age_seconds': None}],
     {('payments_stuck', 'info')}),
    (('database', 'payments_in_pay'), None, set()),
    (('database', 'itemevent_backlog'), {'count': 4, 'oldest_age_seconds': None}, {('itemevent_backlog', 'info')}),
    (('database', 'unsupported'), {'promised_payments': ['promisepayment']}, {('query_unsupported', 'info')}),
    (('database', 'query_errors'), {'credit_limits': 'ERROR 1064'}, {('query_failed', 'warning')}),
    (('database', 'disk'), [{'mount': '/var/lib/mysql', 'used_pct': 91.0, 'inodes_used_pct': 3.0,
                             'holds': ['datadir']}], {('db_disk_low', 'critical')}),
    (('database', 'itemevent_backlog'), {'count': 4, 'oldest_age_seconds': 7200}, {('itemevent_backlog', 'warning')}),
    (('database',), {'error': 'Can\'t connect', 'error_kind': 'unreachable'}, {('database_unreachable', 'critical')}),
    (('database',), {'error': 'Access denied ... (using password: YES)', 'error_kind': 'refused'},
     {('database_unreachable', 'critical')}),
    (('database',), {'error': "Access denied ... to database 'billmgr'", 'error_kind': 'denied'},
     {('database_access_denied', 'critical')}),
    (('database',), {'error': "Unknown database 'billmgr'", 'error_kind': 'no_database'},
     {('database_missing', 'critical')}),
    (('database',), {'error': 'no database client (mariadb or mysql) on the host'},
     {('sweep_incomplete', 'warning')}),
])
def test_each_fault_gives_exactly_its_finding(path, value, expected):
    assert ids(host_findings(with_change(path, value))) == expected


def test_checkevent_is_required_only_where_the_host_resells():
    missing = {'present': False, 'commented_out': None}
    standalone = with_change(('cron', 'checkevent'), missing)
    standalone['database']['reselling_modules'] = []
    assert host_findings(standalone) == []
    switched_off = with_change(('cron', 'checkevent'), missing)
    switched_off['database']['reselling_modules'] = [{'id': 5, 'module': 'pmbillmgr', 'active': 'off', 'items': 3}]
    assert host_findings(switched_off) == []
    # Without an active column, a module serving items that are not deleted resells.
    no_active = with_change(('cron', 'checkevent'), missing)
    no_active['database']['reselling_modules'] = [{'id': 5, 'module': 'pmbillmgr', 'items': 2}]
    (found,) = host_findings(no_active)
    assert found['id'] == 'checkevent_missing'
    assert '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1' in found['fix']
    # Unknown (the look-up could not run): not required, and the unsupported look-up says why.
    unknown = with_change(('cron', 'checkevent'), missing)
    unknown['database']['reselling_modules'] = None
    unknown['database']['unsupported'] = {'reselling_modules': ['processingmodule']}
    assert ids(host_findings(unknown)) == {('query_unsupported', 'info')}


def test_slow_checkevent_gives_the_runbook_line_as_fix():
    facts = with_change(('cron', 'checkevent', 'schedule'), {'text': '0 * * * *', 'interval_minutes': 60})
    (found,) = host_findings(facts)
    assert 'every 60 minutes' in found['summary']
    assert found['evidence']['runbook_line'] == '*/5 * * * *\t/usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1'
    assert '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent' in found['fix']


def test_unlinked_even_when_licctl_failed_and_unknown_expiry_keeps_the_raw_text():
    facts = with_change(('license',), {'id': 0, 'linked': False, 'expires': None, 'days_left': None,
                                       'exit_status': 1, 'exit_message': 'licctl info failed (exit status 1): ID: 0'})
    (found,) = host_findings(facts)
    assert found['id'] == 'license_unlinked' and 'exit status 1' in found['evidence']['licctl_error']
    odd = with_change(('license',), {'id': 12, 'linked': True, 'expires': None, 'expires_text': 'soon-ish',
                                     'days_left': None, 'lines': ['JustInstalled billing.example.com']})
    (found,) = host_findings(odd)
    assert found['id'] == 'license_expiry_unknown' and "'soon-ish'" in found['summary']
    assert found['evidence']['expires_text'] == 'soon-ish'
    assert found['evidence']['lines'] == ['JustInstalled billing.example.com']


def test_trial_finding_says_a_trial_can_no_longer_be_activated():
    facts = with_change(('license', 'activated_before'), True)
    facts['license']['got_lines'] = ['Jan  1 00:00:01 [1:1] licctl INFO Got license ID 7']
    assert host_findings(facts) == []
    (found,) = host_context(facts)
    assert 'can no longer be activated here' in found['summary']
    assert 'trial was used' not in found['summary'] and 'was already activated' not in found['summary']
    assert found['evidence']['got_lines'] == facts['license']['got_lines']


def test_payments_per_method_name_the_module_count_and_oldest_age():
    facts = with_change(('database', 'payments_in_pay'), [
        {'paymethod': 2, 'paymethod_name': 'PayMaster', 'paymethod_module': 'pmpaymaster', 'count': 3,
         'over_hours': 2, 'oldest_age_seconds': 26000},
        {'paymethod': 1, 'paymethod_name': 'Bank transfer', 'paymethod_module': 'pmbank', 'count': 1,
         'over_hours': 0, 'oldest_age_seconds': 600}])
    (found,) = host_findings(facts)
    assert found['summary'].startswith('2 payment(s) in status 2 (in pay) for over 2 h')
    assert 'PayMaster: 3 (oldest 7 h)' in found['summary'] and 'Bank transfer: 1 (oldest 10 min)' in found['summary']
    assert [m['paymethod_module'] for m in found['evidence']['paymethods']] == ['pmpaymaster', 'pmbank']
    assert found['evidence']['count'] == 4 and 'abandoned checkouts' in found['fix']
    young = with_change(('database', 'payments_in_pay'), [{'paymethod': 1, 'count': 1, 'over_hours': 0,
                                                           'oldest_age_seconds': 600}])
    assert host_findings(young) == []


def test_an_unsupported_query_names_itself_and_what_is_missing_and_the_rest_reports():
    unsupported = {'promised_payments': ['promisepayment'], 'credit_limits': ['subaccount.creditlimit']}
    facts = with_change(('database', 'unsupported'), unsupported)
    facts['database']['promised_payments'] = None
    facts['database']['credit_limits'] = None
    facts['database']['itemevent_backlog'] = {'count': 3, 'oldest_age_seconds': 7200}
    found = host_findings(facts)
    assert {(f['id'], f['key']) for f in found} == {
        ('query_unsupported', 'promised_payments'), ('query_unsupported', 'credit_limits'), ('itemevent_backlog', '')}
    by_key = {f['key']: f for f in found}
    assert by_key['credit_limits']['evidence']['missing'] == ['subaccount.creditlimit']
    assert 'subaccount.creditlimit' in by_key['credit_limits']['summary']


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


def test_lines_of_no_known_log_format_are_an_info_finding():
    facts = with_change(('log_errors', 'unparsed_headers'), 3)
    assert ids(host_findings(facts)) == {('log_format_unknown', 'info')}
    assert host_findings(with_change(('log_errors', 'unparsed_headers'), 0)) == []


def test_early_stops_keep_their_reason_and_amounts():
    stop = {'item': 310598, 'reason': 'not_enough_money', 'amount': '12.50', 'have': '3.00',
            'currency': 'RUB', 'deficit': '9.50', 'limit': '0'}
    found = host_findings(with_change(('early_stops', 'items'), [stop, {'item': 7, 'reason': 'stat_addon_over_limit'}]))
    assert [(f['key'], f['evidence']['reason']) for f in found] == [
        ('310598', 'not_enough_money'), ('7', 'stat_addon_over_limit')]
    assert 'credit limit' in found[0]['fix'] and 'maximum' in found[1]['fix']
    assert '12.50 RUB needed, 3.00 on the balance' in found[0]['summary']


def test_a_failure_not_stopped_is_its_own_finding_and_hidden_amounts_are_not_zeros():
    failure = {'item': 310598, 'reason': 'not_enough_money', 'stopped': False, 'amount': None, 'have': None,
               'currency': None, 'deficit': None, 'limit': None, 'amounts_logged': False,
               'amounts_note': 'raise it with playbooks/debug.yml'}
    found = host_findings(with_change(('early_stops', 'items'), [failure, dict(failure)]))
    assert [(f['id'], f['key'], f['evidence']['failures']) for f in found] == [('overage_unpaid', '310598', 2)]
    assert 'None' not in found[0]['summary'] and '0.00' not in found[0]['summary']
    assert 'amounts not logged' in found[0]['summary'] and 'debug.yml' in found[0]['fix']


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


def test_a_failure_whose_item_was_not_logged_is_still_reported():
    failure = {'item': None, 'reason': 'stat_addon_over_limit', 'stopped': False}
    [found] = host_findings(with_change(('early_stops', 'items'), [failure]))
    assert found['id'] == 'overage_unpaid' and found['key'] == '' and 'item not logged' in found['summary']


def test_a_section_in_an_unknown_shape_costs_its_check_alone():
    facts = with_change(('log_errors', 'by_error_type'), {'missed': 3})
    facts['disk'][0]['used_pct'] = 97.0
    found = host_findings(facts)
    assert 'disk_low' in [item['id'] for item in found]
    [unjudged] = [item for item in found if item['key'] == 'judging']
    assert unjudged['id'] == 'sweep_incomplete' and unjudged['severity'] == 'warning'
    assert list(unjudged['evidence']) == ['check_log_errors'] and 'AttributeError' in unjudged['evidence']['check_log_errors']
