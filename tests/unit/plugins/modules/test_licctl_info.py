# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest

from ansible_collections.billmgr.ops.plugins.modules import licctl_info

# Prints what the test left in licctl.out, exits with licctl.rc, and records its argv.
FAKE_LICCTL = '''
import json, os, sys, time
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(here, 'licctl.argv'), 'w') as f:
    json.dump(sys.argv[1:], f)
if os.path.exists(os.path.join(here, 'licctl.hang')):
    time.sleep(60)
with open(os.path.join(here, 'licctl.out')) as f:
    sys.stdout.write(f.read())
with open(os.path.join(here, 'licctl.rc')) as f:
    sys.exit(int(f.read()))
'''


@pytest.fixture
def licctl(fake_mgr_root):
    fake_mgr_root.install_tool('sbin/licctl', FAKE_LICCTL)

    def answer(output, rc=0, log=None):
        with open(fake_mgr_root.join('licctl.out'), 'w') as handle:
            handle.write(output)
        with open(fake_mgr_root.join('licctl.rc'), 'w') as handle:
            handle.write(str(rc))
        if log is not None:
            with open(fake_mgr_root.join('var', 'licctl.log'), 'w') as handle:
                handle.write(log)
        return fake_mgr_root
    return answer


def _argv(root):
    with open(root.join('licctl.argv')) as handle:
        return json.load(handle)


def test_linked_license_with_days_left(run_module, licctl):
    expires = date.today() + timedelta(days=30)
    root = licctl('ID: 123456\nExpire: %s\nJustInstalled: no\n' % expires.isoformat(),
                  log='Mar  3 00:24:37 [9686:1] licctl INFO Got license\n')
    result = run_module(licctl_info, {'mgr_root': root.path})
    assert result['changed'] is False
    lic = result['license']
    assert (lic['id'], lic['linked'], lic['expires'], lic['days_left']) == (123456, True, expires.isoformat(), 30)
    assert lic['fields'] == {'JustInstalled': 'no'}
    assert lic['trial_used'] is True
    assert lic['raw'].startswith('ID: 123456')
    assert _argv(root) == ['info', 'billmgr']
    assert result['cmd'] == [root.join('sbin', 'licctl'), 'info', 'billmgr']


def test_unlinked_server(run_module, licctl):
    root = licctl('ID: 0\n', log='nothing fetched yet\n')
    lic = run_module(licctl_info, {'mgr_root': root.path})['license']
    assert (lic['id'], lic['linked'], lic['expires'], lic['days_left'], lic['trial_used']) == (0, False, None, None, False)


def test_expired_license_has_negative_days_left(run_module, licctl):
    root = licctl('ID: 77\nExpire: %s\n' % (date.today() - timedelta(days=3)).strftime('%d.%m.%Y'))
    lic = run_module(licctl_info, {'mgr_root': root.path})['license']
    assert lic['days_left'] == -3
    assert lic['trial_used'] is None


def test_unknown_expire_form_warns_and_keeps_raw(run_module, licctl):
    root = licctl('ID: 77\nExpire: soon-ish\nPlan: Corporate\n')
    result = run_module(licctl_info, {'mgr_root': root.path})
    assert result['license']['expires'] is None
    assert 'soon-ish' in result['license']['raw']
    assert any('soon-ish' in warning for warning in result['warnings'])
    assert result['license']['fields'] == {'Plan': 'Corporate'}


def test_secret_looking_values_are_masked(run_module, licctl):
    root = licctl('ID: 5\nLicKey: AAAA-BBBB-CCCC\nNote: key AAAA-BBBB-CCCC\n')
    result = run_module(licctl_info, {'mgr_root': root.path})
    assert 'AAAA-BBBB-CCCC' not in json.dumps(result)
    assert result['license']['fields']['LicKey'] == '********'


def test_other_manager_is_passed_through(run_module, licctl):
    root = licctl('ID: 9\n')
    run_module(licctl_info, {'mgr_root': root.path, 'manager': 'vmmgr'})
    assert _argv(root) == ['info', 'vmmgr']


def test_bad_manager_is_refused_before_running_anything(run_module, licctl):
    root = licctl('ID: 9\n')
    result = run_module(licctl_info, {'mgr_root': root.path, 'manager': '../../bin/sh'})
    assert result['failed'] and 'manager: ' in result['msg'] and 'is not a name' in result['msg']
    assert not os.path.exists(root.join('licctl.argv'))


def test_missing_licctl_names_the_path_and_mgr_root(run_module, tmp_path):
    result = run_module(licctl_info, {'mgr_root': str(tmp_path)})
    assert result['failed']
    assert str(tmp_path / 'sbin' / 'licctl') in result['msg']
    assert 'mgr_root' in result['msg']
    assert result['license']['linked'] is False


def test_id_0_from_a_failing_licctl_is_an_unlinked_license_not_a_failure(run_module, licctl):
    root = licctl('ID: 0\nFailed to get license\n', rc=1)
    result = run_module(licctl_info, {'mgr_root': root.path})
    assert not result.get('failed') and result['rc'] == 1
    assert result['license']['id'] == 0 and result['license']['linked'] is False
    assert any('exited with status 1, but printed ID: 0' in warning for warning in result['warnings'])


def test_licctl_failure_returns_what_it_said(run_module, licctl):
    root = licctl('Failed to get license\n', rc=1, log='Got license 1\n')
    result = run_module(licctl_info, {'mgr_root': root.path})
    assert result['failed'] and 'exit status 1' in result['msg'] and 'Failed to get license' in result['msg']
    assert result['rc'] == 1
    # What could be learned is still there.
    assert result['license']['trial_used'] is True
    assert 'Failed to get license' in result['license']['raw']


def test_hung_licctl_is_killed(run_module, licctl):
    root = licctl('ID: 1\n')
    open(root.join('licctl.hang'), 'w').close()
    result = run_module(licctl_info, {'mgr_root': root.path, 'timeout': 0.5})
    assert result['failed'] and 'killed after 0.5 seconds' in result['msg']


def test_check_mode_returns_the_same(run_module, licctl):
    root = licctl('ID: 3\n')
    assert run_module(licctl_info, {'mgr_root': root.path}, check_mode=True)['license']['id'] == 3


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.licctl_info')
    assert_docs_match_argspec(licctl_info, doc['doc']['options'])
    assert set(doc['return']) == {'license', 'cmd', 'rc'}
