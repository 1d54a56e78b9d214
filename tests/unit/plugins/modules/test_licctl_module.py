# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The licctl module against a stand-in licctl that, like the real one, logs the key it was given.

(Named test_licctl_module.py: tests/unit/plugins/module_utils/test_licctl.py already holds the
basename, and pytest imports test files by basename.)
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest

from ansible_collections.billmgr.ops.plugins.modules import licctl

KEY = 'A1B2C3-D4E5F6-KEY-0042'
OLD_KEY = 'OLD999-ZZZZZZ-KEY-0001'

# State in fake/license.json ({"id": N, "expire": "YYYY-MM-DD"}), behaviour in fake/behaviour.json.
FAKE_LICCTL = r'''
import json, os, sys, time
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
state = os.path.join(root, 'fake')
args = sys.argv[1:]
with open(os.path.join(state, 'calls.log'), 'a') as f:
    f.write(json.dumps(args) + '\n')
with open(os.path.join(state, 'behaviour.json')) as f:
    conf = json.load(f)
with open(os.path.join(state, 'license.json')) as f:
    lic = json.load(f)

def log(level, text):
    with open(os.path.join(root, 'var', 'licctl.log'), 'a') as f:
        f.write('%s [%d:1] licctl \x1b[1;31m%s\x1b[0m %s\n' % (time.strftime('%b %e %H:%M:%S'), os.getpid(), level, text))

if args[0] == 'info':
    if conf.get('info_fails'):
        print('licctl: cannot reach the license storage')
        sys.exit(3)
    print('ID: %d' % lic['id'])
    if lic['id']:
        print('Expire: %s' % lic['expire'])
    print('Product: billmgr')
    sys.exit(0)
key = args[2] if len(args) > 2 else ''
log('INFO', 'Fetching license for billmgr' + (' with key %s' % key if key else ''))
if conf.get('fetch_fails'):
    log('ERROR', 'License server refused the request: Failed to get license')
    print('Failed to get license')
    sys.exit(1)
if conf.get('fetch_does_nothing'):
    sys.exit(0)
lic = {'id': 4242, 'expire': conf['new_expire']}
with open(os.path.join(state, 'license.json'), 'w') as f:
    json.dump(lic, f)
log('INFO', 'Got license ID 4242 for billmgr, expire %s' % lic['expire'])
'''


class Licctl:
    def __init__(self, root):
        self.root = root
        self.state = root.join('fake')
        os.makedirs(self.state)
        root.install_tool('sbin/licctl', FAKE_LICCTL)
        self.set_license(0)
        self.behave()
        with open(root.join('var', 'licctl.log'), 'w') as handle:
            handle.write('Jan  5 10:00:00 [100:1] licctl INFO Fetching license for billmgr with key %s\n' % OLD_KEY)

    def set_license(self, license_id, expire=None):
        with open(os.path.join(self.state, 'license.json'), 'w') as handle:
            json.dump({'id': license_id, 'expire': (expire or date.today() + timedelta(days=100)).isoformat()}, handle)

    def behave(self, **behaviour):
        behaviour.setdefault('new_expire', (date.today() + timedelta(days=365)).isoformat())
        with open(os.path.join(self.state, 'behaviour.json'), 'w') as handle:
            json.dump(behaviour, handle)

    def calls(self):
        path = os.path.join(self.state, 'calls.log')
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle]

    def fetches(self):
        return [call for call in self.calls() if call[0] == 'fetch']

    def args(self, **extra):
        return dict({'mgr_root': self.root.path}, **extra)


@pytest.fixture
def lic(fake_mgr_root):
    return Licctl(fake_mgr_root)


def test_unlinked_server_gets_the_license_and_the_key_shows_nowhere(run_module, lic):
    result = run_module(licctl, lic.args(key=KEY))
    assert not result.get('failed'), result
    assert (result['changed'], result['fetched']) == (True, True)
    assert result['reason'] == 'no license is linked (ID 0)'
    assert result['license']['id'] == 4242 and result['license']['linked'] is True
    assert result['license']['days_left'] == 365
    assert lic.fetches() == [['fetch', 'billmgr', KEY]]
    assert result['cmd'] == [lic.root.join('sbin', 'licctl'), 'fetch', 'billmgr', '********']
    assert KEY not in json.dumps(result)


def test_second_run_changes_nothing(run_module, lic):
    run_module(licctl, lic.args(key=KEY))
    again = run_module(licctl, lic.args(key=KEY))
    assert (again['changed'], again['fetched'], again['reason']) == (False, False, None)
    assert len(lic.fetches()) == 1


def test_valid_license_is_left_alone(run_module, lic):
    lic.set_license(77)
    result = run_module(licctl, lic.args())
    assert (result['changed'], result['fetched']) == (False, False)
    assert result['license']['id'] == 77 and result['cmd'][1] == 'info'
    assert lic.fetches() == []


def test_expired_license_is_fetched_again(run_module, lic):
    lic.set_license(77, expire=date.today() - timedelta(days=2))
    result = run_module(licctl, lic.args())
    assert result['changed'] and result['fetched']
    assert result['reason'] == 'the license expired on %s' % (date.today() - timedelta(days=2)).isoformat()
    assert lic.fetches() == [['fetch', 'billmgr']], 'no key given, none passed'


def test_license_expiring_today_is_still_valid(run_module, lic):
    lic.set_license(77, expire=date.today())
    assert run_module(licctl, lic.args())['changed'] is False


def test_force_fetches_a_valid_license(run_module, lic):
    lic.set_license(77)
    result = run_module(licctl, lic.args(force=True))
    assert result['changed'] and result['fetched'] and result['reason'] == 'force: true'
    assert len(lic.fetches()) == 1


def test_check_mode_reports_and_does_not_fetch(run_module, lic):
    result = run_module(licctl, lic.args(key=KEY), check_mode=True)
    assert (result['changed'], result['fetched'], result['reason']) == (True, False, 'no license is linked (ID 0)')
    assert result['license']['linked'] is False
    assert lic.fetches() == []
    lic.set_license(77)
    assert run_module(licctl, lic.args(), check_mode=True)['changed'] is False


def test_failed_fetch_gives_the_guidance_and_the_masked_log(run_module, lic):
    lic.behave(fetch_fails=True)
    result = run_module(licctl, lic.args(key=KEY, log_lines=5))
    assert result['failed'] and result['fetched'] is True
    msg = result['msg']
    assert 'Failed to get license' in msg
    assert 'Generate a new activation key in the client area' in msg
    assert 'once a month' in msg
    assert lic.root.join('var', 'licctl.log') in msg
    tail = result['log_tail']
    assert len(tail) == 3
    assert tail[-1].endswith('licctl ERROR License server refused the request: Failed to get license')
    assert 'with key ********' in tail[1]
    assert 'with key ********' in tail[0], 'an older key in the log is masked by the word before it'
    text = json.dumps(result)
    assert KEY not in text and OLD_KEY not in text
    assert '\x1b' not in text


def test_log_lines_limits_the_tail(run_module, lic):
    lic.behave(fetch_fails=True)
    result = run_module(licctl, lic.args(key=KEY, log_lines=1))
    assert len(result['log_tail']) == 1


def test_fetch_that_links_nothing_fails(run_module, lic):
    lic.behave(fetch_does_nothing=True)
    result = run_module(licctl, lic.args(key=KEY))
    assert result['failed']
    assert 'reported success, but then no license is linked' in result['msg']
    assert 'Generate a new activation key' in result['msg']
    assert KEY not in json.dumps(result)


def test_info_failure_is_reported(run_module, lic):
    lic.behave(info_fails=True)
    result = run_module(licctl, lic.args(key=KEY))
    assert result['failed'] and 'exit status 3' in result['msg'] and 'license storage' in result['msg']
    assert lic.fetches() == []


def test_missing_licctl_names_the_path(run_module, tmp_path):
    result = run_module(licctl, {'mgr_root': str(tmp_path)})
    assert result['failed'] and str(tmp_path / 'sbin' / 'licctl') in result['msg']


def test_bad_manager_is_refused(run_module, lic):
    result = run_module(licctl, lic.args(manager='billmgr; reboot'))
    assert result['failed'] and lic.calls() == []


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.licctl')
    assert_docs_match_argspec(licctl, doc['doc']['options'])
    assert set(doc['return']) == {'license', 'fetched', 'reason', 'cmd', 'rc', 'output', 'log_tail'}
