# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Once-per-run checks: settings named one at a time, plays that match no host, debug summaries."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.billmgr.ops.plugins.plugin_utils._debugsummary import window_summary
from ansible_collections.billmgr.ops.plugins.plugin_utils._runcheck import play_hosts, settings_problem

ROLES = Path(__file__).resolve().parents[4] / 'roles'


def spec(role):
    return yaml.safe_load((ROLES / role / 'meta' / 'argument_specs.yml').read_text())['argument_specs']['main']['options']


DEBUG_OK = {'billmgr_debug_window_state': 'present', 'billmgr_debug_window_logs': 'billmgr,pmbillmgr',
            'billmgr_debug_window_module': '*', 'billmgr_debug_window_level': '9',
            'billmgr_debug_window_for': '1h30m', 'billmgr_debug_window_collect': 'false'}


def test_valid_settings_say_nothing():
    assert settings_problem(DEBUG_OK, spec('debug_window'), 'debug_window') == ''
    assert settings_problem({'billmgr_health_fail_on': 'never', 'billmgr_health_log_window': '24h',
                             'billmgr_health_disk_used_warning_pct': '85'}, spec('health'), 'health') == ''


@pytest.mark.parametrize('role, option, value, words', [
    ('health', 'billmgr_health_fail_on', 'critcal', 'one of critical, warning, info, never'),
    ('health', 'billmgr_health_log_window', '24 hours', 'a duration'),
    ('health', 'billmgr_health_disk_used_warning_pct', 'lots', 'a whole number'),
    ('debug_window', 'billmgr_debug_window_for', '30 minutes', 'debug_for (billmgr_debug_window_for) must be a duration'),
    ('debug_window', 'billmgr_debug_window_state', 'gone', 'one of present, absent'),
    ('debug_window', 'billmgr_debug_window_logs', 'bill/mgr', 'log names'),
    ('debug_window', 'billmgr_debug_window_module', '../x', 'a logger name'),
])
def test_one_failing_option_is_named_with_its_value_and_nothing_else(role, option, value, words):
    health = {'billmgr_health_fail_on': 'critical', 'billmgr_health_log_window': '24h'}
    values = dict(DEBUG_OK) if role == 'debug_window' else health
    values[option] = value
    message = settings_problem(values, spec(role), role)
    assert words in message and repr(value) in message
    # One option, one sentence: no other option's rule is listed.
    other = [name for name in values if name != option and name in message]
    assert not other and message.count(' must be ') == 1


GROUPS = {'all': ['bm01', 'bm02', 'db1'], 'billmgr': ['bm01', 'bm02'], 'databases': ['db1'], 'ungrouped': []}


def test_a_pattern_that_matches_hosts_passes_through():
    assert play_hosts('billmgr', GROUPS) == 'billmgr'
    assert play_hosts('billmgr', GROUPS, 'bm01') == 'billmgr'
    assert play_hosts('billmgr:&prod*', GROUPS) == 'billmgr:&prod*'


@pytest.mark.parametrize('pattern, limit, named', [
    ('billmgr', None, None),  # no such group in an inventory that names its group bills
    ('billmgr', 'db1', None),  # a limit outside the group
])
def test_no_host_matched_names_the_group_and_how_to_change_it(pattern, limit, named):
    groups = dict(GROUPS, billmgr=[]) if limit is None else GROUPS
    with pytest.raises(ValueError) as caught:
        play_hosts(pattern, groups, limit, 'health.yml', named)
    message = str(caught.value)
    assert 'billmgr_hosts' in message and 'health.yml' in message
    assert (limit or '') in message


def test_debug_refuses_a_run_on_every_host_without_a_limit():
    with pytest.raises(ValueError, match='-l bm01,bm02'):
        play_hosts('billmgr', GROUPS, '', 'debug.yml', named=False)
    assert play_hosts('billmgr', GROUPS, 'bm01', 'debug.yml', named=False) == 'billmgr'
    assert play_hosts('bm02', GROUPS, '', 'debug.yml', named=True) == 'bm02'


def test_an_empty_inventory_is_left_to_ansible():
    assert play_hosts('billmgr', {'all': [], 'ungrouped': []}, '', 'debug.yml', named=False) == 'billmgr'


def test_debug_summary_says_levels_until_when_and_where_threads_went():
    raised = [{'entries': [{'log': 'billmgr', 'module': '*', 'level': 9, 'previous': 4, 'expires': '2026-11-23T15:00:00Z'}]},
              {'entries': [{'log': 'billmgr', 'module': '*', 'level': 9, 'previous': 4, 'expires': '2026-11-23T15:00:00Z'},
                           {'log': 'pmbillmgr', 'module': '*', 'level': 9, 'previous': None, 'expires': '2026-11-23T15:00:00Z'}]}]
    text = window_summary('bm01', True, ['billmgr', 'pmbillmgr'], '*', raised)
    assert text == ('bm01: billmgr.* at 9 until 2026-11-23T15:00:00Z (then back to 4); '
                    'pmbillmgr.* at 9 until 2026-11-23T15:00:00Z (then removed).')
    closed = window_summary('bm01', False, ['billmgr'], '*', [{'changed': True}], '/r/debug/bm01/x-threads.txt')
    assert closed == 'bm01: billmgr.*: put back. Error threads of the window: /r/debug/bm01/x-threads.txt.'
