"""The health report's fleet views over tests/lab/scenarios/fleet_views.yml: one row for the same
error on two hosts, and a host a platform version behind the others."""

import json

import pytest

from conftest import REPO

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'fleet_views.yml'
PLAYBOOK = REPO / 'playbooks' / 'health.yml'
BURST = ('missed', 'function')


@pytest.fixture(scope='module')
def swept(lab_manager, tmp_path_factory):
    lab = lab_manager.get(SCENARIO, fresh=True)
    report_dir = tmp_path_factory.mktemp('fleet-reports')
    proc = lab.playbook(PLAYBOOK, extra_vars={'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never'})
    latest = report_dir / 'latest'
    assert (latest / 'report.json').exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return (json.loads((latest / 'report.json').read_text()), (latest / 'report.md').read_text(),
            (latest / 'report.html').read_text())


def test_the_same_error_on_two_hosts_is_one_row(swept):
    report = swept[0]
    rows = [r for r in report['fleet_errors'] if (r['type'], r['object']) == BURST]
    assert len(rows) == 1, report['fleet_errors']
    row = rows[0]
    counts = {h['host']: h['records'] for h in row['hosts']}
    # The lab wrote the bursts (12 and 7 records in one thread each) in the last hour.
    assert counts.get('bm01', 0) >= 12 and counts.get('bm02', 0) >= 7
    assert row['host_count'] == len(counts) and row['records'] == sum(counts.values())
    assert row['first'] <= row['last']
    assert row['sample']['host'] in counts and row['sample']['thread_lines']
    assert any('payment_cash_register.check' in line for line in row['sample']['thread_lines'])
    host_counts = [r['host_count'] for r in report['fleet_errors']]
    assert host_counts == sorted(host_counts, reverse=True)


def test_the_host_a_version_behind_has_an_info_finding(swept):
    report = swept[0]
    versions = report['versions']
    assert versions['fleet_version'] == '6.112.0'
    assert versions['drifting'] == [{'host': 'bm02', 'version': '6.110.0', 'fleet_version': '6.112.0',
                                     'direction': 'older'}]
    findings = {h['host']: [f for f in h['findings'] if f['id'] == 'version_drift'] for h in report['hosts']}
    assert [f['severity'] for f in findings['bm02']] == ['info']
    assert findings['bm01'] == [] and findings['bm03'] == []


def test_markdown_and_html_show_both_views(swept):
    _, markdown, page = swept
    assert '## Errors across the fleet' in markdown and '## Platform versions' in markdown
    assert '| missed | function |' in markdown
    assert '| bm02 | 6.110.0 | 6.112.0 | older |' in markdown
    assert 'id="fleet-errors"' in page and 'id="version-drift"' in page
    assert '<td class="mono">6.110.0</td><td class="mono">6.112.0</td>' in page
