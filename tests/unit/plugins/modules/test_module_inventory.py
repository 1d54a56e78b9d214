# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the README and each module's documentation promise about the modules as a set."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
MODULES = sorted(path.stem for path in (ROOT / 'plugins' / 'modules').glob('*.py') if not path.stem.startswith('_'))
MODULE_UTILS = ROOT / 'plugins' / 'module_utils'
UTIL_IMPORT_RE = re.compile(r'plugins\.module_utils\.([\w.]+) import')
# The module_utils that run the database's command-line client on the host.
CLIENT_UTILS = {'_database.mysqlcli'}


def documentation(module):
    tree = ast.parse((ROOT / 'plugins' / 'modules' / (module + '.py')).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'DOCUMENTATION':
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no DOCUMENTATION' % module)


def utils_used(path, seen=None):
    """Every module_utils file PATH imports, directly or through other module_utils."""
    seen = set() if seen is None else seen
    for name in UTIL_IMPORT_RE.findall(path.read_text()):
        if name not in seen:
            seen.add(name)
            utils_used(MODULE_UTILS / (name.replace('.', '/') + '.py'), seen)
    return seen


def readme_table_modules():
    text = (ROOT / 'README.md').read_text()
    section = text.split('\n## Modules\n', 1)[1].split('\n## ', 1)[0]
    return set(re.findall(r'^\| `billmgr\.ops\.(\w+)` \|', section, re.MULTILINE))


def test_the_readme_table_lists_every_module():
    assert readme_table_modules() == set(MODULES)


@pytest.mark.parametrize('module', [m for m in MODULES if utils_used(ROOT / 'plugins' / 'modules' / (m + '.py'))
                                    & CLIENT_UTILS])
def test_a_module_that_runs_the_database_client_names_it_in_requirements(module):
    requirements = ' '.join(documentation(module).get('requirements') or [])
    assert 'C(mysql)' in requirements and 'C(mariadb)' in requirements, module


def test_the_facts_module_is_among_the_client_users():
    # It reaches the client only through the sweep's database section; the import chain must say so.
    assert utils_used(ROOT / 'plugins' / 'modules' / 'billmgr_facts.py') & CLIENT_UTILS
