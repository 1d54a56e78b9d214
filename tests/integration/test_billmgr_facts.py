"""billmgr_facts over SSH against the lab fleet: each injected fault shows in the facts.

tests/lab/scenarios/integration.yml: bm01 healthy; bm02 checkevent through the cron-billmgr
wrapper; bm03 CentOS 7, clock 5400 s ahead, var/ at 98 % inodes; bm04 platform down with
`billmgr.* 9` left in debug.conf; bm05 var/ 97 % full, no checkevent line, maintenance mode.
Where the lab lets us, a figure is checked against what the host's own tools say over SSH.
"""

import json
import os
import shlex
import time

import pytest

MGR_ROOT = '/usr/local/mgr5'
VAR = MGR_ROOT + '/var'
HOSTS = 'bm01:bm02:bm03:bm04:bm05'


@pytest.fixture(scope='module')
def swept(lab):
    """One call over five hosts, as a fleet sweep makes it: ({host: result}, reference time)."""
    reference = time.time()
    results, proc = lab.module(HOSTS, 'billmgr.ops.billmgr_facts', {'reference_time': reference})
    assert sorted(results) == HOSTS.split(':'), proc.stdout + proc.stderr
    for host, result in results.items():
        assert not result.get('failed') and not result.get('unreachable'), (host, result)
    return results, reference


@pytest.fixture(scope='module')
def facts(swept):
    return {host: result['billmgr_facts'] for host, result in swept[0].items()}


def entry_serving(facts, path):
    found = [entry for entry in facts['disk'] if path in entry['serves']]
    assert len(found) == 1, facts['disk']
    return found[0]


def df(lab, host, path, inodes=False):
    """(mount point, fs type, use %) as df prints them on the host."""
    options = '-PiT' if inodes else '-PT'
    line = lab.ssh(host, 'df %s %s | tail -1' % (options, shlex.quote(path))).stdout.split()
    return line[6], line[1], int(line[5].rstrip('%'))


def test_every_section_of_every_host_and_no_changes(swept):
    results, _reference = swept
    for host, result in results.items():
        assert result['changed'] is False
        assert result['ansible_facts']['billmgr'] == result['billmgr_facts']
        assert result['billmgr_facts']['gathered'] == ['os', 'clock', 'disk', 'memory', 'kernel_errors',
                                                       'journal_errors', 'platform', 'cron', 'debug', 'panel']


def test_healthy_host(lab, facts):
    bm01 = facts['bm01']
    assert (bm01['os']['id'], bm01['os']['supported']) == ('almalinux', True)
    assert abs(bm01['clock']['skew_seconds']) < 30
    platform = bm01['platform']
    assert platform['installed'] is True and platform['answers'] is True and platform['answer_error'] is None
    assert platform['processes'] == {'core': True, 'ihttpd': True}
    assert platform['maintenance'] is False and platform['blocked'] is False
    assert platform['version'] == lab.ssh('bm01', MGR_ROOT + '/bin/core billmgr -v').stdout.strip()
    checkevent = bm01['cron']['checkevent']
    assert (checkevent['present'], checkevent['form'], checkevent['count']) == (True, 'plain', 1)
    assert checkevent['schedule']['interval_minutes'] == 5
    assert bm01['debug']['exists'] is True and bm01['debug']['entries'] == []
    assert bm01['memory']['total_bytes'] > 0
    for name in ('os', 'clock', 'memory', 'platform', 'cron', 'debug'):
        assert 'error' not in bm01[name], (name, bm01[name])


def test_disk_mounts_match_df(lab, facts):
    for host in ('bm01', 'bm03', 'bm05'):
        for path in ('/', MGR_ROOT, VAR):
            entry = entry_serving(facts[host], path)
            mount, fs_type, used = df(lab, host, path)
            assert (entry['mount'], entry['fs_type']) == (mount, fs_type), (host, path)
            # df rounds up to a whole percent; the module keeps one decimal.
            assert used - 1 <= entry['used_pct'] <= used, (host, path, entry)
    # Each mount point appears once however many of the three paths it serves.
    for host_facts in facts.values():
        mounts = [entry['mount'] for entry in host_facts['disk']]
        assert len(mounts) == len(set(mounts))


def test_unsupported_os_skewed_clock_and_inode_pressure(lab, facts):
    bm03 = facts['bm03']
    assert (bm03['os']['id'], bm03['os']['version'], bm03['os']['supported']) == ('centos', '7', False)
    assert bm03['os']['pretty_name'] == 'CentOS Linux 7 (Core)'
    assert abs(bm03['clock']['skew_seconds'] - 5400) < 60
    var = entry_serving(bm03, VAR)
    assert var['mount'] == VAR and var['fs_type'] == 'tmpfs'
    assert var['inodes_used_pct'] >= 95
    _mount, _fs_type, inodes_used = df(lab, 'bm03', VAR, inodes=True)
    assert inodes_used - 1 <= var['inodes_used_pct'] <= inodes_used
    # The healthy host's var/ is far from it.
    assert entry_serving(facts['bm01'], VAR)['inodes_used_pct'] < 90


def test_disk_pressure_missing_checkevent_and_maintenance(facts):
    bm05 = facts['bm05']
    var = entry_serving(bm05, VAR)
    assert var['mount'] == VAR and var['used_pct'] >= 95
    assert var['avail_bytes'] < var['size_bytes'] * 0.06
    assert bm05['cron']['checkevent']['present'] is False and bm05['cron']['checkevent']['form'] is None
    assert bm05['platform']['maintenance'] is True
    assert entry_serving(facts['bm01'], VAR)['used_pct'] < 90


def test_platform_down_and_debug_left_on(lab, facts):
    bm04 = facts['bm04']['platform']
    # What the runbook's own commands say on that host.
    assert lab.ssh('bm04', 'pgrep -x core', check=False).returncode == 1
    whoami = lab.ssh('bm04', MGR_ROOT + '/sbin/mgrctl -m billmgr whoami', check=False)
    assert whoami.returncode != 0
    assert bm04['installed'] is True and bm04['answers'] is False
    assert bm04['processes']['core'] is False
    assert bm04['answer_error']['type'] and bm04['answer_error']['type'] in whoami.stdout
    assert bm04['blocked'] is False
    entries = facts['bm04']['debug']['entries']
    assert [(e['log'], e['module'], e['level'], e['managed']) for e in entries] == [('billmgr', '*', 9, False)]


def test_wrapper_form_of_checkevent(facts):
    checkevent = facts['bm02']['cron']['checkevent']
    assert (checkevent['present'], checkevent['form']) == (True, 'wrapper')
    assert MGR_ROOT + '/sbin/cron-billmgr sbin/mgrctl -m billmgr checkevent' in checkevent['line']
    assert facts['bm01']['cron']['checkevent']['form'] == 'plain'


def test_error_sources_are_read_or_said_absent(facts):
    for host, host_facts in facts.items():
        for name in ('kernel_errors', 'journal_errors'):
            section = host_facts[name]
            if section['available']:
                assert section['count'] >= len(section['lines']) and len(section['lines']) <= 10, (host, name)
            else:
                assert section['reason'] and 'error' not in section, (host, name, section)


def test_facts_reach_hostvars(lab, tmp_path):
    playbook = tmp_path / 'facts.yml'
    playbook.write_text('''
- hosts: bm01:bm02
  gather_facts: false
  tasks:
    - billmgr.ops.billmgr_facts:
        gather: [cron, platform]
- hosts: bm01
  gather_facts: false
  tasks:
    - ansible.builtin.assert:
        that:
          - hostvars['bm02'].ansible_facts.billmgr.cron.checkevent.form == 'wrapper'
          - hostvars['bm01'].ansible_facts.billmgr.platform.answers
          - "'os' not in hostvars['bm01'].ansible_facts.billmgr"
''')
    proc = lab.playbook(playbook)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_mode_and_another_root(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.billmgr_facts', {'gather': ['platform', 'cron']}, check=True)
    assert results['bm01']['changed'] is False and results['bm01']['billmgr_facts']['platform']['answers'] is True
    results, _ = lab.module('bm01', 'billmgr.ops.billmgr_facts', {'mgr_root': '/opt/nowhere',
                                                                 'gather': ['platform', 'cron', 'disk']})
    facts = results['bm01']['billmgr_facts']
    assert not results['bm01'].get('failed')
    assert facts['platform']['installed'] is False and facts['platform']['answers'] is False
    # The default root's checkevent line is not this root's.
    assert facts['cron']['checkevent']['present'] is False
    assert [entry['serves'] for entry in facts['disk'] if entry.get('error')] == [['/opt/nowhere'],
                                                                                 ['/opt/nowhere/var']]


def test_bad_option_fails_the_task(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.billmgr_facts', {'since': 'last tuesday'})
    assert results['bm01']['failed'] and 'since' in results['bm01']['msg']


def test_one_call_on_the_host_alone(lab, tmp_path):
    """The module as the host runs it, without Ansible's controller side: prints the time it took."""
    keep = dict(ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_PIPELINING='0',
                ANSIBLE_REMOTE_TMP='/tmp/billmgr-facts-it-%d' % os.getpid())
    results, proc = lab.module('bm01', 'billmgr.ops.billmgr_facts', {'reference_time': time.time()}, verbosity=3,
                               env=keep)
    remote_tmp = keep['ANSIBLE_REMOTE_TMP']
    try:
        assert results['bm01']['billmgr_facts']['platform']['answers'] is True, proc.stdout[-2000:]
        found = lab.ssh('bm01', 'ls %s/*/AnsiballZ_billmgr_facts.py' % remote_tmp).stdout.split()
        assert len(found) == 1
        timer = ('import subprocess, sys, time; t = time.monotonic(); '
                 'p = subprocess.run([sys.executable, sys.argv[1]], capture_output=True, text=True); '
                 'sys.stdout.write(p.stdout); sys.stderr.write("elapsed %.3f\\n" % (time.monotonic() - t))')
        run = lab.ssh('bm01', '/usr/bin/python3 -c %s %s' % (shlex.quote(timer), found[0]))
        result = json.loads(run.stdout)
        assert result['changed'] is False and result['billmgr_facts']['cron']['checkevent']['present'] is True
        print('billmgr_facts on bm01, run on the host: %s' % run.stderr.strip())
    finally:
        lab.ssh('bm01', 'rm -rf %s' % remote_tmp, check=False)
