# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""support_bundle: its documentation, the cut of a large log, the controller's side (findings from a
report, the archive's name and write) and the masking of the platform's config lines."""

from __future__ import annotations

import json
import os

from ansible_collections.billmgr.ops.plugins.module_utils._platform.bundle import CUT_MARK, log_excerpt
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import conf_secrets, mask_conf_text
from ansible_collections.billmgr.ops.plugins.modules import support_bundle
from ansible_collections.billmgr.ops.plugins.plugin_utils._bundlefiles import archive_name, report_findings, write_archive


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.support_bundle')
    assert_docs_match_argspec(support_bundle, doc['doc']['options'])
    assert set(doc['return']) == {'archive', 'sha256', 'size', 'bundle'}


def test_a_small_log_is_whole_and_a_large_one_cut_around_its_errors(tmp_path):
    small = tmp_path / 'small.log'
    small.write_text('a\nb\n')
    assert log_excerpt(str(small), [], 4096) == ('a\nb\n', False)
    lines = ['line %05d filler of the log\n' % n for n in range(20000)]
    big = tmp_path / 'big.log'
    big.write_text(''.join(lines))
    offset = len(''.join(lines[:10000]))
    text, cut = log_excerpt(str(big), [offset], 16384)
    assert cut and 'line 10000 filler' in text and 'line 19999 filler' in text and 'line 00000' not in text
    assert CUT_MARK.split('%d', maxsplit=1)[0] in text
    # Whole lines only: every kept line is one of the file's.
    kept = [line + '\n' for line in text.split('\n') if line.startswith('line ')]
    assert set(kept) <= set(lines)
    assert len(text) < 16384 + 200


def test_config_lines_with_secret_names_are_masked_and_their_values_collected():
    text = 'DBHost localhost\nDBPassword p#ss w0rd\n# DBPassword commented\nApiToken t0k\nLang en\n'
    assert conf_secrets(text) == ['p#ss w0rd', 't0k']
    masked = mask_conf_text(text + 'a log line says p#ss w0rd\n', conf_secrets(text))
    assert 'p#ss' not in masked and 't0k' not in masked
    assert 'DBPassword ********' in masked and 'DBHost localhost' in masked and 'Lang en' in masked


def test_findings_come_from_the_host_record_of_a_report():
    report = json.dumps({'sweep': {'id': 's1'}, 'hosts': [
        {'host': 'bm01', 'reachable': True, 'summary': {}, 'findings': [{'id': 'panel_down'}], 'context': []}]})
    found, note = report_findings(report, 'bm01')
    assert note is None and found['findings'] == [{'id': 'panel_down'}] and found['sweep'] == {'id': 's1'}
    assert report_findings(report, 'bm02') == (None, 'the sweep report has no record of bm02')
    assert report_findings('', 'bm01')[0] is None and 'not JSON' in report_findings('{', 'bm01')[1]


def test_the_archive_is_written_whole_and_private(tmp_path):
    name = archive_name('bm 01/x', now=0)
    assert name == 'bm_01_x-19700101T000000Z.tar.gz'
    path, digest = write_archive(str(tmp_path / 'out'), name, b'data')
    assert open(path, 'rb').read() == b'data' and len(digest) == 64
    assert oct(os.stat(path).st_mode & 0o777) == '0o600' and oct(os.stat(tmp_path / 'out').st_mode & 0o777) == '0o700'
    assert os.listdir(tmp_path / 'out') == [name]
