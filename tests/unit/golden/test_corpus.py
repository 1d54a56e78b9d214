# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The golden corpus against the vendor's runbooks: where each sample comes from, and that none is missed.

tests/golden/samples.yml lists every golden file of a runbook with the lines it was taken from.
The runbooks themselves are reference material kept beside the repository (../shared/runbooks);
they are read, never copied here beyond the samples.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / 'tests' / 'golden'
RUNBOOKS = Path(os.environ.get('BILLMGR_OPS_RUNBOOKS') or REPO.parent / 'shared' / 'runbooks')
LISTING = yaml.safe_load((GOLDEN / 'samples.yml').read_text())

# What a literal sample looks like in the runbooks' text: a command, SQL, a crontab line, or a log
# line. Prose that merely names a command is not matched (it does not start the line).
SAMPLE_LINE = re.compile(
    r'[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \[\d+:\d+\] \S+ [A-Z]+ .*'   # a platform log header
    r'|<doc>.*'                                                          # a log record's XML reply
    r'|(?i:select) [\w*, ]+ (?i:from) .*|(?i:update) \w+ (?i:set) .*'     # SQL
    r'|(?:\*/\d+|## BILLmanager) .*'                                     # root's crontab
    r'|(?:cat|date|df|free|dmesg|journalctl|grep|tail|mysql|cd) .*'      # shell commands
    r'|(?:/usr/local/mgr5/|\./sbin/)\S+(?: .*)?'
)


def runbook_lines(name):
    path = RUNBOOKS / name
    return path.read_text(encoding='utf-8').splitlines()


def golden_lines(path):
    return [line.strip() for line in path.read_text(encoding='utf-8').splitlines()]


def runbooks_present():
    if RUNBOOKS.is_dir():
        return True
    if os.environ.get('CI') == 'true':
        pytest.fail('the vendor runbooks are not at %s (CI lays shared/ beside the clone)' % RUNBOOKS)
    pytest.skip('the vendor runbooks are not at %s; set BILLMGR_OPS_RUNBOOKS' % RUNBOOKS)
    return False


def listed():
    return [pytest.param(entry, id=entry['golden']) for entry in LISTING['samples']]


@pytest.mark.parametrize('entry', listed())
def test_golden_file_is_the_runbook_text(entry):
    """Each file holds exactly the runbook lines it names (a range, or a list of one-line samples),
    indentation of the page aside; an inline sample is quoted inside the one line named."""
    runbooks_present()
    lines = runbook_lines(entry['runbook'])
    if entry.get('inline'):
        (text,) = golden_lines(GOLDEN / entry['golden'])
        assert text and text in lines[entry['lines'] - 1]
        return
    if isinstance(entry['lines'], list):
        numbers = entry['lines']
    else:
        first, last = (int(part) for part in entry['lines'].split('-'))
        numbers = range(first, last + 1)
    source = [lines[number - 1].strip() for number in numbers]
    assert golden_lines(GOLDEN / entry['golden']) == source


def test_every_runbook_golden_file_is_listed():
    on_disk = {str(path.relative_to(GOLDEN)) for path in GOLDEN.glob('runbook*/*') if path.is_file()}
    assert on_disk == {entry['golden'] for entry in LISTING['samples']}


def test_every_sample_of_the_runbooks_has_a_golden_file():
    runbooks_present()
    covered = {}
    for entry in LISTING['samples']:
        covered.setdefault(entry['runbook'], set()).update(golden_lines(GOLDEN / entry['golden']))
    missing = []
    for path in sorted(RUNBOOKS.glob('*.txt')):
        for number, line in enumerate(runbook_lines(path.name), 1):
            text = line.strip()
            if SAMPLE_LINE.fullmatch(text) and text not in covered.get(path.name, set()):
                missing.append('%s:%d %s' % (path.name, number, text))
    for inline in LISTING.get('inline', ()):
        if inline['text'] not in covered.get(inline['runbook'], set()) and not any(
                inline['text'] in line for line in covered.get(inline['runbook'], set())):
            missing.append('%s (inline) %s' % (inline['runbook'], inline['text']))
    assert not missing, 'runbook samples with no golden file:\n' + '\n'.join(missing)


def test_every_golden_file_is_asserted_by_a_test():
    # The SQL samples' table is shared with the database tests, in tests/support.
    tests = '\n'.join(path.read_text(encoding='utf-8') for path in (REPO / 'tests' / 'unit').rglob('test_*.py'))
    tests += '\n'.join(path.read_text(encoding='utf-8') for path in (REPO / 'tests' / 'support').glob('*.py'))
    unused = [str(path.relative_to(GOLDEN)) for path in sorted(GOLDEN.rglob('*'))
              if path.is_file() and path.name != 'samples.yml' and path.name not in tests]
    assert not unused, 'golden files no unit test reads: %s' % ', '.join(unused)
