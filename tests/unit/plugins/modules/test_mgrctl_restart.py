# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.billmgr.ops.plugins.modules import mgrctl_restart

# A stand-in mgrctl.  The platform is up while fake/up exists.  ``-R`` takes it down and arms a
# counter: that many whoami probes fail before it is up again.  Every call is logged.
FAKE_MGRCTL = '''
import json, os, sys, time
state = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'fake')
with open(os.path.join(state, 'behaviour.json')) as f:
    conf = json.load(f)
args = sys.argv[1:]
with open(os.path.join(state, 'calls.log'), 'a') as f:
    f.write(json.dumps(args) + '\\n')
if conf.get('hang') in args:
    time.sleep(60)
up = os.path.join(state, 'up')
counter = os.path.join(state, 'counter')
if '-R' in args:
    if conf.get('restart_error'):
        print('ERROR access(restart)')
        sys.exit(1)
    if os.path.exists(up):
        os.remove(up)
    with open(counter, 'w') as f:
        f.write(str(conf.get('polls_before_up', 0)))
    sys.exit(0)
if args[-1] == 'whoami':
    if os.path.exists(up):
        print('name=root level=7')
        sys.exit(0)
    left = int(open(counter).read()) if os.path.exists(counter) else -1
    if left == 0:
        open(up, 'w').close()
        print('name=root level=7')
        sys.exit(0)
    if left > 0:
        with open(counter, 'w') as f:
            f.write(str(left - 1))
    print('ERROR connect(core)')
    sys.exit(1)
print('ERROR missed(function)')
sys.exit(1)
'''

FAST = {'poll_interval': 0.05, 'timeout': 20, 'mgrctl_timeout': 10}


class Platform:
    def __init__(self, root):
        self.root = root
        self.state = root.join('fake')
        os.makedirs(self.state)
        root.install_tool('sbin/mgrctl', FAKE_MGRCTL)

    def set(self, up=True, **behaviour):
        with open(os.path.join(self.state, 'behaviour.json'), 'w') as handle:
            json.dump(behaviour, handle)
        if up:
            open(os.path.join(self.state, 'up'), 'w').close()
        return self

    @property
    def up(self):
        return os.path.exists(os.path.join(self.state, 'up'))

    def calls(self):
        path = os.path.join(self.state, 'calls.log')
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line)[-1] for line in handle]

    def args(self, **extra):
        return dict(FAST, mgr_root=self.root.path, **extra)

    def maintenance(self):
        open(self.root.join('etc', 'billmgr.DoNothing'), 'w').close()


@pytest.fixture
def platform(fake_mgr_root):
    return Platform(fake_mgr_root)


def test_restarted_restarts_and_waits_for_whoami(run_module, platform):
    platform.set(up=True, polls_before_up=2)
    result = run_module(mgrctl_restart, platform.args())
    assert result['changed'] and result['restarted'] and result['answered']
    assert not result.get('failed')
    assert platform.calls() == ['-R', 'whoami', 'whoami', 'whoami']
    assert isinstance(result['elapsed'], float)
    assert 'name=root' in result['last_output']


def test_restart_uses_the_documented_argv(run_module, platform):
    platform.set(up=True)
    run_module(mgrctl_restart, platform.args())
    with open(os.path.join(platform.state, 'calls.log')) as handle:
        first = json.loads(handle.readline())
    assert first == ['-m', 'billmgr', '-R']


def test_started_leaves_a_healthy_platform_alone(run_module, platform):
    platform.set(up=True)
    result = run_module(mgrctl_restart, platform.args(state='started'))
    assert (result['changed'], result['restarted'], result['answered']) == (False, False, True)
    assert platform.calls() == ['whoami']


def test_started_restarts_a_platform_that_does_not_answer(run_module, platform):
    platform.set(up=False, polls_before_up=1)
    result = run_module(mgrctl_restart, platform.args(state='started'))
    assert (result['changed'], result['restarted'], result['answered']) == (True, True, True)
    assert platform.calls() == ['whoami', '-R', 'whoami', 'whoami']


def test_maintenance_mode_is_refused_with_the_way_out(run_module, platform):
    platform.set(up=True)
    platform.maintenance()
    result = run_module(mgrctl_restart, platform.args())
    assert result['failed']
    assert 'billmgr.DoNothing' in result['msg'] and 'force: true' in result['msg']
    assert result['maintenance'] is True and result['restarted'] is False
    assert '-R' not in platform.calls()


def test_force_restarts_in_maintenance_mode(run_module, platform):
    platform.set(up=True)
    platform.maintenance()
    result = run_module(mgrctl_restart, platform.args(force=True))
    assert result['restarted'] and result['answered']
    assert '-R' in platform.calls()


def test_maintenance_does_not_stop_started_on_a_healthy_platform(run_module, platform):
    platform.set(up=True)
    platform.maintenance()
    result = run_module(mgrctl_restart, platform.args(state='started'))
    assert result['changed'] is False and not result.get('failed')


@pytest.mark.parametrize('state,up', [('restarted', True), ('started', False)])
def test_check_mode_only_probes(run_module, platform, state, up):
    platform.set(up=up, polls_before_up=0)
    result = run_module(mgrctl_restart, platform.args(state=state), check_mode=True)
    assert result['changed'] is True and result['restarted'] is True
    assert result['answered'] is up
    assert platform.calls() == ['whoami']
    assert platform.up is up


def test_check_mode_started_on_a_healthy_platform_is_unchanged(run_module, platform):
    platform.set(up=True)
    result = run_module(mgrctl_restart, platform.args(state='started'), check_mode=True)
    assert result['changed'] is False


def test_platform_that_never_comes_back_fails_with_its_last_words(run_module, platform):
    platform.set(up=True, polls_before_up=10 ** 6)
    result = run_module(mgrctl_restart, platform.args(timeout=0.3))
    assert result['failed']
    assert result['restarted'] is True and result['answered'] is False
    assert 'ERROR connect(core)' in result['msg'] and result['last_output'] == 'ERROR connect(core)'
    assert 'timeout' in result['msg']


def test_hung_restart_is_killed_and_reported(run_module, platform):
    platform.set(up=True, hang='-R')
    result = run_module(mgrctl_restart, platform.args(mgrctl_timeout=0.5))
    assert result['failed']
    assert 'killed after 0.5 seconds' in result['msg']
    # The probe after the failed restart still reports how the platform is.
    assert result['answered'] is True and 'probably not restarted' in result['msg']


def test_hung_whoami_counts_as_no_answer(run_module, platform):
    platform.set(up=True, hang='whoami')
    result = run_module(mgrctl_restart, platform.args(state='started', mgrctl_timeout=0.3, timeout=0.5))
    assert result['failed'] and result['restarted'] is True and result['answered'] is False
    assert 'killed after 0.3 seconds' in result['last_output']


def test_restart_error_is_reported(run_module, platform):
    platform.set(up=True, restart_error=True)
    result = run_module(mgrctl_restart, platform.args())
    assert result['failed'] and 'access(restart)' in result['msg']


def test_missing_mgrctl_names_the_path(run_module, tmp_path):
    result = run_module(mgrctl_restart, {'mgr_root': str(tmp_path)})
    assert result['failed'] and str(tmp_path / 'sbin' / 'mgrctl') in result['msg'] and 'mgr_root' in result['msg']


@pytest.mark.parametrize('option', ['timeout', 'poll_interval', 'mgrctl_timeout'])
def test_non_positive_times_are_refused(run_module, platform, option):
    platform.set(up=True)
    result = run_module(mgrctl_restart, platform.args(**{option: 0}))
    assert result['failed'] and option in result['msg']
    assert platform.calls() == []


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.mgrctl_restart')
    assert_docs_match_argspec(mgrctl_restart, doc['doc']['options'])
    assert set(doc['return']) == {'restarted', 'answered', 'elapsed', 'last_output', 'maintenance'}
