"""testinfra checks of the converged lab fleet, run by molecule's verifier over SSH."""

import re


def test_host_is_a_billmanager_stand_in(host):
    assert host.file('/usr/local/mgr5/sbin/mgrctl').is_file
    assert host.check_output('hostname') == host.backend.get_hostname()


def test_converge_left_exactly_one_managed_entry(host):
    conf = host.file('/usr/local/mgr5/etc/debug.conf').content_string
    # A module's log takes the plain NAME LEVEL form, the one every module logger reads.
    assert len(re.findall(r'^pmpaymaster 5$', conf, re.M)) == 1
    assert 'billmgr.ops' in conf


def test_platform_answers(host):
    assert host.run('/usr/local/mgr5/sbin/mgrctl -m billmgr whoami').rc == 0
    assert host.process.filter(comm='core')


def test_license_state_is_the_scenario_s(host):
    first = host.check_output('licctl info billmgr').splitlines()[0]
    if host.backend.get_hostname() == 'bm02':
        assert first == 'ID: 0'
    else:
        assert re.match(r'ID: [1-9]\d*$', first)


def test_operator_debug_line_untouched(host):
    if host.backend.get_hostname() == 'bm03':
        conf = host.file('/usr/local/mgr5/etc/debug.conf').content_string
        assert re.search(r'^pmbillmgr\.\* 9$', conf, re.M)
