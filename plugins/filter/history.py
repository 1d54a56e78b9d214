# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the sweep history kept in Ansible's fact cache; the logic is plugin_utils._history,
each filter's documentation the YAML file of its name next to this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError, parse_duration
from ansible_collections.billmgr.ops.plugins.plugin_utils import _history
from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import ReportFilesError


def sweep_history(hostvars, hosts):
    return _history.cached_records(hostvars, list(hosts or ()))


def sweep_previous(records, report_dir=None):
    try:
        return _history.previous_sweep(records or [], report_dir) or ({} if report_dir is None else '')
    except ReportFilesError as exc:
        raise AnsibleFilterError('sweep_previous: %s' % exc) from exc


def sweep_previous_time(previous):
    return _history.previous_sweep_time(previous)


def sweep_cache_records(report):
    try:
        return _history.records_to_cache(report)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError('sweep_cache_records needs a report from findings_report: %s' % exc) from exc


def fleet_records(records, hosts, generated_at, max_age):
    try:
        found, missing = _history.fleet_records(records or [], list(hosts or ()), generated_at,
                                                parse_duration(max_age, 'billmgr_fleet_max_age'))
    except (TimeSpecError, ValueError) as exc:
        raise AnsibleFilterError('fleet_records: %s' % exc) from exc
    return {'hosts': found, 'not_swept': missing}


class FilterModule:
    """Each host's last sweep in the fact cache: the next sweep's history, the fleet report's source."""

    def filters(self):
        return {
            'sweep_history': sweep_history,
            'sweep_previous': sweep_previous,
            'sweep_previous_time': sweep_previous_time,
            'sweep_cache_records': sweep_cache_records,
            'fleet_records': fleet_records,
        }
