"""Issue 15, part 1: the support bundle. One archive per host on the controller, with a manifest, the
window's error threads of every log writer, configs and licctl info masked, host figures, the sweep's
findings; size-bounded, nothing left on the host, read-only in check mode and in a normal run.

The first tests run the playbook with a local connection on a fake install root that plants every
secret form the collection knows (no lab, no lab lock); the last ones run it over SSH on the lab."""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import REPO, VENV_BIN, ansible_env, recap

PLAYBOOK = REPO / 'playbooks' / 'support_bundle.yml'
SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'panel.yml'
GUARD_SECONDS = 600
# Every form of secret the collection masks (plugins/module_utils/_platform/secrets.py and the hostile suite),
# each with its own value so a leak names its form.
SECRETS = {
    'xml_param': 'Sx-XmlParam-1a',
    'xml_element': 'Sx-ApiKeyEl-2b',
    'json_token': 'Sx-JsonTok-3c',
    'query_passwd': 'Sx-QueryPw-4d',
    'yaml_secret': 'Sx-Colon-5e',
    'licctl_with_key': 'Sx-WithKey-6f',
    'license_key_phrase': 'Sx-LicPhrase-7a',
    'activation_code': 'Sx-ActCode-8b',
    'db_password': 'Sx-DbPass-9c',
    'object_pair': 'Sx-ObjPair-0d',
    'licctl_info_field': 'Sx-InfoKey-1e',
    'conf_d_token': 'Sx-ConfTok-2f',
    'pm_module_password': 'Sx-PmPass-3a',
}


def _stamp(moment):
    return '%s %2d %s' % (moment.strftime('%b'), moment.day, moment.strftime('%H:%M:%S'))


def plant_root(root):
    """A fake install with every secret form in logs, configs and licctl's answers."""
    for sub in ('etc/billmgr.conf.d', 'var/logs', 'sbin'):
        (root / sub).mkdir(parents=True)
    s = SECRETS
    when = _stamp(datetime.now() - timedelta(minutes=10))
    old = _stamp(datetime.now() - timedelta(days=3))
    (root / 'var' / 'billmgr.log').write_text(
        "%s [77:1] rpc INFO Old thread before the window\n" % old
        + "%s [9:5] rpc EXTINFO Query('func=paymethod.edit&elid=3&passwd=%s&sok=ok')\n" % (when, s['query_passwd'])
        + "%s [9:5] rpc DEBUG mgrclient.cpp:215 Result xml: <doc><param name=\"password\">%s</param>"
          "<apikey>%s</apikey></doc>\n" % (when, s['xml_param'], s['xml_element'])
        + "%s [9:5] libmgr ERROR Error: Type: 'value' Object: 'secret_key=%s' Value: 'x'\n" % (when, s['object_pair'])
        + "%s [9:6] libmgr ERROR Error: Type: 'missed' Object: '{\"api_token\": \"%s\"}' Value: 'y'\n"
          % (when, s['json_token'])
        + "  secret: %s\n" % s['yaml_secret'])
    (root / 'var' / 'pmpaymaster.log').write_text(
        "%s [4242] pmpaymaster ERROR request failed: <param name=\"secret\">%s</param>\n"
        % (when.replace('  ', ' '), s['pm_module_password']))
    (root / 'var' / 'licctl.log').write_text(
        '%s [7:1] licctl INFO Fetching license for billmgr with key %s\n'
        '%s [7:1] licctl INFO License key %s accepted. Activation code: %s\n'
        '%s [7:1] licctl INFO Got license 123456\n'
        % (when, s['licctl_with_key'], when, s['license_key_phrase'], s['activation_code'], when))
    (root / 'etc' / 'debug.conf').write_text('* 6\nbillmgr.* 9\n')
    (root / 'etc' / 'billmgr.conf').write_text('Lang en\nDBPassword %s\n' % s['db_password'])
    (root / 'etc' / 'billmgr.conf.d' / 'db.conf').write_text(
        'DBHost localhost\nDBUser billmgr\nDBPassword %s\nApiToken %s\n' % (s['db_password'], s['conf_d_token']))
    licctl = root / 'sbin' / 'licctl'
    licctl.write_text('#!%s\nimport sys\nprint("ID: 123456")\nprint("LicKey: %s")\nprint("Expire: 2031-01-01")\n'
                      % (sys.executable, s['licctl_info_field']))
    licctl.chmod(0o755)
    mgrctl = root / 'sbin' / 'mgrctl'
    mgrctl.write_text('#!/bin/sh\necho "user=root level=admin"\n')
    mgrctl.chmod(0o755)
    return root


def tree_state(root):
    """Every path below ROOT with its size, mtime and mode: what a read-only run must leave alone."""
    state = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(base, name)
            info = os.lstat(path)
            state[path] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return state


def run_local(root, dest, check=False, extra=None):
    extra_vars = {'billmgr_mgr_root': str(root), 'billmgr_support_bundle_dir': str(dest),
                  'billmgr_support_bundle_report': '', 'billmgr_hosts': 'all',
                  'ansible_python_interpreter': sys.executable}
    extra_vars.update(extra or {})
    argv = [str(VENV_BIN / 'ansible-playbook'), '-i', 'fakehost,', '-c', 'local', str(PLAYBOOK),
            '-e', json.dumps(extra_vars)]
    if check:
        argv.append('--check')
    return subprocess.run(argv, env=ansible_env(), capture_output=True, text=True, timeout=GUARD_SECONDS,
                          stdin=subprocess.DEVNULL, check=False)


def archive_members(path):
    with tarfile.open(path) as tar:
        return {member.name.split('/', 1)[1]: tar.extractfile(member).read() for member in tar.getmembers()}


@pytest.fixture
def planted(tmp_path):
    return plant_root(tmp_path / 'mgr5'), tmp_path / 'bundles'


@pytest.mark.parametrize('check', [False, True], ids=['normal', 'check_mode'])
def test_every_secret_form_is_masked_and_the_host_is_left_as_it_was(planted, check):
    root, dest = planted
    before = tree_state(root)
    proc = run_local(root, dest, check=check)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert recap(proc.stdout)['fakehost']['changed'] == 0
    assert tree_state(root) == before
    archives = list(dest.glob('fakehost-*.tar.gz'))
    assert len(archives) == 1 and oct(archives[0].stat().st_mode & 0o777) == '0o600'
    raw = archives[0].read_bytes()
    members = archive_members(archives[0])
    everything = b'\n'.join(members.values())
    for form, secret in SECRETS.items():
        assert secret.encode() not in everything, form
        assert secret not in proc.stdout and secret not in proc.stderr, form
    assert b'********' in everything
    manifest = json.loads(members['manifest.json'])
    listed = {entry['path']: entry for entry in manifest['files']}
    for path, data in members.items():
        if path != 'manifest.json':
            assert listed[path]['sha256'] == hashlib.sha256(data).hexdigest(), path
    for expected in ('errors/threads.txt', 'errors/records.json', 'config/debug.conf', 'config/billmgr.conf',
                     'config/billmgr.conf.d/db.conf', 'license/licctl_info.txt', 'host/facts.json',
                     'host/versions.txt', 'host/packages.txt', 'host/crontab.txt', 'logs/billmgr.log',
                     'logs/pmpaymaster.log', 'logs/licctl.log'):
        assert expected in members, expected
    # Both writers' errors of the window, each with its thread; the old thread is not an error.
    threads = members['errors/threads.txt'].decode()
    assert 'value' in threads and 'missed' in threads and 'pmpaymaster' in threads
    assert manifest['error_records'] == 3
    assert b'ID: 123456' in members['license/licctl_info.txt']
    assert b'DBHost localhost' in members['config/billmgr.conf.d/db.conf']
    assert len(raw) > 0


def test_the_size_bound_cuts_the_largest_log_around_its_errors(planted):
    root, dest = planted
    when = _stamp(datetime.now() - timedelta(minutes=30))
    filler = ''.join("%s [50:%d] rpc INFO filler line %06d of a large log\n" % (when, n % 7, n) for n in range(60000))
    error = "%s [50:99] libmgr ERROR Error: Type: 'cut_here' Object: 'gateway' Value: ''\n" % when
    (root / 'var' / 'big.log').write_text(filler + error + filler)
    size = (root / 'var' / 'big.log').stat().st_size
    proc = run_local(root, dest, extra={'billmgr_support_bundle_max_mb': 2, 'billmgr_support_bundle_log_mb': 1})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    members = archive_members(next(dest.glob('*.tar.gz')))
    manifest = json.loads(members['manifest.json'])
    assert sum(len(data) for data in members.values()) <= 2 * 1048576 + len(members['manifest.json'])
    big = members['logs/big.log'].decode()
    assert len(big) < size and 'cut_here' in big and 'left out by billmgr.ops.support_bundle' in big
    entry = [e for e in manifest['files'] if e['path'] == 'logs/big.log'][0]
    assert 'cut from %d bytes' % size in entry['note']


def test_a_bad_window_is_refused_with_a_message(planted):
    root, dest = planted
    proc = run_local(root, dest, extra={'billmgr_support_bundle_since': '1h', 'billmgr_support_bundle_until': '2h'})
    assert proc.returncode != 0 and 'until' in proc.stdout and not dest.exists()


# ---------------------------------------------------------------- on the lab, over SSH

@pytest.fixture(scope='module')
def panel_lab(lab_manager):
    return lab_manager.get(SCENARIO)


def host_tmp_listing(lab, host):
    """Temporary places and the mgr root (logs and lab state aside) of HOST. Ansible's own module
    temp directories come and go with every task of any module, so they are not counted."""
    listing = lab.ssh(host, 'ls -A /tmp /var/tmp /root 2>/dev/null; find /usr/local/mgr5 -newer '
                            '/usr/local/mgr5/lab/host.json -not -path "*/var/*" -not -path "*/lab/*" 2>/dev/null').stdout
    return [line for line in listing.splitlines() if not line.startswith('ansible-moduletmp-')]


def test_the_lab_host_bundle_holds_its_errors_configs_and_sweep_findings(panel_lab, tmp_path):
    lab = panel_lab
    reports = tmp_path / 'reports'
    sweep = lab.playbook(REPO / 'playbooks' / 'health.yml', limit='bm03',
                         extra_vars={'billmgr_report_dir': str(reports), 'billmgr_health_fail_on': 'never'})
    assert sweep.returncode == 0, sweep.stdout[-3000:]
    before = host_tmp_listing(lab, 'bm03')
    dest = tmp_path / 'bundles'
    for check in (True, False):
        proc = lab.playbook(PLAYBOOK, limit='bm03', check=check,
                            extra_vars={'billmgr_support_bundle_dir': str(dest / str(check)),
                                        'billmgr_report_dir': str(reports), 'billmgr_support_bundle_since': '2h'})
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert recap(proc.stdout)['bm03']['changed'] == 0
    assert host_tmp_listing(lab, 'bm03') == before
    archive = next((dest / 'False').glob('bm03-*.tar.gz'))
    members = archive_members(archive)
    manifest = json.loads(members['manifest.json'])
    assert manifest['host'] == 'bm03' and manifest['error_records'] >= 12
    password = lab.host_path('bm03', 'etc/billmgr.conf.d/db.conf').read_text().split('DBPassword ')[1].split()[0]
    assert all(password.encode() not in data for data in members.values())
    assert b'DBPassword ********' in members['config/billmgr.conf.d/db.conf']
    assert b'ID: ' in members['license/licctl_info.txt']
    facts = json.loads(members['host/facts.json'])
    assert facts['platform']['version'] and facts['disk'] and facts['memory']
    assert b'checkevent' in members['host/crontab.txt']
    findings = json.loads(members['sweep/findings.json'])[0]
    ids = {f['id'] for f in findings['findings']}
    assert {'panel_cert_expiring', 'panel_cert_name_mismatch'} <= ids
    assert {'ihttpd', 'billmgr'} <= {path.split('/')[1][:-4] for path in members if path.startswith('logs/')}
