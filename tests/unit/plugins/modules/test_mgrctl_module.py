# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mgrctl module against a stand-in mgrctl.

(Named test_mgrctl_module.py: tests/unit/plugins/module_utils/test_mgrctl.py already holds the
basename, and pytest imports test files by basename.)
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.billmgr.ops.plugins.modules import mgrctl

# Logs its argv; answers with the entry of answers.json for the function (the argument after the
# options), or the "*" entry.  "{argv}" in an answer is replaced with the argv, to show echoes.
FAKE_MGRCTL = r'''
import json, os, sys, time
state = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'fake')
args = sys.argv[1:]
with open(os.path.join(state, 'calls.log'), 'a') as f:
    f.write(json.dumps(args) + '\n')
with open(os.path.join(state, 'answers.json')) as f:
    answers = json.load(f)
rest = list(args)
while rest and rest[0].startswith('-'):
    flag = rest.pop(0)
    if flag in ('-m', '-o'):
        rest.pop(0)
answer = answers.get(rest[0] if rest else '', answers.get('*', {}))
if answer.get('sleep'):
    time.sleep(answer['sleep'])
sys.stdout.write(answer.get('stdout', '').replace('{argv}', ' '.join(args)))
sys.exit(answer.get('rc', 0))
'''


class Platform:
    def __init__(self, root):
        self.root = root
        self.state = root.join('fake')
        os.makedirs(self.state)
        root.install_tool('sbin/mgrctl', FAKE_MGRCTL)
        self.answer('*', 'OK\n')
        self.answer('whoami', 'name=root\nlevel=admin\n')

    def answer(self, func, stdout, rc=0, sleep=0):
        path = os.path.join(self.state, 'answers.json')
        answers = {}
        if os.path.exists(path):
            with open(path) as handle:
                answers = json.load(handle)
        answers[func] = {'stdout': stdout, 'rc': rc, 'sleep': sleep}
        with open(path, 'w') as handle:
            json.dump(answers, handle)

    def calls(self):
        path = os.path.join(self.state, 'calls.log')
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle]

    def args(self, **extra):
        return dict({'mgr_root': self.root.path}, **extra)


@pytest.fixture
def platform(fake_mgr_root):
    return Platform(fake_mgr_root)


def test_read_only_function_reports_no_change_and_parses_the_form(run_module, platform):
    result = run_module(mgrctl, platform.args(func='whoami'))
    assert (result['changed'], result['read_only'], result['skipped_call']) == (False, True, False)
    assert result['form'] == {'name': 'root', 'level': 'admin'}
    assert result['elements'] == [{'name': 'root'}, {'level': 'admin'}]
    assert platform.calls() == [['-m', 'billmgr', '-o', 'text', 'whoami']]


def test_changing_function_reports_a_change_and_runs_with_params_in_order(run_module, platform):
    result = run_module(mgrctl, platform.args(func='pricelist.sync', params={'elid': 21, 'sok': 'ok'}))
    assert result['changed'] is True and result['read_only'] is False and result['rc'] == 0
    assert platform.calls() == [['-m', 'billmgr', '-o', 'text', 'pricelist.sync', 'elid=21', 'sok=ok']]
    assert result['cmd'] == [platform.root.join('sbin', 'mgrctl'), '-m', 'billmgr', '-o', 'text', 'pricelist.sync',
                             'elid=21', 'sok=ok']


def test_check_mode_does_not_call_a_changing_function(run_module, platform):
    result = run_module(mgrctl, platform.args(func='paymethod.checkpay'), check_mode=True)
    assert (result['changed'], result['skipped_call'], result['refused']) == (True, True, False)
    # No rc at all: Ansible would read a null rc as a failed task.
    assert 'rc' not in result and not result.get('failed')
    # Only asked whether the platform knows the function.
    assert platform.calls() == [['-m', 'billmgr', '-i', 'paymethod.checkpay']]
    assert result['cmd'][-1] == 'paymethod.checkpay'


UNKNOWN = 'ERROR missed(function,paymethod.chekpay)\n'


def test_check_mode_reports_no_change_for_a_function_the_platform_refuses(run_module, platform):
    platform.answer('paymethod.chekpay', UNKNOWN, rc=1)
    result = run_module(mgrctl, platform.args(func='paymethod.chekpay'), check_mode=True)
    assert result['failed'] and result['changed'] is False and result['refused'] is True
    assert result['skipped_call'] is False and 'rc' not in result
    assert 'has no function paymethod.chekpay' in result['msg'] and 'nothing was changed' in result['msg']
    assert platform.calls() == [['-m', 'billmgr', '-i', 'paymethod.chekpay']]


def test_a_refusal_the_caller_allowed_ends_ok_with_a_warning(run_module, platform):
    platform.answer('paymethod.chekpay', UNKNOWN, rc=1)
    for check_mode in (False, True):
        result = run_module(mgrctl, platform.args(func='paymethod.chekpay', allow_refusal=True), check_mode=check_mode)
        assert result['failed'] is False and result['changed'] is False and result['refused'] is True
        assert any('has no function paymethod.chekpay' in warning for warning in result['warnings'])


def test_allow_refusal_does_not_hide_other_errors(run_module, platform):
    platform.answer('pricelist.sync', 'ERROR missed(pricelist,99)\n', rc=1)
    result = run_module(mgrctl, platform.args(func='pricelist.sync', params={'elid': 99}, allow_refusal=True))
    assert result['failed'] and result['refused'] is False


def test_check_mode_keeps_its_prediction_when_the_platform_cannot_say(run_module, platform):
    platform.answer('checkevent', 'ERROR connect(billmgr)\n', rc=1)
    result = run_module(mgrctl, platform.args(func='checkevent'), check_mode=True)
    assert not result.get('failed') and (result['changed'], result['skipped_call']) == (True, True)
    assert any('unconfirmed' in warning for warning in result['warnings'])


def test_check_mode_calls_a_read_only_function(run_module, platform):
    result = run_module(mgrctl, platform.args(func='whoami'), check_mode=True)
    assert result['changed'] is False and result['skipped_call'] is False
    assert len(platform.calls()) == 1


def test_read_only_functions_can_be_extended(run_module, platform):
    result = run_module(mgrctl, platform.args(func='paymethod.edit', params={'elid': 2},
                                              read_only_functions=['whoami', 'paymethod.edit']),
                        check_mode=True)
    assert result['changed'] is False and len(platform.calls()) == 1
    result = run_module(mgrctl, platform.args(func='whoami', read_only_functions=['paymethod.edit']))
    assert result['changed'] is True, 'the list replaces the default'


def test_text_list_output_becomes_elements(run_module, platform):
    platform.answer('paymethod', 'id=1 name=Bank transfer active=on\nid=2 name=PayMaster active=on\n')
    result = run_module(mgrctl, platform.args(func='paymethod'))
    assert result['changed'] is False
    assert result['elements'] == [{'id': '1', 'name': 'Bank transfer', 'active': 'on'},
                                  {'id': '2', 'name': 'PayMaster', 'active': 'on'}]


def test_error_line_fails_with_the_error_and_what_it_means(run_module, platform):
    platform.answer('paymethod.chekpay', 'ERROR missed(function,paymethod.chekpay)\n', rc=1)
    result = run_module(mgrctl, platform.args(func='paymethod.chekpay'))
    assert result['failed'] and result['changed'] is False and result['refused'] is True
    error = result['error']
    assert (error['type'], error['object'], error['value']) == ('missed', 'function', 'paymethod.chekpay')
    assert 'ERROR missed(function,paymethod.chekpay)' in result['msg']
    assert 'has no function paymethod.chekpay' in result['msg'] and 'nothing was changed' in result['msg']


def test_a_missing_parameter_is_explained_not_taken_for_an_unknown_function(run_module, platform):
    platform.answer('pricelist.sync', 'ERROR missed(elid)\n', rc=1)
    result = run_module(mgrctl, platform.args(func='pricelist.sync'))
    assert result['failed'] and result['refused'] is False
    assert 'does not exist, or a required parameter is missing' in result['msg']


def test_platform_down_points_at_starting_it(run_module, platform):
    platform.answer('paymethod.checkpay', 'ERROR connect(billmgr)\n', rc=1)
    result = run_module(mgrctl, platform.args(func='paymethod.checkpay'))
    assert result['failed'] and result['error']['type'] == 'connect'
    assert 'billmgr.ops.mgrctl_restart' in result['msg'] and 'state: started' in result['msg']


def test_unknown_error_type_points_at_the_log(run_module, platform):
    platform.answer('service.billdaily', 'ERROR stat_addon_over_limit()\n', rc=1)
    result = run_module(mgrctl, platform.args(func='service.billdaily'))
    assert result['failed'] and platform.root.join('var', 'billmgr.log') in result['msg']


def test_json_output_is_parsed_into_elements_and_json(run_module, platform):
    answer = {'doc': {'elem': [{'id': {'$': '1'}, 'name': {'$': 'Bank'}}, {'id': {'$': '2'}, 'name': {'$': 'PM'}}],
                      '$lang': 'en'}}
    platform.answer('paymethod', json.dumps(answer))
    result = run_module(mgrctl, platform.args(func='paymethod', output='json'))
    assert result['elements'] == [{'id': '1', 'name': 'Bank'}, {'id': '2', 'name': 'PM'}]
    assert result['json'] == answer
    assert platform.calls()[0][:4] == ['-m', 'billmgr', '-o', 'json']


def test_json_form_and_error(run_module, platform):
    platform.answer('whoami', json.dumps({'doc': {'name': {'$': 'root'}, 'level': {'$': 'admin'}}}))
    assert run_module(mgrctl, platform.args(func='whoami', output='json'))['form'] == {'name': 'root', 'level': 'admin'}
    error = {'doc': {'error': {'$type': 'value', '$object': 'elid', '$value': 'x', '$code': '4',
                               'param': [{'$name': 'object', '$': 'elid'}], 'msg': {'$': 'elid must be a plan id'}}}}
    platform.answer('pricelist.sync', json.dumps(error), rc=1)
    result = run_module(mgrctl, platform.args(func='pricelist.sync', params={'elid': 'x'}, output='json'))
    assert result['failed']
    assert (result['error']['type'], result['error']['object'], result['error']['msg']) == \
        ('value', 'elid', 'elid must be a plan id')
    assert 'a value the platform does not accept' in result['msg'] and 'elid must be a plan id' in result['msg']


SECRET = 'S3cr3t-Value-42'


def test_secret_params_are_masked_everywhere(run_module, platform):
    platform.answer('user.edit', 'ERROR value(passwd,{argv})\n', rc=1)
    result = run_module(mgrctl, platform.args(func='user.edit', params={'elid': 5, 'passwd': SECRET, 'sok': 'ok'},
                                              secret_params=['passwd']))
    assert result['failed']
    text = json.dumps(result)
    assert SECRET not in text
    assert 'passwd=********' in result['cmd']
    assert result['invocation']['module_args']['params']['passwd'] != SECRET
    # The call itself got the value: masking is in what is shown, not in what is done.
    assert 'passwd=%s' % SECRET in platform.calls()[0]


def test_without_secret_params_the_value_of_a_plain_name_shows(run_module, platform):
    # The counterpart of the test above: the echo really carries the value, unless its name looks
    # secret (passwd), which masks it without secret_params.
    result = run_module(mgrctl, platform.args(func='user.edit', params={'comment': SECRET}))
    assert SECRET in json.dumps(result)
    result = run_module(mgrctl, platform.args(func='user.edit', params={'passwd': SECRET}))
    assert SECRET not in json.dumps(result)


@pytest.mark.parametrize('bad', [{'func': 'whoami; reboot'}, {'func': 'whoami', 'params': {'a b': 1}},
                                 {'func': 'whoami', 'manager': '../bin'}, {'func': 'whoami', 'timeout': 0}])
def test_bad_names_are_refused_before_running(run_module, platform, bad):
    for check_mode in (False, True):
        result = run_module(mgrctl, platform.args(**bad), check_mode=check_mode)
        assert result['failed'] and result['changed'] is False, 'nothing was run, so nothing changed'
        assert platform.calls() == []


def test_hung_mgrctl_is_killed(run_module, platform):
    platform.answer('checkevent', 'OK\n', sleep=30)
    result = run_module(mgrctl, platform.args(func='checkevent', timeout=0.5))
    assert result['failed'] and result['error']['type'] == 'timeout'
    assert result['changed'] is True, 'a call killed halfway may have changed something'


def test_maintenance_mode_warns_on_a_changing_call(run_module, platform):
    open(platform.root.join('etc', 'billmgr.DoNothing'), 'w').close()
    read = run_module(mgrctl, platform.args(func='whoami'))
    assert not any('maintenance mode' in warning for warning in read.get('warnings', []))
    result = run_module(mgrctl, platform.args(func='paymethod.checkpay'))
    assert any('maintenance mode' in warning for warning in result['warnings'])


def test_missing_mgrctl_names_the_path(run_module, tmp_path):
    result = run_module(mgrctl, {'mgr_root': str(tmp_path), 'func': 'whoami'})
    assert result['failed'] and str(tmp_path / 'sbin' / 'mgrctl') in result['msg'] and 'mgr_root' in result['msg']


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.mgrctl')
    assert_docs_match_argspec(mgrctl, doc['doc']['options'])
    assert set(doc['return']) == {'elements', 'form', 'json', 'error', 'read_only', 'refused', 'skipped_call', 'cmd',
                                  'rc', 'stdout', 'stderr'}
