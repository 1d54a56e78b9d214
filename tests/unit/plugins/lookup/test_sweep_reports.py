# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.billmgr.ops.plugins.lookup.sweep_reports import LookupModule


def test_lists_each_directory_s_sweeps_oldest_first(tmp_path):
    for name in ('20261123T101500Z', '20261122T080000Z'):
        (tmp_path / name).mkdir()
        (tmp_path / name / 'report.json').write_text('{}')
    (tmp_path / 'latest').symlink_to('20261123T101500Z')
    found = LookupModule().run([str(tmp_path), str(tmp_path / 'missing')], variables={})
    assert found == [str(tmp_path / '20261122T080000Z' / 'report.json'),
                     str(tmp_path / '20261123T101500Z' / 'report.json')]


def test_an_unreadable_directory_is_a_lookup_error(tmp_path):
    not_a_dir = tmp_path / 'file'
    not_a_dir.write_text('')
    with pytest.raises(AnsibleLookupError, match='cannot list the report directory'):
        LookupModule().run([str(not_a_dir)], variables={})
