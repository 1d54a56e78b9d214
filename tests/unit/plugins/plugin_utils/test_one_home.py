# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules with one home: the thresholds table and the role variables that follow it, the severities
and fail_on choices, and the time windows every role computes the same way."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError
from ansible_collections.billmgr.ops.plugins.plugin_utils import _findings, _report
from ansible_collections.billmgr.ops.plugins.plugin_utils._runcheck import settings_problem
from ansible_collections.billmgr.ops.plugins.plugin_utils._timewindow import since_problem, window_start

ROLES = Path(__file__).resolve().parents[4] / 'roles'
NOW = datetime(2026, 3, 6, 18, 0, 0, tzinfo=timezone.utc)
# The health role's variables that are not thresholds of a check.
HEALTH_SETTINGS = {'billmgr_mgr_root', 'billmgr_health_log_window', 'billmgr_health_since_last_sweep',
                   'billmgr_health_logs', 'billmgr_health_log_zones', 'billmgr_health_supported_os',
                   'billmgr_health_command_timeout', 'billmgr_health_fail_on', 'billmgr_health_panel_names'}


def load(role, *parts):
    return yaml.safe_load((ROLES / role / Path(*parts)).read_text())


def options(role):
    return load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def test_each_threshold_is_a_health_variable_of_the_same_name_and_default():
    defaults = load('health', 'defaults', 'main.yml')
    spec = options('health')
    for key, value in _findings.DEFAULT_THRESHOLDS.items():
        name = 'billmgr_health_' + key
        assert defaults.get(name) == value, name
        assert spec[name]['default'] == value, name
    assert set(defaults) - set('billmgr_health_' + key for key in _findings.DEFAULT_THRESHOLDS) == HEALTH_SETTINGS


def test_role_variables_become_typed_thresholds():
    limits = _findings.role_thresholds({'billmgr_health_disk_used_warning_pct': '80',
                                        'billmgr_health_require_checkevent': 'no', 'other': 'x'})
    assert limits['disk_used_warning_pct'] == 80 and limits['require_checkevent'] is False
    assert limits['memory_min_mb'] == 2048
    with pytest.raises(ValueError, match='billmgr_health_memory_min_mb must be a whole number'):
        _findings.role_thresholds({'billmgr_health_memory_min_mb': 'lots'})


def test_the_memory_and_backlog_thresholds_keep_their_units():
    two_gib = {'memory': {'total_bytes': 2048 * 2 ** 20, 'available_bytes': 2 ** 30}}
    assert _findings.check_memory(two_gib, _findings.thresholds()) == []
    short = {'memory': {'total_bytes': 2047 * 2 ** 20, 'available_bytes': 2 ** 30}}
    assert 'under the 2048 MiB required' in _findings.check_memory(short, _findings.thresholds())[0]['summary']


def test_severities_and_fail_on_choices_have_one_home():
    assert _report.SEVERITIES is _findings.SEVERITIES
    assert _report.FAIL_ON_CHOICES == _findings.SEVERITIES + ('never',)
    for role, name in (('health', 'billmgr_health_fail_on'), ('report', 'billmgr_report_fail_on')):
        assert tuple(options(role)[name]['choices']) == _report.FAIL_ON_CHOICES, role
    assert 'billmgr_health_fail_on' not in options('report')


@pytest.mark.parametrize('text, expected', [
    ('24h', '2026-03-05T18:00:00Z'),
    ('1w', '2026-02-27T18:00:00Z'),
    ('1h30m', '2026-03-06T16:30:00Z'),
    (' 90M ', '2026-03-06T16:30:00Z'),
    ('2025-03-01T00:00:00', '2025-03-01T00:00:00'),
])
def test_a_window_start_is_computed_once_in_one_grammar(text, expected):
    assert window_start(text, now=NOW) == expected


def test_a_window_that_cannot_be_read_names_its_option():
    with pytest.raises(TimeSpecError, match='stops_since'):
        window_start('yesterday', now=NOW, option='stops_since')
    assert since_problem('7d', 'stops_since') == since_problem('2025-03-01', 'stops_since') == ''
    assert since_problem('24 hours ago; rm', 'stops_since').startswith('stops_since must be')


@pytest.mark.parametrize('value', ['1w', '1h30m', '24h'])
def test_every_role_takes_the_same_durations(value):
    assert settings_problem({'billmgr_health_log_window': value}, options('health'), 'health') == ''
    assert settings_problem({'billmgr_debug_window_for': value}, options('debug_window'), 'debug_window') == ''
    assert since_problem(value, 'stops_since') == ''
