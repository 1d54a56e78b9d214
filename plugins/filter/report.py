# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the billmgr.ops.report role. The logic lives in plugin_utils._report; each filter's
documentation is the YAML file of its name next to this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.plugin_utils import _report


def findings_problems(hosts):
    return _report.problems(hosts)


def findings_report(hosts, previous=None, generated_at=None, sweep_id=None, fail_on='critical', marked=False,
                    notes=()):
    try:
        return _report.build_report(hosts, previous=previous, generated_at=generated_at, sweep_id=sweep_id,
                                    fail_on=fail_on, marked=_report.parse_bool(marked), notes=notes)
    except ValueError as exc:
        raise AnsibleFilterError('findings_report: %s' % exc) from exc


def findings_summary(report, report_dir='', max_items=20):
    try:
        return _report.stats_summary(report, report_dir, max_items=max_items)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('findings_summary needs a report from findings_report: %s' % exc) from exc


def findings_verdict(report, host, report_dir=''):
    try:
        return _report.host_verdict(report, host, report_dir)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError('findings_verdict needs a report from findings_report: %s' % exc) from exc


def evidence_view(evidence):
    return _report.evidence_view(evidence)


class FilterModule:
    """Findings of a health sweep: checks, comparison, summaries, and escapes for the report files."""

    def filters(self):
        return {
            'findings_problems': findings_problems,
            'findings_report': findings_report,
            'findings_summary': findings_summary,
            'findings_verdict': findings_verdict,
            'evidence_view': evidence_view,
            'html_escaped': _report.html_escaped,
            'prom_label': _report.prom_label,
            'md_inline': _report.md_inline,
            'md_fence': _report.md_fence,
        }
