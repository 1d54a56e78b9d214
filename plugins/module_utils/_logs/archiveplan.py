# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which files of a rotated log a time window can skip without reading them.

A compressed archive cannot be bisected: reading any of it means decompressing it from its start.
Over a month of archives a window of a day should decompress one or two of them, so each file's
time range is bounded before anything is read in full:

* its end: nothing is written to a file after its mtime; and a log is rotated before its next
  file starts, so a file ends no later than the first record of the file rotated after it;
* its start: its own first record, read from the first few kilobytes.

A neighbour is trusted only where the two ways of ordering the files agree on it (first records
and mtimes): a merged archive that spans the file starting after it keeps its mtime as its only
bound.  Archives that all lost their mtimes to one copy still bound each other.
Times are sort keys (``logline.time_key``) with the disorder slack already taken out of the
window, so a record written a little out of order still lands in the file that holds it.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

from collections import namedtuple

# What is known of one file before reading it: FIRST, the key of its first record (None when it
# could not be read); END, the key of its mtime; SKIPPABLE, whether skipping it saves anything (a
# compressed archive) or it is only there as a neighbour (a plain file, bisected anyway).
FileSpan = namedtuple('FileSpan', 'first end skippable')


def outside_window(spans, since_key=None, until_key=None):
    """Indexes of SPANS that cannot hold a record in [SINCE_KEY, UNTIL_KEY] (None: open end).

    SPANS: :class:`FileSpan` of one log's files.  A file whose first record is unknown is only
    skipped by its mtime: nothing says where it starts.
    """
    skipped = set()
    for index, span in enumerate(spans):
        if not span.skippable:
            continue
        end = _end_bound(spans, index)
        if since_key is not None and end is not None and end < since_key:
            skipped.add(index)
        elif until_key is not None and span.first is not None and span.first > until_key:
            skipped.add(index)
    return skipped


def _end_bound(spans, index):
    """The latest time file INDEX can hold: its mtime, or earlier, the first record of the file
    rotated right after it when the first records and mtimes both say which file that is."""
    span = spans[index]
    end = span.end
    if span.first is None:
        return end
    later = [other for number, other in enumerate(spans)
             if number != index and other.first is not None and other.first > span.first]
    if not later:
        return end
    following = min(later, key=lambda other: other.first)
    # The file that starts next must also have been last written no earlier: otherwise the
    # order is not one of rotation (a merged copy spanning it) and the neighbour bounds nothing.
    if end is not None and following.end is not None and following.end < end:
        return end
    return following.first if end is None else min(end, following.first)
