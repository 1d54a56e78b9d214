# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate role's plan and outcomes, and its one fix catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.billmgr.ops.plugins.plugin_utils import _remediate
from ansible_collections.billmgr.ops.plugins.plugin_utils._remediate import (
    FIXES, asked_fixes, fleet_summary, host_result, in_pay, plan, refused, unfixed)

ROOT = Path(__file__).resolve().parents[4]
KEY = 'SECRET-KEY-123'
SETTINGS = {'check_mode': False, 'license_key': '', 'checkevent_form': 'plain'}


def finding(check_id, key='', summary=None):
    return {'id': check_id, 'key': key, 'summary': summary or '%s on %s' % (check_id, key or 'host')}


def record(*findings, reachable=True):
    return {'host': 'bm01', 'reachable': reachable, 'findings': list(findings)}


FACTS = {
    'database': {'payments_in_pay': [{'count': 2}, {'count': 1}]},
    'debug': {'entries': [
        {'log': 'billmgr', 'module': None, 'level': 9, 'expires': None},
        {'log': 'pmbillmgr', 'module': '', 'level': 9, 'expires': '2000-01-01T00:00:00Z', 'expired': True},
        {'log': 'pmvmmgr6', 'module': 'x', 'level': 9, 'expires': '2999-01-01T00:00:00Z', 'expired': False},
    ]},
}


# ------------------------------------------------------------------ the catalogue

def test_the_argument_spec_and_defaults_name_exactly_the_catalogue():
    spec = yaml.safe_load((ROOT / 'roles/remediate/meta/argument_specs.yml').read_text())['argument_specs']['main']
    option = ' '.join(spec['options']['billmgr_remediate']['description'])
    assert tuple(re.findall(r'V\(([a-z_]+)\)', option)) == FIXES
    described = ' '.join(spec['description'])
    assert set(re.findall(r'C\(([a-z_]+)\) (?:runs|adds|calls|undoes|starts)', described)) == set(FIXES)
    defaults = (ROOT / 'roles/remediate/defaults/main.yml').read_text()
    comment = re.search(r'# The findings to fix, by id: (.*?)\.', defaults, re.S).group(1)
    assert tuple(re.findall(r'[a-z_]+', comment.replace('#', ''))) == FIXES


def test_every_fix_answers_a_finding_whose_text_points_at_it():
    findings = (ROOT / 'plugins/plugin_utils/_findings.py').read_text()
    pointed = set(re.findall(r"remediate_command\('([a-z_]+)'", findings))
    assert pointed == set(FIXES)


# ------------------------------------------------------------------ what is asked

@pytest.mark.parametrize('value, expected', [
    (None, []),
    ([], []),
    (['platform_down', 'platform_down', ' license_unlinked '], ['platform_down', 'license_unlinked']),
    ('license_unlinked, platform_down', ['license_unlinked', 'platform_down']),
    ('["license_unlinked", \'debug_left_on\']', ['license_unlinked', 'debug_left_on']),
    ('', []),
])
def test_the_fixes_asked_for_are_read_from_a_list_or_a_survey_string(value, expected):
    assert asked_fixes(value) == expected


def test_an_unknown_fix_is_refused_naming_it_and_the_known_ones():
    assert refused(['platform_down']) == ''
    message = refused(['license_unlinked', 'clock_skew'])
    assert 'does not fix: clock_skew.' in message and ', '.join(FIXES) in message
    assert 'nothing was done' in message


# ------------------------------------------------------------------ the plan

def test_a_fix_targets_the_keys_of_its_findings_and_runs_only_with_some():
    before = record(finding('license_unlinked', 'lic'), finding('platform_down'))
    the_plan = plan(before, {}, ['platform_down', 'payments_stuck', 'license_unlinked'])
    assert the_plan['todo'] == ['platform_down', 'license_unlinked']
    assert the_plan['targets']['license_unlinked'] == ['lic']
    assert the_plan['targets']['payments_stuck'] == []
    assert the_plan['before'] is before and the_plan['in_pay_before'] == 0


def test_debug_levels_are_sorted_by_their_end_only_when_the_finding_is_present():
    the_plan = plan(record(finding('debug_left_on')), FACTS, ['debug_left_on'])
    assert [e['log'] for e in the_plan['debug_expired']] == ['pmbillmgr']
    assert [e['log'] for e in the_plan['debug_forgotten']] == ['billmgr']
    assert the_plan['debug_temporary'] == ['pmvmmgr6.x']
    assert the_plan['targets']['debug_left_on'] == ['pmbillmgr.*', 'billmgr.*']
    assert the_plan['todo'] == ['debug_left_on']
    quiet = plan(record(), FACTS, ['debug_left_on'])
    assert quiet['debug_expired'] == quiet['debug_forgotten'] == quiet['debug_temporary'] == []
    assert quiet['todo'] == []


def test_payments_in_pay_are_counted_young_ones_too():
    assert in_pay(FACTS) == 3
    assert in_pay({'database': {'payments_in_pay': None}}) == 0
    assert in_pay(None) == 0


# ------------------------------------------------------------------ the outcomes

def statuses(result):
    return {fix['id']: (fix['status'], fix['detail']) for fix in result['fixes']}


def test_a_fix_is_judged_by_the_second_sweep():
    before = record(finding('platform_down'), finding('license_unlinked', 'lic', 'license not linked'))
    the_plan = plan(before, {}, ['platform_down', 'license_unlinked', 'checkevent_missing'])
    after = record(finding('license_unlinked', 'lic', 'license not linked'))
    results = {'license_unlinked': [{'failed': True, 'msg': 'Failed to get license'}],
               'platform_down': [{'changed': True, 'restarted': True}], 'restarts': [{}, {'restarted': True}]}
    result = host_result('bm01', the_plan, after, 0, the_plan['todo'] + ['checkevent_missing'], results, SETTINGS)
    found = statuses(result)
    assert found['platform_down'] == ('fixed', 'started with mgrctl -m billmgr -R')
    assert found['license_unlinked'] == ('still failing', 'Failed to get license; license not linked')
    assert found['checkevent_missing'] == ('not needed', 'no checkevent_missing finding on this host')
    assert result['restarted'] is True and result['host'] == 'bm01' and result['check_mode'] is False
    assert unfixed(result['fixes']) == ['license_unlinked']


def test_a_fix_that_took_with_an_error_says_so():
    the_plan = plan(record(finding('platform_down')), {}, ['platform_down'])
    result = host_result('bm01', the_plan, record(), 0, ['platform_down'],
                         {'platform_down': [{}, {'failed': True}]}, SETTINGS)
    assert statuses(result)['platform_down'] == ('fixed', 'started with mgrctl -m billmgr -R; but: failed')


def test_checkpay_is_judged_by_its_command_and_tells_the_payments_left():
    before = record(finding('payments_stuck', 'pm1'))
    the_plan = plan(before, FACTS, ['payments_stuck'])
    result = host_result('bm08', the_plan, before, 2, ['payments_stuck'], {'payments_stuck': [{'changed': True}]}, SETTINGS)
    status, detail = statuses(result)['payments_stuck']
    assert status == 'fixed'
    assert detail.startswith('mgrctl -m billmgr paymethod.checkpay ran once: 3 payment(s) in pay before, 2 after (still pending')
    settled = host_result('bm08', the_plan, record(), 0, ['payments_stuck'], {}, SETTINGS)
    assert statuses(settled)['payments_stuck'][1].endswith('3 payment(s) in pay before, 0 after')
    failed = host_result('bm08', the_plan, record(), 0, ['payments_stuck'],
                         {'payments_stuck': [{'failed': True, 'msg': 'no answer'}]}, SETTINGS)
    assert statuses(failed)['payments_stuck'] == ('still failing', 'no answer')


def test_check_mode_says_what_would_be_fixed_and_restarts_nothing():
    before = record(finding('checkevent_missing'), finding('payments_stuck', 'pm1'), finding('debug_left_on'))
    the_plan = plan(before, FACTS, ['checkevent_missing', 'payments_stuck', 'debug_left_on'])
    settings = dict(SETTINGS, check_mode=True, checkevent_form='wrapper')
    result = host_result('bm01', the_plan, before, 3, the_plan['todo'], {'restarts': [{'restarted': True}]}, settings)
    found = statuses(result)
    assert found['checkevent_missing'] == (
        'would fix', "checkevent line (wrapper form, every 5 minutes) added to root's crontab")
    assert found['payments_stuck'] == ('would fix', 'mgrctl -m billmgr paymethod.checkpay ran once: 3 payment(s) in pay before')
    assert found['debug_left_on'] == ('would fix', 'pmbillmgr.*, billmgr.* put back, then one platform restart')
    assert result['restarted'] is False and result['check_mode'] is True


def test_a_temporary_debug_level_is_told_as_left_to_run_out():
    facts = {'debug': {'entries': [FACTS['debug']['entries'][2]]}}
    the_plan = plan(record(finding('debug_left_on')), facts, ['debug_left_on'])
    result = host_result('bm05', the_plan, record(), 0, ['debug_left_on'], {}, SETTINGS)
    assert statuses(result)['debug_left_on'] == ('not needed', 'no debug_left_on finding on this host; left to run out: pmvmmgr6.x')


def test_a_host_that_could_not_be_swept_is_not_checked():
    down = record(finding('unreachable', summary='ssh: connection refused'), reachable=False)
    the_plan = plan(down, {}, ['platform_down'])
    result = host_result('bm02', the_plan, down, 0, ['platform_down'], {}, SETTINGS)
    assert statuses(result)['platform_down'] == ('not checked', 'the host could not be swept: ssh: connection refused')
    assert unfixed(result['fixes']) == ['platform_down']
    lost = record(finding('unreachable', summary='gone after the restart'), reachable=False)
    the_plan = plan(record(finding('platform_down')), {}, ['platform_down'])
    result = host_result('bm02', the_plan, lost, 0, ['platform_down'], {}, SETTINGS)
    assert statuses(result)['platform_down'] == ('not checked', 'the host could not be swept: gone after the restart')


def test_the_activation_key_never_shows_in_a_detail():
    the_plan = plan(record(finding('license_unlinked', 'lic')), {}, ['license_unlinked'])
    settings = dict(SETTINGS, license_key=KEY)
    result = host_result('bm07', the_plan, record(finding('license_unlinked', 'lic', 'unlinked')), 0, ['license_unlinked'],
                         {'license_unlinked': [{'failed': True, 'msg': 'licctl fetch billmgr %s: refused' % KEY}]}, settings)
    status, detail = statuses(result)['license_unlinked']
    assert status == 'still failing' and KEY not in detail and _remediate.MASK in detail
    fixed = host_result('bm07', the_plan, record(), 0, ['license_unlinked'], {}, settings)
    assert statuses(fixed)['license_unlinked'] == ('fixed', 'licctl fetch billmgr with the activation key')


def test_the_fleet_summary_has_one_part_per_outcome():
    tagged = [{'host': 'bm01', 'id': 'platform_down', 'status': 'fixed'},
              {'host': 'bm03', 'id': 'checkevent_missing', 'status': 'fixed'},
              {'host': 'bm07', 'id': 'license_unlinked', 'status': 'still failing'},
              {'host': 'bm01', 'id': 'payments_stuck', 'status': 'not needed'}]
    assert fleet_summary(tagged) == ('fixed: bm01 platform_down, bm03 checkevent_missing; would fix: none; '
                                     'still failing: bm07 license_unlinked; not checked: none')
