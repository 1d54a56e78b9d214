"""Issue 15, part 2: the license calendar of the fleet in report.json, .html, .md and the Prometheus
textfile, sorted by days left. Expiry dates come from each lab host's own license state, so nothing
here depends on today's date."""

import json
from datetime import date, datetime, timezone

import pytest

from conftest import REPO

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'panel.yml'
PLAYBOOK = REPO / 'playbooks' / 'health.yml'


@pytest.fixture(scope='module')
def swept(lab_manager, tmp_path_factory):
    lab = lab_manager.get(SCENARIO)
    report_dir = tmp_path_factory.mktemp('reports')
    prom = tmp_path_factory.mktemp('textfile') / 'billmgr_health.prom'
    proc = lab.playbook(PLAYBOOK, extra_vars={'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never',
                                              'billmgr_report_prometheus': True,
                                              'billmgr_report_prometheus_path': str(prom)})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return lab, report_dir / 'latest', prom


def lab_license(lab, host):
    return json.loads(lab.host_path(host, 'lab/license.json').read_text())


def test_the_calendar_has_every_host_soonest_first(swept):
    lab, latest, _prom = swept
    report = json.loads((latest / 'report.json').read_text())
    rows = report['license_calendar']
    assert [row['host'] for row in rows][0] == 'bm02'
    assert sorted(row['host'] for row in rows) == ['bm01', 'bm02', 'bm03']
    days = [row['days_left'] for row in rows]
    assert days == sorted(days)
    generated = datetime.strptime(report['sweep']['generated_at'], '%Y-%m-%dT%H:%M:%SZ').date()
    for row in rows:
        lic = lab_license(lab, row['host'])
        assert row['license_id'] == lic['id'] and row['expires'] == lic['expire']
        assert row['days_left'] == (date.fromisoformat(lic['expire']) - generated).days
    bm02 = rows[0]
    assert bm02['state'] == 'valid' and bm02['severity'] == 'warning'


def test_the_html_and_markdown_show_the_calendar(swept):
    lab, latest, _prom = swept
    markdown = (latest / 'report.md').read_text()
    html = (latest / 'report.html').read_text()
    assert '## License calendar' in markdown and 'id="license-calendar"' in html
    for host in ('bm01', 'bm02', 'bm03'):
        lic = lab_license(lab, host)
        assert lic['expire'] in markdown and lic['expire'] in html
    section = markdown.split('## License calendar', 1)[1]
    assert section.index('bm02') < section.index(lab_license(lab, 'bm01')['expire'])


def test_the_textfile_has_the_expiry_of_every_host(swept):
    lab, _latest, prom = swept
    text = prom.read_text()
    assert '# TYPE billmgr_license_expiry_timestamp_seconds gauge' in text
    for host in ('bm01', 'bm02', 'bm03'):
        lic = lab_license(lab, host)
        expire = date.fromisoformat(lic['expire'])
        epoch = int(datetime(expire.year, expire.month, expire.day, tzinfo=timezone.utc).timestamp())
        line = 'billmgr_license_expiry_timestamp_seconds{host="%s",license_id="%s"} %d' % (host, lic['id'], epoch)
        assert line in text, text
