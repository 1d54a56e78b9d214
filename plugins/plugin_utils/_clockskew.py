# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's clock skew measured as a round trip, with its uncertainty.

The controller reads its clock just before it sends the module (``sent``) and just after the
result is back (``received``); the module reads the host's clock as it starts and as it ends
(``host_start``, ``host_end``). Both host readings fall inside the controller's bracket, so the
skew is at least ``host_end - received`` and at most ``host_start - sent``: the estimate is the
middle of that interval and the uncertainty its half width. The module's own work, timed by the
host between its two readings, is taken out of the bracket; what is left is the transport (SSH,
the interpreter starting) and any wait before the module started, however long a busy
controller or a queue of forks made it. With one host reading (``host_start == host_end``) this
is ``host - (sent + received) / 2``, plus or minus ``(received - sent) / 2``.
"""

from __future__ import annotations


def round_trip_skew(sent, received, host_start, host_end):
    """``(skew, uncertainty)`` in seconds; the skew is positive when the host runs ahead."""
    host_busy = host_end - host_start
    if not 0 <= host_busy <= received - sent:
        # The host's clock stepped during the call (or ran backwards): only its first reading,
        # which is certainly inside the bracket, can be trusted.
        host_end = host_start
    skew = ((host_start - sent) + (host_end - received)) / 2.0
    uncertainty = ((received - sent) - (host_end - host_start)) / 2.0
    return skew, max(uncertainty, 0.0)


def measure_clock(clock, sent, received):
    """Fill the ``clock`` section of billmgr_facts with the round trip's skew, in place.

    Leaves the section alone when the module measured against a ``reference_time`` given by the
    caller, or when it holds no host readings (an older module, or the section failed).
    """
    if not isinstance(clock, dict) or clock.get('reference_epoch') is not None:
        return clock
    host_start, host_end = clock.get('epoch'), clock.get('epoch_end')
    if not isinstance(host_start, (int, float)) or not isinstance(host_end, (int, float)):
        return clock
    skew, uncertainty = round_trip_skew(sent, received, float(host_start), float(host_end))
    clock.update(
        reference_epoch=round((sent + received) / 2.0, 3),
        skew_seconds=round(skew, 3),
        skew_uncertainty_seconds=round(uncertainty, 3),
        round_trip_seconds=round(received - sent, 3),
    )
    return clock
