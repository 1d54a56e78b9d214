# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that judge a host's sweep data: the health role's findings."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import (
    host_context,
    host_findings,
    python_findings,
    python_probe_command,
    role_thresholds,
    unreachable_finding,
)
from ansible_collections.billmgr.ops.plugins.plugin_utils._healthrecord import clock_text, host_record


def health_findings(facts, thresholds=None, host=None):
    try:
        return host_findings(facts, thresholds, host=host)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError('health_findings: %s' % exc) from exc


def health_thresholds(role_vars):
    try:
        return role_thresholds(role_vars)
    except ValueError as exc:
        raise AnsibleFilterError('health_thresholds: %s' % exc) from exc


def health_clock(clock):
    return clock_text(clock)


def health_record(probe, thresholds, host, swept_at, python_output=None, mgr_root=None):
    try:
        return host_record(probe, thresholds, host, swept_at, python_output=python_output, mgr_root=mgr_root)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError('health_record: %s' % exc) from exc


def health_context(facts):
    return host_context(facts)


def health_unreachable(message):
    return [unreachable_finding(message)]


def health_python_probe(candidates):
    if isinstance(candidates, str):
        candidates = [candidates]
    return python_probe_command(list(candidates or []))


def health_python(output, host=None, candidates=(), message=None):
    if isinstance(candidates, str):
        candidates = [candidates]
    return python_findings(output, host=host, candidates=list(candidates or []), message=message)


class FilterModule:
    def filters(self):
        return {'health_findings': health_findings, 'health_context': health_context,
                'health_unreachable': health_unreachable, 'health_clock': health_clock,
                'health_python_probe': health_python_probe, 'health_python': health_python,
                'health_thresholds': health_thresholds, 'health_record': health_record}
