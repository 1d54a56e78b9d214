# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import (
    CommandResult,
    Mgrctl,
    MgrctlUsageError,
    Runner,
    describe_error,
    find_error,
    local_run_command,
    mgrctl_argv,
    parse_error_line,
    parse_form,
    parse_json_error,
    parse_pairs,
    parse_text,
    parse_xml,
    parse_xml_error,
    platform_answers,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout

NOT_ENOUGH_MONEY_XML = '''<?xml version="1.0" encoding="UTF-8"?>
<doc>
  <error type="not_enough_money" code="1" lang="en">
    <param name="amount">1500.00</param>
    <param name="have">200.00</param>
    <param name="currency">RUB</param>
    <param name="deficit">1300.00</param>
    <param name="limit">0.00</param>
    <msg>Not enough money on the account</msg>
  </error>
</doc>
'''


class FakeRunCommand:
    """Records argv lists and answers from a queue of (rc, stdout, stderr)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, args, **kwargs):
        self.calls.append((args, kwargs))
        return self.answers.pop(0)


# ---- argv -------------------------------------------------------------------------------------

def test_argv_is_a_list_in_the_documented_order():
    argv = mgrctl_argv('/usr/local/mgr5/sbin/mgrctl', 'billmgr', 'pricelist.sync', {'elid': 12}, output='xml')
    assert argv == ['/usr/local/mgr5/sbin/mgrctl', '-m', 'billmgr', '-o', 'xml', 'pricelist.sync', 'elid=12']


def test_argv_keeps_values_whole_and_param_order():
    argv = mgrctl_argv('mgrctl', 'billmgr', 'f', [('b', 'x; rm -rf / $HOME'), ('a', None)])
    assert argv[-2:] == ['b=x; rm -rf / $HOME', 'a=']


def test_restart_flag():
    assert mgrctl_argv('mgrctl', 'billmgr', flags=('-R',)) == ['mgrctl', '-m', 'billmgr', '-R']


@pytest.mark.parametrize('func,params,output', [
    ('whoami; reboot', None, None),
    ('-R', None, None),
    ('whoami', {'a b': 1}, None),
    ('whoami', {'=x': 1}, None),
    ('whoami', None, 'yaml'),
])
def test_argv_refuses_what_is_not_a_name(func, params, output):
    with pytest.raises(MgrctlUsageError):
        mgrctl_argv('mgrctl', 'billmgr', func, params, output)


# ---- text -------------------------------------------------------------------------------------

def test_text_elements_one_per_line():
    out = 'id=1 name=Main status=2\nid=2 name=Second company status=3\n\n'
    assert parse_text(out) == [
        {'id': '1', 'name': 'Main', 'status': '2'},
        {'id': '2', 'name': 'Second company', 'status': '3'},
    ]


def test_text_value_with_equals_inside_and_empty_values():
    assert parse_pairs('url=https://x/?a=b&c=d note= empty=') == {'url': 'https://x/?a=b&c=d', 'note': '', 'empty': ''}


def test_text_form_and_noise():
    out = 'OK\nname=billmgr\nversion=6.100.0 (stable)\n'
    assert parse_form(out) == {'name': 'billmgr', 'version': '6.100.0 (stable)'}


@pytest.mark.parametrize('line,expected', [
    ('ERROR missed(currency)', ('missed', 'currency', None)),
    ('ERROR value(price,-1)', ('value', 'price', '-1')),
    ('ERROR access()', ('access', '', None)),
    ('ERROR unknown', ('unknown', None, None)),
    ('  ERROR exists(account,a b (c))  ', ('exists', 'account', 'a b (c)')),
])
def test_error_lines(line, expected):
    error = parse_error_line('something\n' + line + '\n')
    assert (error['type'], error['object'], error['value']) == expected


def test_no_error_line():
    assert parse_error_line('id=1 name=ERROR x\n') is None
    assert parse_text('ERROR missed(currency)\n') == []


# ---- xml / json -------------------------------------------------------------------------------

def test_xml_not_enough_money():
    error = parse_xml_error(NOT_ENOUGH_MONEY_XML)
    assert error['type'] == 'not_enough_money'
    assert error['code'] == '1'
    assert error['params'] == {'amount': '1500.00', 'have': '200.00', 'currency': 'RUB',
                               'deficit': '1300.00', 'limit': '0.00'}
    assert error['msg'] == 'Not enough money on the account'


def test_xml_object_and_value_from_params_or_attributes():
    error = parse_xml_error('<doc><error type="missed" object="currency"><param name="value">x</param></error></doc>')
    assert (error['type'], error['object'], error['value']) == ('missed', 'currency', 'x')


def test_xml_success_and_garbage():
    assert parse_xml_error('<doc><ok/></doc>') is None
    assert parse_xml_error('not xml at all') is None
    with pytest.raises(ValueError):
        parse_xml('<doc>')
    assert parse_xml('<doc><elem><id>1</id></elem></doc>').find('elem/id').text == '1'


def test_json_error_in_platform_and_plain_shapes():
    platform_shape = json.dumps({'doc': {'error': {
        '$type': 'not_enough_money', '$code': '1',
        'param': [{'$name': 'amount', '$': '1500.00'}, {'$name': 'currency', '$': 'RUB'}],
        'msg': {'$': 'Not enough money'}}}})
    error = parse_json_error(platform_shape)
    assert error['type'] == 'not_enough_money'
    assert error['params'] == {'amount': '1500.00', 'currency': 'RUB'}
    assert error['msg'] == 'Not enough money'
    plain = parse_json_error(json.dumps({'error': {'type': 'missed', 'object': 'currency', 'msg': 'no currency'}}))
    assert (plain['type'], plain['object'], plain['msg']) == ('missed', 'currency', 'no currency')
    assert parse_json_error(json.dumps({'doc': {'elem': []}})) is None
    assert parse_json_error('{broken') is None


# ---- success and failure ----------------------------------------------------------------------

def test_find_error_in_every_form():
    ok = CommandResult(['m'], 0, 'id=1\n', '')
    assert find_error(ok) is None
    assert find_error(CommandResult(['m'], 1, 'ERROR missed(currency)\n', ''))['type'] == 'missed'
    assert find_error(CommandResult(['m'], 1, NOT_ENOUGH_MONEY_XML, ''), 'xml')['type'] == 'not_enough_money'
    # Exit status 0 with an ERROR line is still a failure.
    assert find_error(CommandResult(['m'], 0, 'ERROR access(whoami)\n', ''))['type'] == 'access'
    silent = find_error(CommandResult(['m'], 3, '', 'segfault'))
    assert (silent['type'], silent['value'], silent['msg']) == ('exit', '3', 'segfault')
    hung = find_error(CommandResult(['m'], -9, '', '', timed_out=True, timeout=2))
    assert hung['type'] == 'timeout' and 'killed after 2 seconds' in hung['msg']


def test_describe_error():
    assert describe_error(parse_error_line('ERROR missed(currency)')) == 'missed(currency)'
    assert describe_error(parse_xml_error(NOT_ENOUGH_MONEY_XML)) == 'not_enough_money(): Not enough money on the account'
    assert describe_error(None) == ''


# ---- running ----------------------------------------------------------------------------------

def test_runner_hands_a_list_and_no_expansion_to_run_command():
    fake = FakeRunCommand((0, 'name=root\n', ''))
    result = Runner(fake).run(['/x/mgrctl', '-m', 'billmgr', 'whoami'], timeout=5)
    args, kwargs = fake.calls[0]
    assert args == ['/x/mgrctl', '-m', 'billmgr', 'whoami']
    assert kwargs['expand_user_and_vars'] is False
    assert kwargs['check_rc'] is False
    assert callable(kwargs['before_communicate_callback'])
    assert (result.rc, result.stdout, result.timed_out) == (0, 'name=root\n', False)


def test_platform_answers_uses_whoami_of_the_layouts_manager():
    fake = FakeRunCommand((0, 'name=root\n', ''), (1, 'ERROR auth(whoami)\n', ''))
    layout = MgrLayout('/opt/mgr', manager='billmgr')
    assert platform_answers(Runner(fake), layout, timeout=5) == (True, 'name=root')
    assert platform_answers(Runner(fake), layout, timeout=5) == (False, 'ERROR auth(whoami)')
    assert fake.calls[0][0] == ['/opt/mgr/sbin/mgrctl', '-m', 'billmgr', 'whoami']


def test_restart_and_call_build_the_right_commands():
    fake = FakeRunCommand((0, '', ''), (1, NOT_ENOUGH_MONEY_XML, ''))
    mgrctl = Mgrctl(Runner(fake), MgrLayout('/m'), timeout=5)
    assert mgrctl.restart()[1] is None
    result, error = mgrctl.call('service.billdaily', {'elid': 3}, output='xml')
    assert error['params']['deficit'] == '1300.00'
    assert [call[0] for call in fake.calls] == [
        ['/m/sbin/mgrctl', '-m', 'billmgr', '-R'],
        ['/m/sbin/mgrctl', '-m', 'billmgr', '-o', 'xml', 'service.billdaily', 'elid=3'],
    ]


def _script(tmp_path, body):
    path = tmp_path / 'tool'
    path.write_text('#!%s\n%s' % (sys.executable, body))
    path.chmod(0o755)
    return str(path)


def test_local_runner_kills_a_hung_command(tmp_path):
    tool = _script(tmp_path, 'import sys, time\nsys.stdout.write("started\\n")\nsys.stdout.flush()\ntime.sleep(60)\n')
    result = Runner(local_run_command).run([tool], timeout=0.5)
    assert result.timed_out is True
    assert result.rc != 0
    assert 'started' in result.output and 'killed after 0.5 seconds' in result.output


def test_local_runner_passes_through_a_quick_command(tmp_path):
    tool = _script(tmp_path, 'import sys\nsys.stdout.write(" ".join(sys.argv[1:]))\nsys.exit(3)\n')
    result = Runner(local_run_command).run([tool, 'a=$HOME', 'b'], timeout=30)
    assert (result.rc, result.stdout, result.timed_out) == (3, 'a=$HOME b', False)


def test_missing_binary_is_a_result_not_a_crash(tmp_path):
    result = Runner(local_run_command).run([str(tmp_path / 'nope')], timeout=5)
    assert result.rc == 127
    assert 'cannot run' in result.stderr and os.path.basename(str(tmp_path / 'nope')) in result.stderr
    assert find_error(result)['type'] == 'exit'


def test_a_bad_function_name_is_refused_naming_the_func_option():
    with pytest.raises(MgrctlUsageError, match=r"^func 'whoami;id' is not a platform function name"):
        mgrctl_argv('mgrctl', 'billmgr', 'whoami;id')


# ---- the runner against hostile children ------------------------------------------------------

@pytest.mark.parametrize('timeout', [float('inf'), float('nan'), 1e300, -1, 0, 'x'])
def test_a_timeout_that_would_not_bound_is_refused(timeout):
    with pytest.raises(ValueError) as caught:
        Runner().run(['true'], timeout=timeout)
    assert 'timeout' in str(caught.value)


def test_a_grandchild_holding_the_pipe_dies_with_the_group_at_the_timeout(tmp_path):
    pid_file = tmp_path / 'grandchild.pid'
    tool = _script(tmp_path, 'import subprocess, sys, time\n'
                   'child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])\n'
                   'open(%r, "w").write(str(child.pid))\n'
                   'time.sleep(600)\n' % str(pid_file))
    result = Runner().run([tool], timeout=5)
    assert result.timed_out and result.rc == -signal.SIGKILL
    grandchild = int(pid_file.read_text())
    # Killed with the group; reaped by whoever inherited it.
    assert _gone(grandchild)


def _gone(pid):
    for _attempt in range(200):
        try:
            with open('/proc/%d/stat' % pid) as handle:
                if handle.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X'):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    os.kill(pid, 9)
    return False


def test_output_is_kept_up_to_a_cap(tmp_path):
    tool = _script(tmp_path, 'import sys\nsys.stdout.write("x" * 300000)\n')
    result = Runner(output_cap=1000).run([tool], timeout=60)
    assert result.stdout.startswith('x' * 1000) and '299000 more bytes of output not kept' in result.stdout
