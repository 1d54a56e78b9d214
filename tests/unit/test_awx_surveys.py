# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX survey specs ask for variables the playbooks and roles really read, with their defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SURVEYS = {'survey_health.json': ('health.yml', 'health'), 'survey_debug.json': ('debug.yml', 'debug_window')}
TYPES = {'text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect'}


def role_options(role):
    return yaml.safe_load((REPO / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())['argument_specs'][
        'main']['options']


@pytest.mark.parametrize('name', sorted(SURVEYS))
def test_survey_asks_for_variables_that_are_read(name):
    playbook, role = SURVEYS[name]
    survey = json.loads((REPO / 'extensions' / 'awx' / name).read_text())
    options = role_options(role)
    playbook_text = (REPO / 'playbooks' / playbook).read_text()
    variables = [question['variable'] for question in survey['spec']]
    assert len(variables) == len(set(variables))
    for question in survey['spec']:
        variable = question['variable']
        assert question['type'] in TYPES and question['question_name'] and question['question_description']
        # A role option, or a name the playbook itself reads (the command line's short names).
        assert variable in options or ("%s |" % variable) in playbook_text, variable
        if question['type'] == 'multiplechoice':
            assert question['default'] in question['choices'], variable
        option = options.get(variable)
        if option is None:
            continue
        if option.get('choices'):
            assert set(question['choices']) == set(option['choices']), variable
        if question['type'] == 'integer':
            assert question['default'] == option['default'] and question['min'] <= question['default'] <= question['max']
        elif option['type'] == 'bool':
            assert question['choices'] == ['false', 'true'] and question['default'] == str(option['default']).lower()
        else:
            assert str(question['default']) == str(option['default']), variable
