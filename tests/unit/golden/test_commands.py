# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every command of runbook 000 (tests/golden/runbook000/commands.txt) and what does its job here.

Each command is either run by the collection in the same form (argv compared word for word) or
replaced by a reader whose result carries the same figures; a command added to the golden file
without an entry below fails the listing test, so no runbook step is silently left out.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.diskinfo import usage
from ansible_collections.billmgr.ops.plugins.module_utils._logs.errorscan import DEFAULT_PATTERN, compile_pattern
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import SECTIONS
from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import info_argv
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.meminfo import memory_facts, parse_meminfo
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import mgrctl_argv
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.osinfo import LEGACY_RELEASE_FILES, OS_RELEASE_FILES
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout

GOLDEN = Path(__file__).resolve().parents[2] / 'golden' / 'runbook000' / 'commands.txt'
LAYOUT = MgrLayout('/usr/local/mgr5')
MEMINFO = 'MemTotal:        4028440 kB\nMemFree:          211344 kB\nMemAvailable:    1631188 kB\n'


def commands():
    return [line for line in GOLDEN.read_text().splitlines() if line.strip()]


def pipeline(command):
    """The words of each stage of a shell pipeline."""
    return [shlex.split(stage) for stage in command.split(' | ')]


def grep_pattern(stage):
    assert stage[0] == 'grep'
    return stage[-1]


def check_release_files(command):
    (words,) = pipeline(command)
    files = [path for path in OS_RELEASE_FILES + LEGACY_RELEASE_FILES if path.startswith('/etc/')]
    assert files and all(fnmatch.fnmatch(path, words[1]) for path in files)
    assert 'os' in SECTIONS


def check_clock(command):
    assert pipeline(command) == [['date', '-R']]
    assert 'clock' in SECTIONS


def check_disk_space(command):
    assert pipeline(command)[0][0] == 'df'
    figures = usage('/')
    assert {'size_bytes', 'used_bytes', 'avail_bytes', 'used_pct'} <= set(figures)
    assert 'disk' in SECTIONS


def check_inodes(command):
    assert pipeline(command) == [['df', '-i']]
    figures = usage('/')
    assert {'inodes_total', 'inodes_free', 'inodes_used_pct'} <= set(figures)


def check_memory(command):
    assert pipeline(command) == [['free', '-h']]
    facts = memory_facts(parse_meminfo(MEMINFO))
    assert (facts['total_bytes'], facts['available_bytes']) == (4028440 * 1024, 1631188 * 1024)
    assert 'memory' in SECTIONS


def check_error_grep(command):
    source, grep = pipeline(command)
    assert source[0] in ('dmesg', 'journalctl') and '%s_errors' % source[0].replace('dmesg', 'kernel').replace(
        'journalctl', 'journal') in SECTIONS
    assert grep[:3] == ['grep', '-i', '-E']
    assert grep_pattern(grep) == DEFAULT_PATTERN
    # -i: the runbook's grep ignores case, and so does the collection's pattern.
    assert compile_pattern(DEFAULT_PATTERN).search('Kernel PANIC - not syncing')


def check_licctl_log(command):
    (cat, path), grep = pipeline(command)
    assert cat == 'cat' and path == LAYOUT.path('var', 'licctl.log')
    assert grep_pattern(grep) == 'Got'


def check_licctl(command):
    words = pipeline(command)[0]
    if words[1] == 'info':
        assert info_argv(LAYOUT.licctl, LAYOUT.manager) == words
    else:
        # licctl fetch is run by the licctl module; its unit tests compare the argv (key masked).
        assert words[:3] == [LAYOUT.licctl, 'fetch', LAYOUT.manager]
        assert words[3:] in ([], ['KEY'])


def check_mgrctl(command):
    words = pipeline(command)[0]
    if words[-1] == '-R':
        assert mgrctl_argv(LAYOUT.mgrctl, LAYOUT.manager, flags=('-R',)) == words
    else:
        assert mgrctl_argv(LAYOUT.mgrctl, LAYOUT.manager, words[-1]) == words


def check_log_grep(command):
    words = pipeline(command)[0]
    pattern, path = grep_pattern(words[:-1]), words[-1]
    assert path.startswith(LAYOUT.path('var') + '/') and path.endswith('.log')
    # 'ERROR' is log_grep's default level; a thread id such as 483562:72787 is its thread option.
    assert pattern == 'ERROR' or re.fullmatch(r'\d+:\d+', pattern)


def operator_only(command):
    """Interactive steps (follow a log live, open a SQL shell): the modules take their place."""
    assert pipeline(command)[0][0] in ('tail', 'mysql')


CHECKS = [
    (r'cat /etc/\*release', check_release_files),
    (r'date -R', check_clock),
    (r'df -hT', check_disk_space),
    (r'df -i', check_inodes),
    (r'free -h', check_memory),
    (r'(dmesg|journalctl) \| grep .*', check_error_grep),
    (r'cat \S+licctl\.log \| grep .*', check_licctl_log),
    (r'\S+/licctl (info|fetch) .*', check_licctl),
    (r'\S+/mgrctl -m billmgr .*', check_mgrctl),
    (r"grep '[^']+' \S+\.log", check_log_grep),
    (r'tail -f .*|mysql billmgr', operator_only),
]


def check_for(command):
    matching = [check for pattern, check in CHECKS if re.fullmatch(pattern, command)]
    assert len(matching) == 1, 'runbook command %r has %d checks here, not one' % (command, len(matching))
    return matching[0]


@pytest.mark.parametrize('command', commands())
def test_runbook_command_is_done_the_same_way(command):
    check_for(command)(command)


def test_every_check_is_used():
    used = {check_for(command) for command in commands()}
    assert used == {check for _pattern, check in CHECKS}
