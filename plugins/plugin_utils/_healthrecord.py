# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's sweep record from what its probe answered: the health role's judge step in one call.

Built in one filter call per host, not as a template of a dozen expressions: each expression would
have the host's facts templated again, which cost more controller time than the judging itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import (
    host_context,
    host_findings,
    python_findings,
    skew_text,
    unreachable_finding,
)
from ansible_collections.billmgr.ops.plugins.plugin_utils._fleetview import host_errors


def _get(data, *keys):
    """DATA[k1][k2]..., or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def clock_text(clock):
    """A clock section's skew and its uncertainty as one short text, or None."""
    if not isinstance(clock, Mapping):
        return None
    return skew_text(clock.get('skew_seconds'), clock.get('skew_uncertainty_seconds'))


def summary(facts, mgr_root):
    return {
        'os': _get(facts, 'os', 'pretty_name'),
        'platform_version': _get(facts, 'platform', 'version'),
        'clock_skew': clock_text(_get(facts, 'clock')),
        'license_id': _get(facts, 'license', 'id'),
        'license_expires': _get(facts, 'license', 'expires'),
        'mgr_root': facts.get('mgr_root', mgr_root),
    }


def host_record(probe, thresholds, host, swept_at, python_output=None, mgr_root=None):
    """The record of HOST: ``host``, ``reachable``, ``swept_at``, ``summary``, ``findings``,
    ``context`` and ``errors``.

    PROBE is the registered result of the host's billmgr_facts call; without ``billmgr_facts`` in it
    the host was not swept, and PYTHON_OUTPUT (the raw interpreter probe's stdout, if it ran) tells
    an unusable Python from any other failure.
    """
    probe = probe if isinstance(probe, Mapping) else {}
    swept = 'billmgr_facts' in probe
    message = probe.get('msg')
    if swept:
        facts = probe['billmgr_facts'] if isinstance(probe['billmgr_facts'], Mapping) else {}
        return {'host': host, 'reachable': True, 'swept_at': swept_at, 'summary': summary(facts, mgr_root),
                'findings': host_findings(facts, thresholds, host=host), 'context': host_context(facts),
                'errors': host_errors(facts)}
    findings = (python_findings(python_output or '', host=host, message=message)
                or [unreachable_finding(probe.get('msg', 'no answer'))])
    return {'host': host, 'reachable': False, 'swept_at': swept_at, 'summary': {}, 'findings': findings,
            'context': [], 'errors': None}
