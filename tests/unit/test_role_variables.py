# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role documents exactly its defaults, and names them with the collection's prefix."""

from __future__ import annotations

import pathlib

import pytest
import yaml

ROLES = pathlib.Path(__file__).resolve().parents[2] / 'roles'
# Shared by several roles on purpose: the install root.
SHARED = {'billmgr_mgr_root'}


def load(path):
    return yaml.safe_load(path.read_text()) if path.exists() else None


@pytest.mark.parametrize('role', sorted(p.name for p in ROLES.iterdir() if (p / 'tasks').is_dir()))
def test_defaults_and_argument_spec_agree(role):
    defaults = load(ROLES / role / 'defaults' / 'main.yml') or {}
    spec = load(ROLES / role / 'meta' / 'argument_specs.yml')
    assert spec, '%s has no meta/argument_specs.yml' % role
    options = spec['argument_specs']['main']['options']
    for name, value in defaults.items():
        assert name in options, '%s: default %s is not documented' % (role, name)
        if not (isinstance(value, str) and '{{' in value):
            assert options[name].get('default') == value, '%s: %s default differs from its spec' % (role, name)
    for name, option in options.items():
        # billmgr_remediate is the list of fixes itself: the issue and the findings' fix texts name it.
        assert name.startswith('billmgr_%s_' % role) or name == 'billmgr_%s' % role or name in SHARED, \
            '%s: %s does not start with billmgr_%s_' % (role, name, role)
        assert option.get('description'), '%s: %s has no description' % (role, name)
        if not option.get('required'):
            assert name in defaults or name == 'billmgr_report_hosts', '%s: %s has no default' % (role, name)
