# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No silent green, fixes that work on their host, and context that is not a finding."""

from __future__ import annotations

import copy
import json
import shlex

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_context, host_findings
from ansible_collections.billmgr.ops.plugins.plugin_utils._fixes import (
    checkevent_cron_line, debug_close_command, playbook_command, remediate_command)

from test_findings import HEALTHY, ids

# What billmgr_facts gathers below a root without the platform: the host sections are fine, every
# platform section is empty or failed, and the crontab has no checkevent line.
NO_PLATFORM = dict(copy.deepcopy(HEALTHY), **{
    'mgr_root': '/opt/mgr5',
    'platform': {'installed': False, 'answers': False, 'maintenance': False, 'version': None,
                 'answer_error': {'type': 'not_installed', 'output': '/opt/mgr5/sbin/mgrctl not found or not executable'}},
    'cron': {'checkevent': {'present': False}, 'platform_lines': []},
    'debug': {'error': 'cannot read /opt/mgr5/etc/debug.conf: No such file or directory'},
    'license': {'error': 'licctl not found'},
    'log_errors': {'since': '2026-11-22T14:00:00', 'by_error_type': {}, 'missing': ['billmgr']},
    'early_stops': {'items': [], 'missing': ['billmaintain']},
    'database': {'error': 'no etc/billmgr.conf.d/*.conf under /opt/mgr5'},
})


def test_a_missing_platform_is_critical_and_nothing_is_derived_from_its_absence():
    found = host_findings(NO_PLATFORM, host='bm01')
    assert ids(found) == {('platform_missing', 'critical')}
    assert '/opt/mgr5' in found[0]['summary']
    assert 'billmgr_mgr_root' in found[0]['fix'] and 'bm01' in found[0]['fix']


def test_a_missing_platform_keeps_the_host_checks():
    facts = copy.deepcopy(NO_PLATFORM)
    facts['disk'][0]['used_pct'] = 99.0
    facts['clock'] = {'error': 'timedatectl hung'}
    assert ids(host_findings(facts)) == {('platform_missing', 'critical'), ('disk_low', 'critical'),
                                         ('sweep_incomplete', 'warning')}
    incomplete = [f for f in host_findings(facts) if f['id'] == 'sweep_incomplete'][0]
    assert list(incomplete['evidence']) == ['clock']


def test_no_context_without_a_platform():
    facts = copy.deepcopy(NO_PLATFORM)
    facts['database'] = {'credit_limits': [{'account': 1}]}
    assert host_context(facts) == []


def test_context_is_not_a_finding():
    facts = copy.deepcopy(HEALTHY)
    facts['license']['trial_used'] = True
    facts['database']['promised_payments'] = [{'item': 1}]
    facts['database']['credit_limits'] = [{'account': 1}, {'account': 2}]
    assert host_findings(facts) == []
    context = {item['id']: item for item in host_context(facts)}
    assert set(context) == {'trial_unavailable', 'promised_payments', 'credit_limits'}
    assert context['credit_limits']['evidence']['count'] == 2
    assert all(set(item) == {'id', 'summary', 'evidence'} for item in context.values())


def test_checkevent_fix_uses_the_hosts_root_and_name():
    facts = copy.deepcopy(HEALTHY)
    facts['mgr_root'] = '/opt/billing/mgr5/'
    facts['cron'] = {'checkevent': {'present': False}}
    fix = host_findings(facts, host='bill-7')[0]['fix']
    assert '/opt/billing/mgr5/sbin/mgrctl -m billmgr checkevent' in fix
    assert '/usr/local/mgr5' not in fix
    assert remediate_command('checkevent_missing', 'bill-7') in fix


@pytest.mark.parametrize('entry, playbook, wanted', [
    # A window debug.yml opened: debug.yml closes it.
    ({'log': 'pmbillmgr', 'module': 'db', 'level': 9, 'managed': True, 'expires': '2026-11-23T15:00:00Z'},
     'billmgr.ops.debug', ['debug_logs=pmbillmgr', 'debug_module=db', 'debug_state=absent']),
    # A level set by hand: debug.yml would leave it alone, remediate removes it.
    ({'log': 'billmgr', 'module': '*', 'level': 9, 'managed': False, 'expires': None},
     'billmgr.ops.remediate', ['{"billmgr_remediate": ["debug_left_on"]}']),
])
def test_debug_fix_points_at_what_removes_that_line(entry, playbook, wanted):
    facts = copy.deepcopy(HEALTHY)
    facts['debug'] = [entry]
    fix = host_findings(facts, host='bm06')[0]['fix']
    command = fix[fix.index('ansible-playbook'):].split(' (or ')[0]
    argv = shlex.split(command)
    assert argv[:4] == ['ansible-playbook', playbook, '-l', 'bm06']
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == '-e'] == wanted


def test_every_command_in_a_fix_is_one_shell_word_per_argument():
    argv = shlex.split(playbook_command('remediate', "odd host's", [('billmgr_remediate', ['a', 'b'])]))
    assert argv == ['ansible-playbook', 'billmgr.ops.remediate', '-l', "odd host's",
                    '-e', json.dumps({'billmgr_remediate': ['a', 'b']})]
    assert 'debug_module' not in debug_close_command('billmgr', '*', 'h')


def test_checkevent_line_quotes_an_odd_root():
    assert checkevent_cron_line('/opt/my mgr') == \
        "*/5 * * * * '/opt/my mgr/sbin/mgrctl' -m billmgr checkevent >/dev/null 2>&1"


@pytest.mark.parametrize('path, value', [
    (('platform', 'answers'), False),
    (('database', 'payments_in_pay'), [{'paymethod': 1, 'count': 1, 'over_hours': 1, 'oldest_age_seconds': 9000}]),
    (('license', 'linked'), False),
])
def test_fix_texts_use_the_hosts_root(path, value):
    facts = copy.deepcopy(HEALTHY)
    facts['mgr_root'] = '/srv/mgr5'
    target = facts
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    fixes = ' '.join(f['fix'] for f in host_findings(facts, host='h1'))
    assert '/srv/mgr5/sbin/' in fixes and '/usr/local/mgr5' not in fixes and '-l h1' in fixes


def test_report_keeps_context_apart_and_counts_hosts_per_severity():
    from ansible_collections.billmgr.ops.plugins.plugin_utils._report import build_report, problems
    crit = {'id': 'platform_down', 'severity': 'critical', 'summary': 'down'}
    warn = {'id': 'checkevent_missing', 'severity': 'warning', 'summary': 'no line'}
    hosts = [{'host': 'a', 'findings': [crit, warn]},
             {'host': 'b', 'findings': [],
              'context': [{'id': 'credit_limits', 'summary': '2 accounts', 'evidence': {'count': 2}}]}]
    report = build_report(hosts, generated_at='2026-11-23T14:00:00Z', sweep_id='20261123T140000Z')
    summary = report['summary']
    # a's warning is not its worst finding, yet a has one: "worst on 0 host(s)" must not be all we say.
    assert summary['hosts']['warning'] == 0 and summary['hosts_with'] == {'critical': 1, 'warning': 1, 'info': 0}
    by_host = {h['host']: h for h in report['hosts']}
    assert by_host['b']['worst'] == 'clean' and by_host['b']['context'][0]['id'] == 'credit_limits'
    assert summary['findings']['total'] == 2
    assert problems([{'host': 'c', 'context': 'x'}]) == ['billmgr_report_hosts[0] (c): context must be a list']
