"""The lab's README lists exactly the faults and settings the lab accepts."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

from billmgr_lab import faults  # noqa: E402

README = os.path.join(os.path.dirname(__file__), '..', 'README.md')


def test_readme_table_is_the_registry():
    with open(README) as handle:
        text = handle.read()
    assert faults.markdown_table().strip() in text, 'regenerate the table in tests/lab/README.md'
