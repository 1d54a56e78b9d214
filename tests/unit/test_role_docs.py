# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role documents itself as Galaxy and ansible-doc show it: a README and a versioned spec."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path.parent.parent for path in (REPO / 'roles').glob('*/meta/argument_specs.yml'))
VERSION = yaml.safe_load((REPO / 'galaxy.yml').read_text())['version']
# Variables a README may name that no role takes: the inventory's and the ones a role leaves behind.
NOT_OPTIONS = {'billmgr_provider_host', 'billmgr_health_record', 'billmgr_report_summary'}


def version(text):
    return tuple(int(part) for part in str(text).split('.'))


def spec(role):
    return yaml.safe_load((role / 'meta' / 'argument_specs.yml').read_text())['argument_specs']


def every_option():
    return {name for role in ROLES for entry in spec(role).values() for name in entry.get('options', {})}


@pytest.mark.parametrize('role', ROLES, ids=[role.name for role in ROLES])
def test_readme_says_what_the_role_does_and_where_its_variables_are(role):
    readme = (role / 'README.md').read_text()
    assert readme.startswith('# billmgr.ops.%s\n' % role.name)
    assert 'meta/argument_specs.yml' in readme and '## Example' in readme
    # The example is YAML that names the role by its full name.
    example = readme.split('## Example', 1)[1].split('```yaml', 1)[1].split('```', 1)[0]
    assert 'billmgr.ops.%s' % role.name in yaml.safe_dump(yaml.safe_load(example))
    named = set(re.findall(r'(?<![.\w])billmgr_[a-z0-9_]*[a-z0-9]\b', readme))
    assert not named - every_option() - NOT_OPTIONS, named - every_option() - NOT_OPTIONS


@pytest.mark.parametrize('role', ROLES, ids=[role.name for role in ROLES])
def test_entry_points_and_options_say_when_they_were_added(role):
    for name, entry in spec(role).items():
        assert version(entry['version_added']) <= version(VERSION), name
        for option, details in entry.get('options', {}).items():
            added = details.get('version_added', entry['version_added'])
            assert version(entry['version_added']) <= version(added) <= version(VERSION), option
