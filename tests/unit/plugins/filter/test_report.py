# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from ansible.module_utils import _internal as module_utils_internal

FILTER_DIR = Path(__file__).resolve().parents[4] / 'plugins' / 'filter'
NAMES = ['evidence_view', 'findings_problems', 'findings_report', 'findings_summary', 'findings_verdict',
         'html_escaped',
         'md_fence', 'md_inline', 'prom_label']


@pytest.fixture(scope='module', autouse=True)
def plugin():
    """The filter plugin module, imported here rather than at collection.

    A filter plugin imports Ansible's controller side, which flips module_utils into controller
    mode for the whole process: module warnings then go to the display instead of the module's
    result, and the module tests collected with these would lose theirs. The flag is put back
    once these tests are done.
    """
    was_controller = module_utils_internal.is_controller
    try:
        yield importlib.import_module('ansible_collections.billmgr.ops.plugins.filter.report')
    finally:
        module_utils_internal.is_controller = was_controller


@pytest.fixture(scope='module')
def filters(plugin):
    return plugin.FilterModule().filters()


@pytest.fixture(scope='module')
def filter_error():
    return importlib.import_module('ansible.errors').AnsibleFilterError


HOSTS = [
    {'host': 'bm01', 'reachable': True, 'swept_at': '2026-11-23T14:30:01Z', 'summary': {}, 'findings': []},
    {'host': 'bm02', 'reachable': 'true', 'swept_at': '2026-11-23T14:30:02Z', 'summary': {},
     'findings': [{'id': 'license_unlinked', 'key': '', 'severity': 'critical', 'summary': 'No license',
                   'evidence': {'licctl_id': 0}, 'fix': 'Link the license'}]},
]


def build(filters, hosts=None, **overrides):
    args = dict(previous='', generated_at='2026-11-23T14:30:05Z', sweep_id='20261123T143005Z', fail_on='critical')
    args.update(overrides)
    return filters['findings_report'](HOSTS if hosts is None else hosts, **args)


def test_the_role_s_filters_are_all_there(filters):
    assert sorted(filters) == NAMES


@pytest.mark.parametrize('name', NAMES)
def test_each_filter_has_its_documentation_file(name):
    doc = yaml.safe_load((FILTER_DIR / (name + '.yml')).read_text())
    assert doc['DOCUMENTATION']['name'] == name
    assert '_input' in doc['DOCUMENTATION']['options']
    assert doc['EXAMPLES'].strip()
    assert doc['RETURN']['_value']['description']


def test_report_then_summary_through_the_filters(filters):
    report = build(filters)
    assert report['decision']['failed'] is True
    assert [r['host'] for r in report['hosts']] == ['bm02', 'bm01']
    summary = filters['findings_summary'](report, '/srv/reports/20261123T143005Z', '1')
    assert summary['critical_hosts'] == ['bm02']
    assert summary['failing'] == ['bm02: license_unlinked']


def test_broken_input_is_a_filter_error_naming_the_record(filters, filter_error):
    broken = [dict(HOSTS[1], findings=[dict(HOSTS[1]['findings'][0], severity='fatal')])]
    assert filters['findings_problems'](broken) == [
        "billmgr_report_hosts[0] (bm02) findings[0] (license_unlinked): severity must be one of "
        "critical, warning, info, got 'fatal'"]
    with pytest.raises(filter_error, match=r'findings_report: .*severity must be one of'):
        build(filters, broken)


def test_an_unknown_fail_on_is_a_filter_error(filters, filter_error):
    with pytest.raises(filter_error, match='fail_on must be one of'):
        build(filters, fail_on='sometimes')


@pytest.mark.parametrize('not_a_report', [{}, {'summary': {}}, 'text'])
def test_summary_of_something_else_is_a_filter_error(filters, filter_error, not_a_report):
    with pytest.raises(filter_error, match='findings_summary needs a report from findings_report'):
        filters['findings_summary'](not_a_report)


def test_escapes_are_exposed(filters):
    assert filters['prom_label']('a"b') == 'a\\"b'
    assert filters['md_inline']('<x>') == '\\<x\\>'
    assert filters['md_fence']('x', 'json') == '```json\nx\n```'
    assert filters['evidence_view']({'licctl_id': 0})['kind'] == 'map'
    assert filters['html_escaped'](['<b>']) == ['&lt;b&gt;']


def test_the_verdict_fails_only_the_host_with_the_findings(filters):
    report = build(filters)
    assert filters['findings_verdict'](report, 'bm01', '/r/x') == ''
    assert filters['findings_verdict'](report, 'bm02', '/r/x') == (
        'bm02: 1 finding(s) at or above critical (billmgr_health_fail_on): license_unlinked. See /r/x/report.html')
