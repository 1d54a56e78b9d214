# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The billmgr_facts action times the module's round trip on the controller."""

from __future__ import annotations

import copy
from unittest.mock import MagicMock

import pytest

from ansible.playbook.task import Task

from ansible_collections.billmgr.ops.plugins.action import billmgr_facts as action_plugin

SENT, RECEIVED = 1795443960.0, 1795444010.0


def module_answer(epoch, epoch_end, reference_epoch=None, skew=None):
    clock = {'utc': '2026-11-23T14:00:00Z', 'epoch': epoch, 'epoch_end': epoch_end,
             'reference_epoch': reference_epoch, 'skew_seconds': skew, 'skew_uncertainty_seconds': None,
             'round_trip_seconds': None}
    facts = {'mgr_root': '/usr/local/mgr5', 'gathered': ['clock'], 'clock': clock}
    return {'changed': False, 'billmgr_facts': facts, 'ansible_facts': {'billmgr': copy.deepcopy(facts)}}


@pytest.fixture
def run(monkeypatch):
    def run(answer, async_val=0):
        readings = iter([SENT, RECEIVED])
        monkeypatch.setattr(action_plugin.time, 'time', lambda: next(readings))
        task = Task()
        task.args = {}
        task.action = 'billmgr.ops.billmgr_facts'
        task.async_val = async_val
        connection = MagicMock(has_native_async=False)
        action = action_plugin.ActionModule(task, connection, MagicMock(), loader=MagicMock(),
                                            templar=MagicMock(), shared_loader_obj=MagicMock())
        monkeypatch.setattr(action, '_execute_module', lambda **_kwargs: copy.deepcopy(answer))
        monkeypatch.setattr(action, '_remove_tmp_path', lambda *_args: None)
        return action.run(task_vars={})
    return run


def test_a_module_that_started_late_on_a_right_clock_measures_no_skew_beyond_its_uncertainty(run):
    # The host's clock is right; the module started 45 s after the call was sent and worked 0.5 s.
    result = run(module_answer(SENT + 45.0, SENT + 45.5))
    for clock in (result['billmgr_facts']['clock'], result['ansible_facts']['billmgr']['clock']):
        assert clock['round_trip_seconds'] == 50.0
        assert clock['skew_uncertainty_seconds'] == 24.75
        assert abs(clock['skew_seconds']) <= clock['skew_uncertainty_seconds']
        assert clock['reference_epoch'] == (SENT + RECEIVED) / 2


def test_a_skewed_clock_is_measured_with_the_transport_as_uncertainty(run):
    result = run(module_answer(SENT + 0.2 + 5400, SENT + 49.8 + 5400))
    clock = result['billmgr_facts']['clock']
    assert clock['skew_seconds'] == 5400.0 and clock['skew_uncertainty_seconds'] == 0.2


def test_a_reference_time_given_by_the_caller_is_left_as_the_module_measured_it(run):
    result = run(module_answer(SENT + 1, SENT + 2, reference_epoch=SENT - 30, skew=31.0))
    clock = result['billmgr_facts']['clock']
    assert (clock['skew_seconds'], clock['skew_uncertainty_seconds']) == (31.0, None)


def test_an_async_job_is_not_timed(run):
    result = run(module_answer(SENT + 1, SENT + 2), async_val=60)
    assert result['billmgr_facts']['clock']['skew_seconds'] is None
