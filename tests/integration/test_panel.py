"""Issue 15, part 3: the panel answers. The lab's ihttpd serves TLS with a generated certificate on
each host's address, port 1500 (tests/lab/scenarios/panel.yml): bm01 healthy, bm02 panel down while
mgrctl answers, bm03 a certificate 2 days from expiry made out to another name."""

import json

import pytest

from conftest import REPO

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'panel.yml'
PLAYBOOK = REPO / 'playbooks' / 'health.yml'


@pytest.fixture(scope='module')
def panel_lab(lab_manager):
    return lab_manager.get(SCENARIO)


def sweep(lab, report_dir, extra=None):
    extra_vars = {'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never'}
    extra_vars.update(extra or {})
    proc = lab.playbook(PLAYBOOK, extra_vars=extra_vars)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads((report_dir / 'latest' / 'report.json').read_text())
    return {record['host']: record for record in report['hosts']}


def panel_ids(record):
    return {(f['id'], f['severity']) for f in record['findings'] if f['id'].startswith('panel')}


@pytest.fixture(scope='module')
def swept(panel_lab, tmp_path_factory):
    return sweep(panel_lab, tmp_path_factory.mktemp('reports'))


def test_the_facts_module_reads_the_panel_where_ihttpd_conf_says(panel_lab):
    results, proc = panel_lab.module('bm01', 'billmgr.ops.billmgr_facts', {'gather': ['panel']})
    panel = results['bm01']['billmgr_facts']['panel']
    assert panel['config_found'] and not panel['assumed_default'], proc.stdout[-2000:]
    entry = panel['endpoints'][0]
    assert (entry['address'], entry['port'], entry['answers']) == (panel_lab.address('bm01'), 1500, True)
    cert = entry['certificate']
    assert cert['name_matches'] and cert['names_checked'] == ['bm01'] and cert['days_left'] > 100


def test_a_healthy_panel_has_no_finding(swept):
    assert panel_ids(swept['bm01']) == set()


def test_a_panel_down_while_mgrctl_answers_is_its_own_finding(swept):
    record = swept['bm02']
    assert panel_ids(record) == {('panel_down', 'critical')}
    assert 'platform_down' not in {f['id'] for f in record['findings']}
    down = [f for f in record['findings'] if f['id'] == 'panel_down'][0]
    assert down['evidence']['endpoints'][0]['port'] == 1500 and down['evidence']['endpoints'][0]['error']


def test_an_expiring_certificate_for_another_name_gives_both_findings(swept):
    record = swept['bm03']
    assert panel_ids(record) == {('panel_cert_expiring', 'critical'), ('panel_cert_name_mismatch', 'warning')}
    expiring = [f for f in record['findings'] if f['id'] == 'panel_cert_expiring'][0]
    assert expiring['evidence']['days_left'] == 2 and expiring['evidence']['dns_names'] == ['panel.wrong-name.invalid']


def test_thresholds_and_names_are_role_variables(panel_lab, tmp_path):
    records = sweep(panel_lab, tmp_path, {'billmgr_health_panel_cert_warning_days': 5,
                                          'billmgr_health_panel_cert_critical_days': 1,
                                          'billmgr_health_panel_names': ['panel.wrong-name.invalid']})
    assert panel_ids(records['bm03']) == {('panel_cert_expiring', 'warning')}
    # bm01's certificate names bm01, not the name given now.
    assert panel_ids(records['bm01']) == {('panel_cert_name_mismatch', 'warning')}


def test_the_reports_show_the_panel_findings(panel_lab, tmp_path):
    sweep(panel_lab, tmp_path)
    markdown = (tmp_path / 'latest' / 'report.md').read_text()
    html = (tmp_path / 'latest' / 'report.html').read_text()
    for check in ('panel_down', 'panel_cert_expiring', 'panel_cert_name_mismatch'):
        assert check.replace('_', '\\_') in markdown or check in markdown, check
        assert check in html, check
