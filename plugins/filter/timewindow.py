# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of time windows, computed once on the controller; the grammar is module_utils._logs.timespec."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError
from ansible_collections.billmgr.ops.plugins.plugin_utils import _timewindow


def window_start(text, option='since'):
    try:
        return _timewindow.window_start(text, option=option)
    except TimeSpecError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def window_problem(text, option='since', durations_only=False):
    if durations_only:
        return _timewindow.duration_problem(text, option)
    return _timewindow.since_problem(text, option)


class FilterModule:
    def filters(self):
        return {'window_start': window_start, 'window_problem': window_problem}
