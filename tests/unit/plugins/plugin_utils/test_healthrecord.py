# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_context, host_findings
from ansible_collections.billmgr.ops.plugins.plugin_utils._fleetview import host_errors
from ansible_collections.billmgr.ops.plugins.plugin_utils._healthrecord import host_record

from test_findings import HEALTHY

SWEPT_AT = '2026-01-05T10:00:00Z'


def swept(facts):
    return {'changed': False, 'billmgr_facts': facts}


def test_a_swept_host_gets_the_findings_context_and_errors_of_its_facts():
    facts = copy.deepcopy(HEALTHY)
    facts['disk'][0]['used_pct'] = 97.0
    facts['clock']['skew_uncertainty_seconds'] = 0.4
    record = host_record(swept(facts), {}, 'bm01', SWEPT_AT, mgr_root='/opt/mgr5')
    assert record['host'] == 'bm01' and record['reachable'] is True and record['swept_at'] == SWEPT_AT
    assert record['findings'] == host_findings(facts, {}, host='bm01')
    assert [item['id'] for item in record['findings']] == ['disk_low']
    assert record['context'] == host_context(facts)
    assert record['errors'] == host_errors(facts)
    assert record['summary'] == {'os': 'AlmaLinux 9.4', 'platform_version': None, 'clock_skew': '+1.0 s \u00b1 0.4 s',
                                 'license_id': 12, 'license_expires': '2027-11-01', 'mgr_root': '/usr/local/mgr5'}


def test_thresholds_reach_the_findings():
    facts = copy.deepcopy(HEALTHY)
    facts['disk'][0]['used_pct'] = 70.0
    assert host_record(swept(facts), {}, 'bm01', SWEPT_AT)['findings'] == []
    lowered = host_record(swept(facts), {'disk_used_warning_pct': 60}, 'bm01', SWEPT_AT)
    assert [item['id'] for item in lowered['findings']] == ['disk_low']


def test_sections_missing_or_of_the_wrong_type_leave_the_summary_empty_not_broken():
    facts = {'os': None, 'license': 'licctl failed', 'clock': ['odd']}
    record = host_record(swept(facts), {}, 'bm02', SWEPT_AT, mgr_root='/opt/mgr5')
    assert record['summary'] == {'os': None, 'platform_version': None, 'clock_skew': None, 'license_id': None,
                                 'license_expires': None, 'mgr_root': '/opt/mgr5'}


def test_an_unreachable_host_is_one_unreachable_finding_with_the_message():
    record = host_record({'unreachable': True, 'msg': 'ssh: connect to host bm03 port 22: Connection refused'},
                         {}, 'bm03', SWEPT_AT, mgr_root='/usr/local/mgr5')
    assert record['reachable'] is False and record['summary'] == {} and record['context'] == []
    assert record['errors'] is None
    [finding] = record['findings']
    assert finding['id'] == 'unreachable' and 'Connection refused' in finding['summary']


def test_a_failed_call_without_a_message_says_no_answer():
    [finding] = host_record({'failed': True}, {}, 'bm03', SWEPT_AT)['findings']
    assert finding['id'] == 'unreachable' and 'no answer' in finding['summary']


def test_an_old_python_is_named_instead_of_unreachable():
    record = host_record({'failed': True, 'msg': 'MODULE FAILURE'}, {}, 'bm04', SWEPT_AT,
                         python_output='BILLMGR_PYTHON python3 /usr/bin/python3 3.6.8\n')
    [finding] = record['findings']
    assert finding['id'] == 'python_unsupported' and '3.6.8' in finding['summary']
    assert finding['evidence']['module_message'] == 'MODULE FAILURE'
