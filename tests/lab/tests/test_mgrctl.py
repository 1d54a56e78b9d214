"""The stand-in mgrctl, run as a program against a built tree (no database needed here)."""

from __future__ import annotations

import json
import re
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

import pytest
from labtest import one_host_scenario

LOG_LINE_RE = re.compile(r'^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d '
                         r'\[\d+:\d+\] [a-z_]+ (ERROR|WARNING|INFO|EXTINFO|DEBUG) .+$')


def new_lines(path: Path, before: str) -> list[str]:
    return path.read_text()[len(before):].splitlines()


def comm(pid: int) -> str:
    return Path(f'/proc/{pid}/comm').read_text().strip()


def test_whoami_text_xml_json(build_host):
    built = build_host()
    text = built.mgrctl('whoami')
    assert (text.returncode, text.stdout) == (0, 'name=root\nlevel=admin\n')
    doc = ElementTree.fromstring(built.mgrctl('-o', 'xml', 'whoami').stdout)
    assert doc.tag == 'doc' and doc.findtext('name') == 'root'
    data = json.loads(built.mgrctl('-o', 'json', 'whoami').stdout)
    assert data == {'doc': {'name': {'$': 'root'}, 'level': {'$': 'admin'}}}


def test_every_call_logs_its_query_in_the_platform_format(build_host):
    built = build_host()
    billmgr_log, mgrctl_log = built.root / 'var' / 'billmgr.log', built.root / 'var' / 'mgrctl.log'
    before = billmgr_log.read_text(), mgrctl_log.read_text()
    called = datetime.now()
    assert built.mgrctl('whoami', 'lang=en').returncode == 0
    added = new_lines(billmgr_log, before[0]), new_lines(mgrctl_log, before[1])
    for lines, logger in zip(added, ('rpc', 'mgrctl')):
        assert len(lines) == 1 and LOG_LINE_RE.match(lines[0]), lines
        assert f"{logger} EXTINFO Query('func=whoami&lang=en')" in lines[0]
    days = {f'{when:%b} {when.day:2d} ' for when in (called, datetime.now())}  # the call may cross midnight
    assert added[0][0][:7] in days


def test_unknown_function_in_text_xml_and_json(build_host):
    built = build_host()
    log = built.root / 'var' / 'billmgr.log'
    before = log.read_text()
    text = built.mgrctl('payment_cash_register.check')
    assert text.returncode != 0
    assert text.stdout == 'ERROR missed(function,payment_cash_register.check)\n'
    assert any(line.endswith("libmgr ERROR Error: Type: 'missed' Object: 'function' "
                             "Value: 'payment_cash_register.check'") for line in new_lines(log, before))
    xml = built.mgrctl('-o', 'xml', 'nope')
    assert xml.returncode != 0
    error = ElementTree.fromstring(xml.stdout).find('error')
    assert (error.get('type'), error.get('code')) == ('missed', '3')
    assert {param.get('name'): param.text for param in error.findall('param')} == \
        {'object': 'function', 'value': 'nope'}
    assert error.findtext('msg')
    data = json.loads(built.mgrctl('-o', 'json', 'nope').stdout)['doc']['error']
    assert (data['$type'], data['$object'], data['$value']) == ('missed', 'function', 'nope')


def test_list_functions_and_their_params(build_host):
    built = build_host()
    listed = built.mgrctl('-i')
    assert listed.returncode == 0
    names = {line.split('=', 1)[1] for line in listed.stdout.splitlines()}
    assert {'whoami', 'paymethod.checkpay', 'checkevent', 'pricelist.sync', 'service.billdaily',
            'service.statdaily', 'service.autosuspend'} == names
    assert built.mgrctl('-i', 'pricelist.sync').stdout == 'name=elid required=yes\n'
    unknown = built.mgrctl('-i', 'nope')
    assert unknown.returncode != 0 and unknown.stdout == 'ERROR missed(function,nope)\n'


def test_usage_errors_exit_2(build_host):
    built = build_host()
    for args in ((), ('-o', 'yaml', 'whoami'), ('-x', 'whoami'), ('-m',)):
        result = built.run('sbin/mgrctl', *args)
        assert result.returncode == 2 and 'usage: mgrctl' in result.stderr, args


def test_other_manager_is_an_error(build_host):
    result = build_host().run('sbin/mgrctl', '-m', 'ispmgr', 'whoami')
    assert result.returncode != 0 and result.stdout == 'ERROR missed(manager,ispmgr)\n'


def test_block_and_unblock(build_host):
    built = build_host()
    assert built.mgrctl('-l').returncode == 0
    blocked = built.mgrctl('whoami')
    assert blocked.returncode != 0 and blocked.stdout == 'ERROR blocked(billmgr)\n'
    assert 'mgrctl -u' in ElementTree.fromstring(built.mgrctl('-o', 'xml', 'whoami').stdout).findtext('error/msg')
    assert built.mgrctl('-u').returncode == 0
    assert built.mgrctl('whoami').returncode == 0


def test_platform_down_fails_until_restarted(build_host):
    built = build_host(one_host_scenario(faults={'platform_down': True}, restart_delay=0))
    down = built.mgrctl('whoami')
    assert down.returncode != 0 and down.stdout == 'ERROR connect(billmgr)\n'
    assert built.mgrctl('-i').returncode != 0
    assert 'ERROR' in built.text('var/mgrctl.log').splitlines()[-1]
    assert built.mgrctl('-R').returncode == 0
    assert built.mgrctl('whoami').returncode == 0
    pid = int(built.text('var/run/core.pid'))
    assert comm(pid) == 'core'


def test_restart_counts_kills_core_and_opens_a_window(build_host):
    built = build_host(one_host_scenario(restart_delay=600))
    assert built.mgrctl('-R').returncode == 0
    first_core = int(built.text('var/run/core.pid'))
    assert comm(first_core) == 'core'
    restarting = built.mgrctl('whoami')
    assert restarting.returncode != 0 and restarting.stdout == 'ERROR connect(billmgr)\n'
    assert built.mgrctl('paymethod.checkpay').returncode != 0
    assert built.mgrctl('-R').returncode == 0
    second_core = int(built.text('var/run/core.pid'))
    assert second_core != first_core and comm(second_core) == 'core'
    assert not Path(f'/proc/{first_core}/comm').exists() or open(f'/proc/{first_core}/stat').read().split()[2] == 'Z'
    state = built.state()
    assert len(state['restarts']) == 2
    assert all(re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d', when) for when in state['restarts'])
    state['restart_until'] = time.time() - 1  # the window has passed
    built.save_state(state)
    assert built.mgrctl('whoami').returncode == 0


def test_restart_without_delay_answers_at_once(build_host):
    built = build_host(one_host_scenario(restart_delay=0))
    assert built.mgrctl('-R').returncode == 0
    assert built.mgrctl('whoami').returncode == 0


def test_restart_fails_never_answers_again(build_host):
    built = build_host(one_host_scenario(faults={'restart_fails': True}, restart_delay=0))
    assert built.mgrctl('whoami').returncode == 0
    for _attempt in range(2):
        assert built.mgrctl('-R').returncode == 0
        result = built.mgrctl('whoami')
        assert result.returncode != 0 and result.stdout == 'ERROR connect(billmgr)\n'
    assert not (built.root / 'var' / 'run' / 'core.pid').exists()
    assert len(built.state()['restarts']) == 2


def test_hang_sleeps_forever(build_host):
    built = build_host(one_host_scenario(faults={'mgrctl_hang': True}))
    with pytest.raises(subprocess.TimeoutExpired):
        built.mgrctl('whoami', timeout=1)
    with pytest.raises(subprocess.TimeoutExpired):
        built.mgrctl('-R', timeout=1)


def test_log_lines_follow_debug_conf_colour_and_levels(build_host):
    coloured = build_host(one_host_scenario(log_color=True))
    coloured.mgrctl('whoami')
    assert coloured.text('var/billmgr.log').splitlines()[-1].endswith(
        "rpc \x1b[36mEXTINFO\x1b[0m Query('func=whoami')")
    quiet = build_host(one_host_scenario(name='bm02'))
    conf = quiet.root / 'etc' / 'debug.conf'
    conf.write_text(conf.read_text() + 'billmgr.* 4\n')
    log = quiet.root / 'var' / 'billmgr.log'
    before = log.read_text()
    quiet.mgrctl('whoami')
    quiet.mgrctl('nope')
    added = new_lines(log, before)
    assert len(added) == 1 and "libmgr ERROR Error: Type: 'missed'" in added[0]
