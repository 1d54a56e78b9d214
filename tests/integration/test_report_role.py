"""The billmgr.ops.report role end to end: a tiny playbook on the controller includes it with fixed
findings of three hosts (one clean, one with a critical finding, one unreachable), twice, and the
reports it writes are checked as files, as data, and as a page rendered by a real browser.

Needs no lab fleet: the inventory's hosts are local stand-ins that never get a connection.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / 'roles' / 'report'
PLAYBOOK = REPO / 'tests' / 'integration' / 'playbooks' / 'report_fixture.yml'
SCHEMA = ROLE / 'files' / 'report.schema.json'
VENV_BIN = Path(sys.executable).parent
SWEEP_NAME = re.compile(r'^\d{8}T\d{6}Z$')
PROM_FINDING = re.compile(r'^billmgr_findings\{host="([^"]*)",id="([^"]*)",severity="([^"]*)"(?:,key="([^"]*)")?\} 1$')
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run']


def ansible_env():
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': str(REPO / '.build'),
        'ANSIBLE_CONFIG': str(REPO / 'ansible.cfg'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_CALLBACK_RESULT_FORMAT': 'json',
        'ANSIBLE_SHOW_CUSTOM_STATS': '1',
    })
    return env


def recap(stdout):
    """PLAY RECAP as {host: {ok, changed, failed, ...}}."""
    counts = {}
    for line in stdout.split('PLAY RECAP', 1)[-1].splitlines():
        host, sep, rest = line.partition(' : ')
        if sep:
            counts[host.strip()] = {k: int(v) for k, v in (item.split('=') for item in rest.split())}
    return counts


def custom_stats(stdout):
    """What set_stats left for the run, as the default callback prints it."""
    _, sep, rest = stdout.partition('\tRUN: ')
    assert sep, 'no CUSTOM STATS in the output:\n' + stdout[-3000:]
    return json.JSONDecoder().raw_decode(rest)[0]


class Controller:
    """ansible-playbook runs of the fixture against one report directory."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.inventory = workdir / 'inventory.ini'
        self.inventory.write_text('[fleet]\nbm01\nbm02\nbm03\n\n[fleet:vars]\nansible_connection=local\n'
                                  'ansible_python_interpreter=%s\n' % sys.executable)

    def run(self, report_dir, extra_vars=None, args=()):
        argv = [str(VENV_BIN / 'ansible-playbook'), '-i', str(self.inventory), str(PLAYBOOK),
                '-e', json.dumps(dict({'billmgr_report_dir': str(report_dir)}, **(extra_vars or {})))]
        argv += list(args)
        return subprocess.run(argv, capture_output=True, text=True, env=ansible_env(), timeout=600, cwd=REPO)


def sweeps(report_dir):
    return sorted(p.name for p in report_dir.iterdir() if SWEEP_NAME.match(p.name))


def load(report_dir, name='latest'):
    return json.loads((report_dir / name / 'report.json').read_text())


def findings_of(report):
    """{(host, id, key): since_last} over current and resolved findings."""
    found = {}
    for record in report['hosts']:
        for finding in record['findings'] + record['resolved']:
            found[(record['host'], finding['id'], finding['key'])] = finding['since_last']
    return found


@pytest.fixture(scope='module')
def controller():
    workdir = Path(tempfile.mkdtemp(prefix='billmgr-report-'))
    try:
        yield Controller(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='module')
def two_sweeps(controller):
    """Round 1 with the default fail_on (critical), round 2 with AWX-survey strings for every
    option; between them disk_low on bm02 was fixed and memory_low appeared."""
    report_dir = controller.workdir / 'reports'
    first = controller.run(report_dir, {'fixture_round': 1})
    after_first = sweeps(report_dir)
    prom = controller.workdir / 'textfile' / 'billmgr_health.prom'
    prom.parent.mkdir()
    second = controller.run(report_dir, {
        'fixture_round': '2',
        'billmgr_report_fail_on': 'never',
        'billmgr_report_prometheus': 'true',
        'billmgr_report_prometheus_path': str(prom),
        'billmgr_report_stats_max_items': '24',
    })
    return {'dir': report_dir, 'first': first, 'second': second, 'after_first': after_first, 'prom': prom}


# ---------------------------------------------------------------- files and the latest link

def test_each_sweep_writes_its_own_directory_once(two_sweeps):
    report_dir = two_sweeps['dir']
    assert len(two_sweeps['after_first']) == 1, two_sweeps['first'].stdout[-3000:]
    names = sweeps(report_dir)
    assert len(names) == 2, two_sweeps['second'].stdout[-3000:]
    assert names[0] == two_sweeps['after_first'][0]
    for name in names:
        files = sorted(p.name for p in (report_dir / name).iterdir())
        assert files == ['report.html', 'report.json', 'report.md']
        assert (report_dir / name / 'report.json').stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in report_dir.iterdir()) == names + ['latest']


def test_modes_of_the_sweep_directory_and_the_textfile(two_sweeps):
    for name in sweeps(two_sweeps['dir']):
        assert (two_sweeps['dir'] / name).stat().st_mode & 0o777 == 0o750
        assert (two_sweeps['dir'] / name / 'report.html').stat().st_mode & 0o777 == 0o640
    assert two_sweeps['prom'].stat().st_mode & 0o777 == 0o644


def test_a_damaged_previous_report_is_noted_and_the_sweep_goes_on(controller, tmp_path):
    report_dir = tmp_path / 'reports'
    (report_dir / '20200101T000000Z').mkdir(parents=True)
    (report_dir / '20200101T000000Z' / 'report.json').write_text('{"hosts": [')
    result = controller.run(report_dir, {'fixture_round': 2, 'billmgr_report_fail_on': 'never'})
    assert result.returncode == 0, result.stdout[-3000:]
    report = load(report_dir)
    assert report['notes'][0].startswith('The previous report is not valid JSON')
    assert set(findings_of(report).values()) == {'new'}
    assert (report_dir / '20200101T000000Z' / 'report.json').read_text() == '{"hosts": ['


def test_latest_that_is_not_a_link_is_kept_and_named(controller, tmp_path):
    report_dir = tmp_path / 'reports'
    (report_dir / 'latest').mkdir(parents=True)
    (report_dir / 'latest' / 'mine.txt').write_text('an operator put this here')
    result = controller.run(report_dir, {'fixture_round': 2, 'billmgr_report_fail_on': 'never'})
    assert result.returncode == 2
    assert 'latest exists and is not a symlink; move it away' in result.stdout
    assert (report_dir / 'latest' / 'mine.txt').read_text() == 'an operator put this here'
    assert len(sweeps(report_dir)) == 1


def test_latest_points_at_the_newest_sweep(two_sweeps):
    latest = two_sweeps['dir'] / 'latest'
    assert latest.is_symlink()
    assert os.readlink(latest) == sweeps(two_sweeps['dir'])[-1]


def test_sweep_names_are_their_utc_time(two_sweeps):
    report = load(two_sweeps['dir'])
    assert report['sweep']['id'] == sweeps(two_sweeps['dir'])[-1]
    assert report['sweep']['id'] == report['sweep']['generated_at'].replace('-', '').replace(':', '')
    assert report['sweep']['generated_at'].endswith('Z')


# ---------------------------------------------------------------- the data

def test_reports_validate_against_the_documented_schema(two_sweeps):
    jsonschema = pytest.importorskip('jsonschema', reason='jsonschema comes with ansible-lint in .venv')
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for name in sweeps(two_sweeps['dir']):
        errors = sorted(validator.iter_errors(load(two_sweeps['dir'], name)), key=lambda e: list(e.path))
        assert not errors, '\n'.join('%s: %s' % (list(e.path), e.message) for e in errors)


def test_first_sweep_marks_everything_new(two_sweeps):
    report = load(two_sweeps['dir'], sweeps(two_sweeps['dir'])[0])
    assert report['sweep']['previous'] is None
    assert findings_of(report) == {
        ('bm02', 'license_unlinked', ''): 'new',
        ('bm02', 'log_errors', 'db_error'): 'new',
        ('bm02', 'disk_low', '/var'): 'new',
        ('bm03', 'unreachable', ''): 'new',
    }


def test_second_sweep_marks_new_ongoing_and_resolved(two_sweeps):
    first_name, second_name = sweeps(two_sweeps['dir'])
    first = load(two_sweeps['dir'], first_name)
    report = load(two_sweeps['dir'], second_name)
    assert report['sweep']['previous'] == {'id': first_name, 'generated_at': first['sweep']['generated_at']}
    assert findings_of(report) == {
        ('bm02', 'license_unlinked', ''): 'ongoing',
        ('bm02', 'log_errors', 'db_error'): 'ongoing',
        ('bm02', 'memory_low', ''): 'new',
        ('bm02', 'disk_low', '/var'): 'resolved',
        ('bm03', 'unreachable', ''): 'ongoing',
    }
    bm02 = next(r for r in report['hosts'] if r['host'] == 'bm02')
    license_finding = next(f for f in bm02['findings'] if f['id'] == 'license_unlinked')
    assert license_finding['first_seen'] == first['sweep']['generated_at']
    assert report['summary']['since_last'] == {'new': 1, 'ongoing': 3, 'resolved': 1}


def test_every_host_is_reported_worst_first_with_its_summary(two_sweeps):
    report = load(two_sweeps['dir'])
    assert [(r['host'], r['reachable'], r['worst']) for r in report['hosts']] == [
        ('bm02', True, 'critical'), ('bm03', False, 'critical'), ('bm01', True, 'clean')]
    bm01 = report['hosts'][2]
    assert bm01['summary'] == {'os': 'AlmaLinux 9.4', 'platform_version': '6.112.0', 'license_id': 123456,
                               'mgr_root': '/usr/local/mgr5'}
    assert report['summary']['hosts_unreachable'] == ['bm03']


def test_evidence_is_kept_as_data(two_sweeps):
    report = load(two_sweeps['dir'])
    bm02 = report['hosts'][0]
    log_errors = next(f for f in bm02['findings'] if f['id'] == 'log_errors')
    assert log_errors['evidence']['count'] == 12
    assert "<script>alert('pwned')</script>" in log_errors['evidence']['sample_thread'][1]
    assert 'Ошибка' in (two_sweeps['dir'] / 'latest' / 'report.json').read_text(encoding='utf-8')


# ---------------------------------------------------------------- the decision and the recap

def test_critical_findings_fail_the_run_after_every_report_is_written(two_sweeps):
    first = two_sweeps['first']
    assert first.returncode == 2, first.stdout[-3000:]
    assert "2 finding(s) at or above 'critical': bm02: license_unlinked, bm03: unreachable" in first.stdout
    decision_at = first.stdout.index('Decide | Fail when a finding reaches')
    for step in ('Write report.json, report.html and report.md, then point latest at them',
                 'Leave the summary to AWX'):
        assert first.stdout.index(step) < decision_at, step
    report = load(two_sweeps['dir'], sweeps(two_sweeps['dir'])[0])
    assert report['decision']['failed'] is True
    assert report['decision']['fail_on'] == 'critical'


def test_never_as_a_survey_string_passes(two_sweeps):
    second = two_sweeps['second']
    assert second.returncode == 0, second.stdout[-3000:]
    assert 'No finding fails the run (fail_on is never)' in second.stdout
    assert load(two_sweeps['dir'])['decision'] == {'fail_on': 'never', 'failed': False, 'failing': []}


def test_reports_count_as_no_change_and_run_once(two_sweeps):
    for result in (two_sweeps['first'], two_sweeps['second']):
        counts = recap(result.stdout)
        assert list(counts) == ['bm01'], result.stdout[-2000:]
        assert counts['bm01']['changed'] == 0


def test_set_stats_leaves_a_small_summary(two_sweeps):
    stats = custom_stats(two_sweeps['second'].stdout)['billmgr_report_summary']
    assert stats['report_dir'] == str(two_sweeps['dir'] / sweeps(two_sweeps['dir'])[-1])
    assert stats['findings'] == {'critical': 2, 'warning': 2, 'info': 0, 'total': 4}
    assert stats['since_last'] == {'new': 1, 'ongoing': 3, 'resolved': 1}
    assert stats['critical_hosts'] == ['bm02', 'bm03']
    assert stats['unreachable_hosts'] == ['bm03']
    assert (stats['hosts'], stats['hosts_unreachable'], stats['hosts_with_critical']) == (3, 1, 2)
    assert (stats['fail_on'], stats['failed'], stats['truncated']) == ('never', False, False)


@pytest.mark.parametrize('fail_on,code', [('info', 0), ('critical', 0)])
def test_a_clean_fleet_is_green(controller, tmp_path, fail_on, code):
    result = controller.run(tmp_path / 'reports', {'fixture_round': 'clean', 'billmgr_report_fail_on': fail_on})
    assert result.returncode == code, result.stdout[-3000:]
    report = load(tmp_path / 'reports')
    assert report['summary']['hosts']['clean'] == 3
    assert report['decision'] == {'fail_on': fail_on, 'failed': False, 'failing': []}


def test_warning_fails_on_warnings(controller, tmp_path):
    result = controller.run(tmp_path / 'reports', {'fixture_round': 2, 'billmgr_report_fail_on': 'warning'})
    assert result.returncode == 2
    assert "4 finding(s) at or above 'warning'" in result.stdout
    assert (tmp_path / 'reports' / 'latest' / 'report.html').is_file()


def test_check_mode_still_writes_the_reports(controller, tmp_path):
    result = controller.run(tmp_path / 'reports', {'fixture_round': 2, 'billmgr_report_fail_on': 'never'},
                            args=['--check'])
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / 'reports' / 'latest' / 'report.json').is_file()


# ---------------------------------------------------------------- refusals before anything is written

def test_a_broken_contract_is_named_and_nothing_is_written(controller, tmp_path):
    twice = {'id': 'disk_low', 'key': '/var', 'severity': 'warning', 'summary': 'low'}
    hosts = [{'host': 'bm01', 'reachable': True, 'findings': [twice, twice]}]
    result = controller.run(tmp_path / 'reports', {'billmgr_report_hosts': hosts})
    assert result.returncode == 2
    assert "billmgr_report_hosts[0] (bm01) findings[1] (disk_low): a second finding with id 'disk_low' and key '/var'" \
        in result.stdout
    assert not (tmp_path / 'reports').exists()


@pytest.mark.parametrize('extra,message', [
    ({'billmgr_report_fail_on': 'sometimes'}, 'billmgr_report_fail_on must be one of: critical, warning, info, never'),
    ({'billmgr_report_hosts': [{'host': 'bm01', 'findings': [
        {'id': 'x', 'severity': 'high', 'summary': 's'}]}]}, 'severity must be one of: critical, warning, info'),
    ({'billmgr_report_dir': 'reports'}, 'billmgr_report_dir must be an absolute path'),
    ({'billmgr_report_prometheus': 'yes', 'billmgr_report_prometheus_path': '/tmp/billmgr.txt'},
     'must be an absolute path ending in .prom'),
    ({'billmgr_report_hosts': []}, 'billmgr_report_hosts is empty'),
])
def test_bad_variables_are_refused_with_a_clear_message(controller, tmp_path, extra, message):
    extra = dict(extra)
    report_dir = extra.pop('billmgr_report_dir', str(tmp_path / 'reports'))
    result = controller.run(report_dir, extra)
    assert result.returncode == 2
    assert message in re.sub(r'\s+', ' ', result.stdout + result.stderr)
    assert not (tmp_path / 'reports').exists()


# ---------------------------------------------------------------- Prometheus textfile

def test_prometheus_textfile_has_a_series_per_finding(two_sweeps):
    report = load(two_sweeps['dir'])
    lines = two_sweeps['prom'].read_text().splitlines()
    series = [PROM_FINDING.match(line).groups() for line in lines if line.startswith('billmgr_findings{')]
    expected = [(r['host'], f['id'], f['severity'], f['key'] or None) for r in report['hosts'] for f in r['findings']]
    assert sorted(series, key=str) == sorted(expected, key=str)
    assert 'billmgr_findings{host="bm02",id="license_unlinked",severity="critical"} 1' in lines
    assert 'billmgr_sweep_timestamp_seconds %d' % report['sweep']['epoch'] in lines
    assert 'billmgr_sweep_findings{severity="critical"} 2' in lines
    assert 'billmgr_sweep_hosts{state="unreachable"} 1' in lines


def test_prometheus_textfile_is_valid_exposition_text(two_sweeps):
    text = two_sweeps['prom'].read_text()
    assert text.endswith('\n')
    declared = set()
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            declared.add(line.split()[2])
        elif not line.startswith('#'):
            assert re.match(r'^[a-z_]+(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? -?\d+$', line), line
            assert line.split('{')[0].split(' ')[0] in declared, line


# ---------------------------------------------------------------- the pages

def test_html_is_self_contained_and_escaped(two_sweeps):
    html = (two_sweeps['dir'] / 'latest' / 'report.html').read_text(encoding='utf-8')
    lowered = html.lower()
    for needle in ('<script', '<link', '<img', '<iframe', '<object', 'url(', '@import', 'http://', 'https://',
                   ' src=', 'javascript:'):
        assert needle not in lowered, needle
    assert '&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;' in html
    assert 'licctl fetch billmgr &lt;key&gt;' in html
    for host in ('bm01', 'bm02', 'bm03'):
        assert '>%s</a>' % host in html
    assert 'Ошибка' in html


def test_markdown_keeps_log_text_inside_code_blocks(two_sweeps):
    markdown = (two_sweeps['dir'] / 'latest' / 'report.md').read_text(encoding='utf-8')
    outside, inside, fence = [], [], None
    for line in markdown.splitlines():
        opener = re.match(r'^(`{3,})', line)
        if fence is None and opener:
            fence = opener.group(1)
        elif fence is not None and line == fence:
            fence = None
        else:
            (inside if fence else outside).append(line)
    assert fence is None
    assert any("<script>alert('pwned')</script>" in line for line in inside)
    assert not any(re.search(r'(?<!\\)<', line) for line in outside)
    assert 'licctl fetch billmgr \\<key\\>' in markdown
    assert '| bm03 (unreachable) | critical |' in markdown


@pytest.fixture(scope='module')
def chromium():
    path = shutil.which('chromium')
    if path is None:
        apt = subprocess.run(['sh', '-c', 'apt-get update -qq && apt-get install -y -qq chromium'],
                             capture_output=True, text=True, timeout=900,
                             env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'))
        path = shutil.which('chromium')
        if path is None:
            pytest.skip('chromium is not installed and apt-get could not install it: %s'
                        % (apt.stderr.strip().splitlines() or ['no output'])[-1])
    return path


def run_browser(chromium, workdir, *args):
    """One headless chromium run; its whole process group is gone when this returns."""
    profile = tempfile.mkdtemp(prefix='chromium-', dir=workdir)
    proc = subprocess.Popen([chromium] + CHROMIUM_FLAGS + ['--user-data-dir=' + profile] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, stderr[-2000:]
    return stdout


def test_browser_renders_every_host(two_sweeps, chromium, tmp_path):
    page = (two_sweeps['dir'] / 'latest' / 'report.html').resolve()
    dom = run_browser(chromium, tmp_path, '--dump-dom', page.as_uri())
    assert '<title>BILLmanager fleet health' in dom
    assert '<script' not in dom.lower()
    for host in ('bm01', 'bm02', 'bm03'):
        assert 'id="host-' in dom and '>%s</a>' % host in dom, host
        assert '<span class="mono">%s</span>' % host in dom, host
    assert '&lt;script&gt;alert(\'pwned\')&lt;/script&gt;' in dom
    shot = tmp_path / 'report.png'
    run_browser(chromium, tmp_path, '--window-size=1280,2000', '--screenshot=' + str(shot), page.as_uri())
    assert shot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert shot.stat().st_size > 20000


# ---------------------------------------------------------------- the role's own documentation

def test_defaults_and_argument_spec_stay_in_step():
    defaults = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
    options = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())['argument_specs']['main']['options']
    for name, spec in options.items():
        assert name.startswith(('billmgr_report_', 'billmgr_health_')), name
        assert spec.get('description'), name
        if spec.get('required'):
            assert name not in defaults, name
        else:
            assert name in defaults, name
            assert defaults[name] == spec.get('default'), name
    assert set(defaults) <= set(options)
