# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts import hostfacts
from ansible_collections.billmgr.ops.plugins.modules import billmgr_facts

# Prints what the test gave it, records its argv in TOOL.calls, sleeps first when asked to.
FAKE_TOOL = '''
import json, os, sys, time
with open(%(calls)r, 'a') as f:
    f.write(json.dumps(sys.argv[1:]) + '\\n')
time.sleep(%(sleep)r)
sys.stdout.write(%(stdout)r)
sys.stderr.write(%(stderr)r)
sys.exit(%(rc)d)
'''

OS_RELEASE = 'NAME="AlmaLinux"\nID="almalinux"\nVERSION_ID="9.4"\nPRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"\n'
DEBUG_CONF = '* 6\n# billmgr.ops managed: log=billmgr module=* previous=4 expires=2099-01-01T00:00:00Z\nbillmgr.* 9\n'


class FakeHost:
    """Around a fake mgr root: the host tools the module may run, /proc, release files."""

    def __init__(self, root, base, monkeypatch):
        self.root = root
        self.base = base
        self.tools = base / 'tools'
        self.proc = base / 'proc'
        for directory in (self.tools, self.proc):
            directory.mkdir()
        (base / 'os-release').write_text(OS_RELEASE)
        (base / 'uptime').write_text('3600.0 10.0\n')
        # Only the fake tools exist for the module, so nothing of the test machine leaks in.
        monkeypatch.setenv('PATH', str(self.tools))
        monkeypatch.setattr(hostfacts, 'TOOL_DIRS', ())
        monkeypatch.setitem(hostfacts.HOST_PATHS, 'proc', str(self.proc))
        monkeypatch.setitem(hostfacts.HOST_PATHS, 'os_release', (str(base / 'os-release'),))
        monkeypatch.setitem(hostfacts.HOST_PATHS, 'legacy_release', ())
        monkeypatch.setitem(hostfacts.HOST_PATHS, 'uptime', str(base / 'uptime'))
        monkeypatch.setitem(hostfacts.HOST_PATHS, 'crontab_spool', ())

    def tool(self, relative, stdout='', rc=0, stderr='', sleep=0):
        """A fake program; RELATIVE below the mgr root (``sbin/mgrctl``) or a bare host tool name."""
        path = self.root.join(relative) if '/' in relative else str(self.tools / relative)
        with open(path, 'w') as handle:
            handle.write('#!%s\n' % sys.executable)
            handle.write(FAKE_TOOL % {'calls': path + '.calls', 'sleep': sleep, 'stdout': stdout,
                                      'stderr': stderr, 'rc': rc})
        os.chmod(path, 0o755)
        return path

    def calls(self, relative):
        path = (self.root.join(relative) if '/' in relative else str(self.tools / relative)) + '.calls'
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle]

    def process(self, pid, comm, state='S'):
        (self.proc / str(pid)).mkdir()
        (self.proc / str(pid) / 'stat').write_text('%d (%s) %s 1 1\n' % (pid, comm, state))


@pytest.fixture
def host(fake_mgr_root, tmp_path, monkeypatch):
    return FakeHost(fake_mgr_root, tmp_path, monkeypatch)


@pytest.fixture
def healthy(host):
    root = host.root.path
    host.tool('sbin/mgrctl', 'name=root level=admin\n')
    host.tool('bin/core', '6.112.0\n')
    host.process(10, 'core')
    host.process(11, 'ihttpd')
    host.tool('crontab', '*/5 * * * * %s/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1\n'
                         '0 3 * * * %s/sbin/cron-billmgr sbin/billmaintain\n' % (root, root))
    host.tool('timedatectl', 'yes\n')
    host.tool('dmesg', '[ 10.000000] ACPI Error: something\n[ 20.000000] fine\n')
    host.tool('journalctl', '2026-11-23T13:00:02+0000 bm01 systemd[1]: x.service: Failed with result\n')
    with open(host.root.join('etc', 'debug.conf'), 'w') as handle:
        handle.write(DEBUG_CONF)
    return host


def test_healthy_host_all_sections(run_module, healthy):
    root = healthy.root.path
    result = run_module(billmgr_facts, {'mgr_root': root, 'reference_time': time.time()})
    assert result['changed'] is False and not result.get('failed')
    facts = result['billmgr_facts']
    assert result['ansible_facts']['billmgr'] == facts
    assert facts['gathered'] == list(hostfacts.SECTIONS) and facts['mgr_root'] == root
    assert (facts['os']['id'], facts['os']['version'], facts['os']['supported']) == ('almalinux', '9.4', True)
    assert abs(facts['clock']['skew_seconds']) < 60 and facts['clock']['ntp_synchronized'] is True
    assert [path for entry in facts['disk'] for path in entry['serves']] == ['/', root, os.path.join(root, 'var')]
    assert facts['memory']['total_bytes'] > 0
    assert facts['kernel_errors']['count'] == 1 and facts['journal_errors']['count'] == 1
    platform = facts['platform']
    assert (platform['installed'], platform['answers'], platform['version']) == (True, True, '6.112.0')
    assert platform['processes'] == {'core': True, 'ihttpd': True}
    assert facts['cron']['checkevent']['form'] == 'plain'
    assert facts['cron']['platform_lines'] == ['0 3 * * * %s/sbin/cron-billmgr sbin/billmaintain' % root]
    assert facts['debug']['entries'][0]['managed'] is True and facts['debug']['entries'][0]['previous'] == 4
    for name in hostfacts.SECTIONS:
        section = facts[name]
        errors = [entry.get('error') for entry in section] if isinstance(section, list) else [section.get('error')]
        assert errors == [None] * len(errors), (name, errors)
    assert healthy.calls('sbin/mgrctl') == [['-m', 'billmgr', 'whoami']]


def test_check_mode_returns_the_same_and_changes_nothing(run_module, healthy):
    before = sorted(os.listdir(healthy.root.path))
    args = {'mgr_root': healthy.root.path, 'gather': ['platform', 'cron', 'debug']}
    normal = run_module(billmgr_facts, args)['billmgr_facts']
    checked = run_module(billmgr_facts, args, check_mode=True)['billmgr_facts']
    assert checked == normal
    assert sorted(os.listdir(healthy.root.path)) == before


def test_platform_down_and_debug_left_on(run_module, healthy):
    healthy.tool('sbin/mgrctl', 'ERROR connect(billmgr,)\n', rc=1)
    (healthy.proc / '10' / 'stat').write_text('10 (core) Z 1 1\n')
    facts = run_module(billmgr_facts, {'mgr_root': healthy.root.path, 'gather': ['platform', 'debug'],
                                       'debug_threshold': 9})['billmgr_facts']
    assert facts['platform']['answers'] is False and facts['platform']['processes']['core'] is False
    assert facts['platform']['answer_error']['type'] == 'connect'
    assert [(e['log'], e['module'], e['level']) for e in facts['debug']['entries']] == [('billmgr', '*', 9)]


def test_gather_subset_runs_only_its_tools(run_module, healthy):
    result = run_module(billmgr_facts, {'mgr_root': healthy.root.path, 'gather': ['os', 'memory']})
    assert set(result['billmgr_facts']) == {'mgr_root', 'gathered', 'os', 'memory'}
    assert result['billmgr_facts']['gathered'] == ['os', 'memory']
    for tool in ('sbin/mgrctl', 'bin/core', 'crontab', 'timedatectl', 'dmesg', 'journalctl'):
        assert healthy.calls(tool) == [], tool


def test_hung_mgrctl_does_not_hang_the_module(run_module, healthy):
    healthy.tool('sbin/mgrctl', 'name=root\n', sleep=60)
    facts = run_module(billmgr_facts, {'mgr_root': healthy.root.path, 'mgrctl_timeout': 0.5,
                                       'gather': ['platform', 'cron']})['billmgr_facts']
    assert facts['platform']['answers'] is False
    assert facts['platform']['answer_error']['type'] == 'timeout'
    assert '0.5 seconds' in facts['platform']['error']
    assert facts['cron']['checkevent']['present'] is True


def test_absent_tools_are_absent_not_failures(run_module, host):
    result = run_module(billmgr_facts, {'mgr_root': host.root.path})
    facts = result['billmgr_facts']
    assert not result.get('failed')
    assert facts['kernel_errors']['available'] is False and 'error' not in facts['kernel_errors']
    assert facts['journal_errors']['available'] is False and 'error' not in facts['journal_errors']
    assert facts['clock']['ntp_synchronized'] is None and facts['clock']['ntp_reason']
    assert facts['clock']['skew_seconds'] is None
    assert facts['platform']['installed'] is False
    assert facts['cron']['checkevent']['present'] is False


def test_supported_os_option(run_module, host):
    args = {'mgr_root': host.root.path, 'gather': ['os']}
    args['supported_os'] = ['ubuntu 22.04', {'id': 'almalinux', 'versions': ['8']}]
    assert run_module(billmgr_facts, args)['billmgr_facts']['os']['supported'] is False
    args['supported_os'] = [{'id': 'almalinux', 'versions': ['8', '9']}]
    assert run_module(billmgr_facts, args)['billmgr_facts']['os']['supported'] is True


@pytest.mark.parametrize('reference', [1000.0, '1000', '1970-01-01T00:16:40Z', '1970-01-01T03:16:40+03:00'])
def test_reference_time_forms(run_module, host, reference):
    facts = run_module(billmgr_facts, {'mgr_root': host.root.path, 'gather': ['clock'],
                                       'reference_time': reference})['billmgr_facts']
    assert facts['clock']['reference_epoch'] == 1000.0
    assert facts['clock']['skew_seconds'] == pytest.approx(facts['clock']['epoch'] - 1000.0)


@pytest.mark.parametrize('args, message', [
    ({'since': 'yesterday'}, 'since'),
    ({'reference_time': 'noon'}, 'reference_time'),
    ({'supported_os': [{'name': 'alma'}]}, 'supported_os'),
    ({'error_pattern': 'error|('}, 'error_pattern'),
    ({'debug_threshold': 12}, 'debug_threshold'),
    ({'mgrctl_timeout': 0}, 'mgrctl_timeout'),
    ({'error_lines': -1}, 'error_lines'),
    ({'gather': ['disk', 'network']}, 'gather'),
    ({'log_zones': {'pm*': 'gmt'}}, "log_zones: pm*: 'gmt' is not a zone: give auto, local, utc"),
    ({'log_zones': {'../x': 'utc'}}, "'../x' is not a plain log name"),
])
def test_bad_options_fail_before_anything_runs(run_module, healthy, args, message):
    args = dict(args, mgr_root=healthy.root.path)
    result = run_module(billmgr_facts, args)
    assert result['failed'] and message in result['msg']
    assert healthy.calls('sbin/mgrctl') == []


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.billmgr_facts')
    assert_docs_match_argspec(billmgr_facts, doc['doc']['options'])
    assert set(doc['return']) == {'billmgr_facts'}
    documented = set(doc['return']['billmgr_facts']['contains'])
    assert documented == set(hostfacts.ALL_SECTIONS) | {'mgr_root', 'gathered'}
