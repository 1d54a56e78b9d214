# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import calendar
import copy
import json
import time
from pathlib import Path

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._report import (
    build_report,
    compare,
    decide,
    evidence_view,
    html_escaped,
    md_fence,
    md_inline,
    normalize_hosts,
    problems,
    prom_label,
    read_previous,
    stats_summary,
    utc_epoch,
)

SCHEMA = Path(__file__).resolve().parents[4] / 'roles' / 'report' / 'files' / 'report.schema.json'
T1 = '2026-11-23T14:30:05Z'
T2 = '2026-11-23T15:30:05Z'
T3 = '2026-11-23T16:30:05Z'


def finding(check_id, severity='warning', key='', **extra):
    return dict({'id': check_id, 'key': key, 'severity': severity, 'summary': check_id + ' seen',
                 'evidence': {'n': 1}, 'fix': 'fix ' + check_id}, **extra)


def host(name, *findings, reachable=True):
    return {'host': name, 'reachable': reachable, 'swept_at': T1, 'summary': {'os': 'AlmaLinux 9.4'},
            'findings': list(findings)}


def fleet():
    return [
        host('bm01'),
        host('bm02', finding('license_unlinked', 'critical'), finding('disk_low', key='/var'),
             finding('disk_low', key='/'), finding('trial_used', 'info')),
        host('bm03', finding('unreachable', 'critical'), reachable=False),
    ]


def report(hosts, previous=None, at=T1, fail_on='critical'):
    return build_report(hosts, previous=previous, generated_at=at, sweep_id=at.replace('-', '').replace(':', ''),
                        fail_on=fail_on)


def by_host(built):
    return {record['host']: record for record in built['hosts']}


def statuses(record):
    return {(f['id'], f['key']): f['since_last'] for f in record['findings'] + record['resolved']}


# ---------------------------------------------------------------- input contract

def test_a_good_fleet_has_no_problems():
    assert problems(fleet()) == []


@pytest.mark.parametrize('hosts,expected', [
    ('bm01', 'must be a list of host records, got str'),
    ([['bm01']], 'billmgr_report_hosts[0] must be a dict, got list'),
    ([{'findings': []}], 'billmgr_report_hosts[0]: host must be a non-empty string'),
    ([host('bm01'), host('bm01')], 'billmgr_report_hosts[1] (bm01): host appears twice'),
    ([dict(host('bm01'), reachable='maybe')], "reachable must be true or false, got 'maybe'"),
    ([dict(host('bm01'), summary=['x'])], 'summary must be a dict'),
    ([dict(host('bm01'), findings='none')], 'findings must be a list'),
    ([host('bm01', 'disk_low')], 'findings[0] must be a dict, got str'),
    ([host('bm01', finding(''))], 'findings[0]: id must be a non-empty string'),
    ([host('bm01', finding('disk_low', 'high'))],
     "findings[0] (disk_low): severity must be one of critical, warning, info, got 'high'"),
    ([host('bm01', finding('disk_low', key=['/']))], 'key must be a string (or a number)'),
    ([host('bm01', finding('disk_low', key=True))], 'key must be a string (or a number)'),
    ([host('bm01', finding('disk_low', summary=''))], 'summary must be a non-empty string'),
    ([host('bm01', finding('disk_low', fix=['a']))], 'fix must be a string'),
    ([host('bm01', finding('disk_low', key='/'), finding('disk_low', key='/'))],
     "billmgr_report_hosts[0] (bm01) findings[1] (disk_low): a second finding with id 'disk_low' and key '/'"),
])
def test_each_broken_contract_is_named(hosts, expected):
    found = problems(hosts)
    assert len(found) == 1, found
    assert expected in found[0]


def test_every_problem_is_listed_not_only_the_first():
    hosts = [host('bm01', finding('a', 'high'), finding('b', summary=None)), {'host': ''}]
    assert len(problems(hosts)) == 3


def test_awx_strings_and_missing_fields_are_normalized():
    record = {'host': 'bm01', 'reachable': 'false',
              'findings': [{'id': 'itemevent_backlog', 'key': 4711, 'severity': 'warning', 'summary': 's'}]}
    assert problems([record]) == []
    [normalized] = normalize_hosts([record])
    assert normalized['reachable'] is False
    assert normalized['summary'] == {}
    assert normalized['swept_at'] is None
    assert normalized['findings'] == [{'id': 'itemevent_backlog', 'key': '4711', 'severity': 'warning',
                                       'summary': 's', 'evidence': None, 'fix': ''}]


# ---------------------------------------------------------------- since the last sweep

def test_first_sweep_marks_everything_new():
    built = report(fleet())
    for record in built['hosts']:
        assert record['resolved'] == []
        for item in record['findings']:
            assert item['since_last'] == 'new'
            assert item['first_seen'] == T1
    assert built['sweep']['previous'] is None


def test_second_sweep_marks_new_ongoing_and_resolved():
    first = report(fleet())
    hosts = fleet()
    bm02 = hosts[1]
    bm02['findings'] = [f for f in bm02['findings'] if f['key'] != '/var'] + [finding('memory_low')]
    second = report(hosts, previous=json.dumps(first), at=T2)
    assert statuses(by_host(second)['bm02']) == {
        ('license_unlinked', ''): 'ongoing',
        ('disk_low', '/'): 'ongoing',
        ('trial_used', ''): 'ongoing',
        ('memory_low', ''): 'new',
        ('disk_low', '/var'): 'resolved',
    }
    [gone] = by_host(second)['bm02']['resolved']
    assert gone == {'id': 'disk_low', 'key': '/var', 'severity': 'warning', 'summary': 'disk_low seen',
                    'since_last': 'resolved', 'first_seen': T1, 'last_seen': T1}
    assert second['sweep']['previous'] == {'id': '20261123T143005Z', 'generated_at': T1}
    assert second['summary']['since_last'] == {'new': 1, 'ongoing': 4, 'resolved': 1}


def test_first_seen_survives_a_chain_of_sweeps():
    first = report(fleet())
    second = report(fleet(), previous=first, at=T2)
    third = report(fleet(), previous=second, at=T3)
    license_finding = by_host(third)['bm02']['findings'][0]
    assert license_finding['id'] == 'license_unlinked'
    assert license_finding['since_last'] == 'ongoing'
    assert license_finding['first_seen'] == T1


def test_an_unreachable_host_resolves_nothing_and_a_missing_host_is_not_judged():
    first = report(fleet())
    hosts = [host('bm02', finding('unreachable', 'critical'), reachable=False), fleet()[2]]
    second = report(hosts, previous=first, at=T2)
    assert by_host(second)['bm02']['resolved'] == []
    assert statuses(by_host(second)['bm02']) == {('unreachable', ''): 'new'}
    assert 'bm01' not in by_host(second)
    assert second['summary']['since_last']['resolved'] == 0


def test_a_host_back_online_resolves_its_unreachable_finding():
    first = report(fleet())
    hosts = fleet()
    hosts[2] = host('bm03', finding('disk_low', key='/'))
    second = report(hosts, previous=first, at=T2)
    assert statuses(by_host(second)['bm03']) == {('disk_low', '/'): 'new', ('unreachable', ''): 'resolved'}


def test_same_id_on_another_host_or_with_another_key_is_a_different_finding():
    first = report([host('bm01', finding('disk_low', key='/'))])
    second = report([host('bm01', finding('disk_low', key='/home')), host('bm02', finding('disk_low', key='/'))],
                    previous=first, at=T2)
    assert statuses(by_host(second)['bm01']) == {('disk_low', '/home'): 'new', ('disk_low', '/'): 'resolved'}
    assert statuses(by_host(second)['bm02']) == {('disk_low', '/'): 'new'}


def test_a_numeric_key_matches_its_text_in_the_previous_report():
    first = report([host('bm01', finding('itemevent_backlog', key=4711))])
    second = report([host('bm01', finding('itemevent_backlog', key='4711'))], previous=first, at=T2)
    assert statuses(by_host(second)['bm01']) == {('itemevent_backlog', '4711'): 'ongoing'}


@pytest.mark.parametrize('previous,note', [
    ('{"hosts": [', 'not valid JSON'),
    ('[]', 'has no sweep and hosts'),
    ({'hosts': 'x', 'sweep': {}}, 'has no sweep and hosts'),
])
def test_a_damaged_previous_report_is_ignored_with_a_note(previous, note):
    built = report(fleet(), previous=previous, at=T2)
    assert built['sweep']['previous'] is None
    assert len(built['notes']) == 1 and note in built['notes'][0]
    assert built['summary']['since_last']['ongoing'] == 0


@pytest.mark.parametrize('previous', [None, '', {}])
def test_no_previous_report_is_no_note(previous):
    assert read_previous(previous) == (None, None)


def test_previous_records_of_unexpected_shape_are_skipped():
    previous = {'sweep': {'id': 'x', 'generated_at': T1},
                'hosts': ['bm01', {'host': 'bm01', 'findings': ['x', {'key': 'no id'}, finding('disk_low')]}]}
    second = report([host('bm01')], previous=previous, at=T2)
    assert statuses(by_host(second)['bm01']) == {('disk_low', ''): 'resolved'}


def test_compare_leaves_its_input_alone():
    hosts = fleet()
    kept = copy.deepcopy(hosts)
    compare(hosts, None, T1)
    assert hosts == kept


# ---------------------------------------------------------------- order, summary, decision

def test_hosts_worst_first_then_by_name_and_findings_by_severity():
    hosts = [host('zz', finding('a', 'info')), host('bm01'), host('bm02', finding('b', 'info'), finding('c', 'critical')),
             host('aa', finding('d'))]
    built = report(hosts)
    assert [r['host'] for r in built['hosts']] == ['bm02', 'aa', 'zz', 'bm01']
    assert [f['id'] for f in built['hosts'][0]['findings']] == ['c', 'b']
    assert [r['worst'] for r in built['hosts']] == ['critical', 'warning', 'info', 'clean']


def test_summary_counts():
    summary = report(fleet())['summary']
    assert summary['hosts'] == {'total': 3, 'reachable': 2, 'unreachable': 1,
                                'critical': 2, 'warning': 0, 'info': 0, 'clean': 1}
    assert summary['findings'] == {'critical': 2, 'warning': 2, 'info': 1, 'total': 5}
    assert summary['hosts_by_worst'] == {'critical': ['bm02', 'bm03'], 'warning': [], 'info': [], 'clean': ['bm01']}
    assert summary['hosts_unreachable'] == ['bm03']
    assert summary['checks'] == [
        {'id': 'license_unlinked', 'severity': 'critical', 'hosts': 1, 'findings': 1},
        {'id': 'unreachable', 'severity': 'critical', 'hosts': 1, 'findings': 1},
        {'id': 'disk_low', 'severity': 'warning', 'hosts': 1, 'findings': 2},
        {'id': 'trial_used', 'severity': 'info', 'hosts': 1, 'findings': 1},
    ]


def test_a_check_takes_its_worst_severity_across_hosts():
    built = report([host('a', finding('log_errors', 'info')), host('b', finding('log_errors', 'critical'))])
    assert built['summary']['checks'] == [{'id': 'log_errors', 'severity': 'critical', 'hosts': 2, 'findings': 2}]


@pytest.mark.parametrize('fail_on,failing', [
    ('critical', 2),
    ('warning', 4),
    ('info', 5),
    ('never', 0),
])
def test_decision_counts_findings_at_or_above_fail_on(fail_on, failing):
    decision = report(fleet(), fail_on=fail_on)['decision']
    assert decision['fail_on'] == fail_on
    assert len(decision['failing']) == failing
    assert decision['failed'] is (failing > 0)


def test_a_clean_fleet_passes_even_on_info():
    assert decide(compare([host('bm01')], None, T1), 'info') == {'fail_on': 'info', 'failed': False, 'failing': []}


def test_unknown_fail_on_is_refused():
    with pytest.raises(ValueError, match="fail_on must be one of critical, warning, info, never, got 'high'"):
        decide([], 'high')


def test_build_refuses_broken_input_and_missing_time():
    with pytest.raises(ValueError, match='severity must be one of'):
        report([host('bm01', finding('x', 'high'))])
    with pytest.raises(ValueError, match='generated_at and sweep_id are required'):
        build_report(fleet())


def test_report_validates_against_the_documented_schema():
    jsonschema = pytest.importorskip('jsonschema', reason='jsonschema comes with ansible-lint in .venv')
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    first = report(fleet())
    hosts = fleet()
    hosts[1]['findings'].pop(1)
    second = report(hosts, previous=first, at=T2, fail_on='never')
    damaged = report(fleet(), previous='not json', at=T2)
    for built in (first, second, damaged):
        validator.validate(json.loads(json.dumps(built)))
    broken = json.loads(json.dumps(second))
    broken['hosts'][0]['findings'][0]['since_last'] = 'resolved'
    assert not validator.is_valid(broken)


def test_sweep_time_is_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv('TZ', 'Asia/Vladivostok')
    time.tzset()
    try:
        assert utc_epoch(T1) == calendar.timegm((2026, 11, 23, 14, 30, 5))
        assert report(fleet())['sweep']['epoch'] == calendar.timegm((2026, 11, 23, 14, 30, 5))
    finally:
        monkeypatch.undo()
        time.tzset()


# ---------------------------------------------------------------- set_stats summary

def test_stats_summary_is_small_and_capped():
    hosts = [host('bm%02d' % n, finding('license_unlinked', 'critical')) for n in range(30)]
    built = report(hosts, fail_on='warning')
    stats = stats_summary(built, '/srv/reports/20261123T143005Z', max_items='5')
    assert stats['critical_hosts'] == ['bm00', 'bm01', 'bm02', 'bm03', 'bm04']
    assert stats['failing'] == ['bm00: license_unlinked', 'bm01: license_unlinked', 'bm02: license_unlinked',
                                'bm03: license_unlinked', 'bm04: license_unlinked']
    assert stats['truncated'] is True
    assert stats['hosts'] == 30
    assert stats['hosts_with_critical'] == 30
    assert stats['findings'] == {'critical': 30, 'warning': 0, 'info': 0, 'total': 30}
    assert stats['report_dir'] == '/srv/reports/20261123T143005Z'
    assert (stats['fail_on'], stats['failed']) == ('warning', True)


def test_stats_summary_of_a_small_fleet_is_whole():
    stats = stats_summary(report(fleet()), '/r', max_items=20)
    assert stats == {
        'sweep': '20261123T143005Z', 'generated_at': T1, 'report_dir': '/r',
        'hosts': 3, 'hosts_unreachable': 1, 'hosts_with_critical': 2,
        'findings': {'critical': 2, 'warning': 2, 'info': 1, 'total': 5},
        'since_last': {'new': 5, 'ongoing': 0, 'resolved': 0},
        'critical_hosts': ['bm02', 'bm03'], 'unreachable_hosts': ['bm03'],
        'failing': ['bm02: license_unlinked', 'bm03: unreachable'],
        'truncated': False, 'fail_on': 'critical', 'failed': True,
    }


def test_stats_failing_names_the_key():
    stats = stats_summary(report([host('bm01', finding('disk_low', 'critical', key='/var'))]), '/r')
    assert stats['failing'] == ['bm01: disk_low[/var]']


# ---------------------------------------------------------------- presentation helpers

def test_evidence_scalars_read_as_json():
    assert evidence_view(None) == {'kind': 'text', 'text': 'null'}
    assert evidence_view(True) == {'kind': 'text', 'text': 'true'}
    assert evidence_view(0.5) == {'kind': 'text', 'text': '0.5'}
    assert evidence_view('<b>') == {'kind': 'text', 'text': '<b>'}


def test_evidence_log_lines_are_lines():
    assert evidence_view(['a', 1, None]) == {'kind': 'lines', 'lines': ['a', '1', 'null']}
    assert evidence_view([]) == {'kind': 'lines', 'lines': []}


def test_evidence_rows_are_a_table_over_the_union_of_keys():
    view = evidence_view([{'item': 4711, 'reason': 'not_enough_money'},
                          {'item': 4712, 'amounts': {'balance': -5}}])
    assert view == {'kind': 'rows', 'columns': ['item', 'reason', 'amounts'],
                    'rows': [['4711', 'not_enough_money', ''], ['4712', '', '{"balance": -5}']]}


def test_evidence_dicts_and_mixed_lists_nest_until_too_deep():
    view = evidence_view({'free': 3, 'mounts': [{'m': '/'}, 'x'], 'deep': {'a': {'b': {'c': 1}}}})
    assert view['kind'] == 'map'
    items = {item['key']: item['value'] for item in view['items']}
    assert items['free'] == {'kind': 'text', 'text': '3'}
    assert items['mounts'] == {'kind': 'list', 'items': [
        {'kind': 'map', 'items': [{'key': 'm', 'value': {'kind': 'text', 'text': '/'}}]},
        {'kind': 'text', 'text': 'x'}]}
    assert items['deep']['items'][0]['value']['items'][0]['value'] == {'kind': 'json', 'text': '{\n  "c": 1\n}'}


def test_html_escaping_reaches_every_string_and_key_and_nothing_else():
    data = {'<k>': ['<script>"x"</script>', 1, None, True, {'a&b': ("it's",)}], 'n': 2.5}
    assert html_escaped(data) == {
        '&lt;k&gt;': ['&lt;script&gt;&quot;x&quot;&lt;/script&gt;', 1, None, True, {'a&amp;b': ['it&#x27;s']}],
        'n': 2.5}
    assert data['<k>'][0] == '<script>"x"</script>'


def test_an_escaped_report_still_builds_its_evidence_view():
    escaped = html_escaped(report([host('bm01', finding('log_errors', evidence=['<script>']))]))
    view = evidence_view(escaped['hosts'][0]['findings'][0]['evidence'])
    assert view == {'kind': 'lines', 'lines': ['&lt;script&gt;']}


def test_prometheus_label_escapes():
    assert prom_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert prom_label(4711) == '4711'


def test_markdown_inline_cannot_open_markup():
    assert md_inline('license_unlinked') == 'license_unlinked'
    assert md_inline('<script>x</script> | *a* _b_ [c](d) `e` #f &g') == \
        '\\<script\\>x\\</script\\> \\| \\*a\\* \\_b\\_ \\[c\\](d) \\`e\\` \\#f \\&g'
    assert md_inline('two\nlines\t here') == 'two lines here'


def test_markdown_fence_outlasts_backticks_inside():
    assert md_fence('plain\n') == '```\nplain\n```'
    assert md_fence('a ```` b', 'text') == '`````text\na ```` b\n`````'
