# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the checks a playbook makes once per run; the logic is plugin_utils._runcheck."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.plugin_utils import _debugsummary, _runcheck


def settings_problem(values, spec, role):
    return _runcheck.settings_problem(values, spec, role)


def no_hosts_message(pattern, limit=None, playbook=''):
    return _runcheck.no_hosts_message(pattern, limit, playbook)


def play_hosts(pattern, groups, limit=None, playbook='', named=None):
    try:
        return _runcheck.play_hosts(pattern, groups, limit, playbook, named)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def debug_window_summary(host, present, logs, module, results, collect_file=None, check_mode=False):
    return _debugsummary.window_summary(host, present, logs, module, results, collect_file, check_mode)


class FilterModule:
    def filters(self):
        return {'settings_problem': settings_problem, 'no_hosts_message': no_hosts_message,
                'play_hosts': play_hosts, 'debug_window_summary': debug_window_summary}
