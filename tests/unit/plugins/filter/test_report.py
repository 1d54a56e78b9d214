# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.filter.report import FilterModule

FILTER_DIR = Path(__file__).resolve().parents[4] / 'plugins' / 'filter'
FILTERS = FilterModule().filters()
HOSTS = [
    {'host': 'bm01', 'reachable': True, 'swept_at': '2026-11-23T14:30:01Z', 'summary': {}, 'findings': []},
    {'host': 'bm02', 'reachable': 'true', 'swept_at': '2026-11-23T14:30:02Z', 'summary': {},
     'findings': [{'id': 'license_unlinked', 'key': '', 'severity': 'critical', 'summary': 'No license',
                   'evidence': {'licctl_id': 0}, 'fix': 'Link the license'}]},
]


def build(hosts=None, **overrides):
    args = dict(previous='', generated_at='2026-11-23T14:30:05Z', sweep_id='20261123T143005Z', fail_on='critical')
    args.update(overrides)
    return FILTERS['findings_report'](HOSTS if hosts is None else hosts, **args)


def test_the_role_s_filters_are_all_there():
    assert sorted(FILTERS) == ['evidence_view', 'findings_problems', 'findings_report', 'findings_summary',
                               'html_escaped', 'md_fence', 'md_inline', 'prom_label']


@pytest.mark.parametrize('name', sorted(FILTERS))
def test_each_filter_has_its_documentation_file(name):
    doc = yaml.safe_load((FILTER_DIR / (name + '.yml')).read_text())
    assert doc['DOCUMENTATION']['name'] == name
    assert '_input' in doc['DOCUMENTATION']['options']
    assert doc['EXAMPLES'].strip()
    assert doc['RETURN']['_value']['description']


def test_report_then_summary_through_the_filters():
    report = build()
    assert report['decision']['failed'] is True
    assert [r['host'] for r in report['hosts']] == ['bm02', 'bm01']
    summary = FILTERS['findings_summary'](report, '/srv/reports/20261123T143005Z', '1')
    assert summary['critical_hosts'] == ['bm02']
    assert summary['failing'] == ['bm02: license_unlinked']


def test_broken_input_is_a_filter_error_naming_the_record():
    broken = [dict(HOSTS[1], findings=[dict(HOSTS[1]['findings'][0], severity='fatal')])]
    assert FILTERS['findings_problems'](broken) == [
        "billmgr_report_hosts[0] (bm02) findings[0] (license_unlinked): severity must be one of "
        "critical, warning, info, got 'fatal'"]
    with pytest.raises(AnsibleFilterError, match=r'findings_report: .*severity must be one of'):
        build(broken)


def test_an_unknown_fail_on_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='fail_on must be one of'):
        build(fail_on='sometimes')


@pytest.mark.parametrize('not_a_report', [{}, {'summary': {}}, 'text'])
def test_summary_of_something_else_is_a_filter_error(not_a_report):
    with pytest.raises(AnsibleFilterError, match='findings_summary needs a report from findings_report'):
        FILTERS['findings_summary'](not_a_report)


def test_escapes_are_exposed():
    assert FILTERS['prom_label']('a"b') == 'a\\"b'
    assert FILTERS['md_inline']('<x>') == '\\<x\\>'
    assert FILTERS['md_fence']('x', 'json') == '```json\nx\n```'
    assert FILTERS['evidence_view']({'licctl_id': 0})['kind'] == 'map'
    assert FILTERS['html_escaped'](['<b>']) == ['&lt;b&gt;']
