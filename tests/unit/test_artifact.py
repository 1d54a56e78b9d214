# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built tarball holds what a user installs and none of what only develops the collection."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEVELOPMENT = ('Makefile', 'ansible.cfg', '.ansible-lint', '.gitignore', 'requirements.txt',
               'requirements-importer.txt', 'CONTRIBUTING.md', 'tests/', 'bench/', '.ci/', '.build/', '.venv',
               'extensions/', 'collections/', 'reports/')


@pytest.fixture(scope='module')
def members(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-galaxy'), 'collection', 'build', '--force',
                           '--output-path', str(out), str(REPO)], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [tarball] = out.glob('billmgr-ops-*.tar.gz')
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers()}


def test_no_development_file_ships(members):
    shipped = sorted(name for name in members
                     if any(name == entry.rstrip('/') or name.startswith(entry) for entry in DEVELOPMENT))
    assert not shipped, shipped


def test_license_and_every_readme_ship(members):
    roles = sorted(path.name for path in (REPO / 'roles').iterdir() if path.is_dir())
    assert {'LICENSE', 'README.md', 'meta/runtime.yml'} <= members
    assert {'roles/%s/README.md' % role for role in roles} <= members


def test_license_file_is_the_gpl3_galaxy_yml_names():
    galaxy = yaml.safe_load((REPO / 'galaxy.yml').read_text())
    # galaxy.yml takes license or license_file, not both; the SPDX id is what Galaxy shows.
    assert galaxy['license'] == ['GPL-3.0-or-later'] and 'license_file' not in galaxy
    text = (REPO / 'LICENSE').read_text()
    assert 'GNU GENERAL PUBLIC LICENSE' in text and 'Version 3, 29 June 2007' in text
