# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters' documented examples give what their comment says, run through a real playbook.

An example that shows its output is a comment line with the result followed by one ``name: value``
line; the value is templated by ansible-playbook exactly as a user's would be.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FILTER_DIR = Path(__file__).resolve().parents[4] / 'plugins' / 'filter'
PAIR_RE = re.compile(r'^# (?P<expected>.+)\n(?P<line>[A-Za-z_][A-Za-z0-9_]*: .+)$', re.MULTILINE)
# Each of these documents its output; the test fails if one of them stops doing so.
SHOWN = {'evidence_view', 'html_escaped', 'md_inline', 'prom_label'}


def documented_examples():
    examples = {}
    for path in sorted(FILTER_DIR.glob('*.yml')):
        text = yaml.safe_load(path.read_text())['EXAMPLES']
        for number, match in enumerate(PAIR_RE.finditer(text)):
            value = next(iter(yaml.safe_load(match.group('line')).values()))
            examples['%s_%d' % (path.stem, number)] = (match.group('expected'), value)
    return examples


EXAMPLES = documented_examples()


def expected_value(text, rendered):
    """The comment as the value it shows: text for a string, a Python literal otherwise."""
    return text if isinstance(rendered, str) else ast.literal_eval(text)


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """Every example templated by one ansible-playbook run: {name: value}, or the run's output."""
    out = tmp_path_factory.mktemp('examples')
    playbook = out / 'examples.yml'
    playbook.write_text(yaml.safe_dump([{
        'hosts': 'localhost', 'gather_facts': False,
        'vars': {'examples': {name: value for name, (_expected, value) in EXAMPLES.items()}},
        # One task per example, so that one broken example does not hide the others.
        'tasks': [{'name': name, 'ignore_errors': True,
                   'ansible.builtin.copy': {'content': '{{ examples.%s | to_json }}' % name,
                                            'dest': str(out / (name + '.json'))}}
                  for name in EXAMPLES],
    }]))
    proc = subprocess.run(
        [str(Path(sys.executable).with_name('ansible-playbook')), '-i', 'localhost,', '-c', 'local',
         '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, ANSIBLE_NOCOLOR='1'), check=False)
    results = {}
    for name in EXAMPLES:
        path = out / (name + '.json')
        results[name] = json.loads(path.read_text()) if path.exists() else proc.stdout + proc.stderr
    return results, {name for name in EXAMPLES if (out / (name + '.json')).exists()}


def test_the_filters_that_show_their_output_have_a_runnable_example():
    assert SHOWN <= {name.rsplit('_', 1)[0] for name in EXAMPLES}


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_documented_example_gives_what_it_says(rendered, name):
    results, ran = rendered
    assert name in ran, 'the example does not run:\n%s' % results[name][-3000:]
    expected, _value = EXAMPLES[name]
    assert results[name] == expected_value(expected, results[name])
