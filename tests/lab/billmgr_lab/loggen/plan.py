"""What a lab host's logs should show: the plan that loggen.write_logs follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

EARLY_STOP_REASONS = ('not_enough_money', 'stat_addon_over_limit')

# The fleet's reference items; 310598 and 323911 are the items of the platform spec's examples.
DEFAULT_BILLDAILY_ITEMS = (310598, 310604, 318220, 323911, 329871)


@dataclass
class EarlyStop:
    """A service that billmaintain stopped before its time, as billmaintain.log shows it."""

    item: int
    reason: str  # one of EARLY_STOP_REASONS
    amount: str = ''
    have: str = ''
    currency: str = 'RUB'
    deficit: str = ''
    limit: str = ''
    when: datetime | None = None  # default: the last daily run before plan.now


@dataclass
class LogPlan:
    """Everything that decides the bytes of one host's var/ logs."""

    now: datetime  # host clock, naive local time; the newest line is at or just before it
    seed: int = 0
    size_bytes: int = 256 * 1024  # approximate size of var/billmgr.log; other logs are smaller
    color: bool = False  # ANSI colour codes around the level word
    year_boundary: bool = False  # Dec -> Jan timestamps; plan.now must be early January
    rotated_archives: int = 1  # gzip archives of billmgr.log under var/logs/
    error_burst: int = 0  # ERROR records in the last hour, all in one thread of billmgr.log
    error_burst_error: tuple = ('missed', 'function', 'payment_cash_register.check')
    baseline_error_age_hours: int = 48  # every other ERROR record is at least this old
    early_stops: list[EarlyStop] = field(default_factory=list)
    billdaily_items: list[int] = field(default_factory=lambda: list(DEFAULT_BILLDAILY_ITEMS))
    payment_modules: list[str] = field(default_factory=lambda: ['pmbillmgr', 'pmpaymaster'])
    # Day of month in the logs of PHP/Python modules: 'zero' gives 'May 05', 'bare' gives 'May 5'.
    # Both forms are seen; 'bare' does not fit the fixed-width header, so it is opt-in.
    module_day_style: str = 'zero'
    # The current PHP helper's logs (loggen.modules.module_writer) are stamped in UTC.
    module_logs_utc: bool = False


@dataclass(frozen=True)
class LogWindow:
    """The time frame every log of one plan is generated in."""

    start: datetime  # first line of the live billmgr.log
    now: datetime
    error_cutoff: datetime  # baseline ERROR records stay before this

    @property
    def span(self) -> timedelta:
        return self.now - self.start


# The live log covers a day more than the error-free tail so that baseline errors exist in it.
MIN_SPAN_HOURS = 72
YEAR_BOUNDARY_LATEST_DAY = 20


def validate(plan: LogPlan) -> None:
    if plan.now.tzinfo is not None:
        raise ValueError('plan.now must be naive local time, as the host clock shows it')
    if plan.size_bytes < 1024:
        raise ValueError('plan.size_bytes must be at least 1024')
    if plan.error_burst < 0 or plan.rotated_archives < 0 or plan.baseline_error_age_hours < 0:
        raise ValueError('error_burst, rotated_archives and baseline_error_age_hours cannot be negative')
    if len(plan.error_burst_error) != 3:
        raise ValueError('error_burst_error is (type, object, value)')
    if plan.module_day_style not in ('zero', 'bare'):
        raise ValueError("module_day_style is 'zero' or 'bare'")
    if plan.year_boundary and (plan.now.month != 1 or plan.now.day > YEAR_BOUNDARY_LATEST_DAY):
        raise ValueError(f'year_boundary needs plan.now in January, day {YEAR_BOUNDARY_LATEST_DAY} at the latest')
    for stop in plan.early_stops:
        if stop.reason not in EARLY_STOP_REASONS:
            raise ValueError(f'early stop reason {stop.reason!r} is not one of {EARLY_STOP_REASONS}')
        if stop.when is not None and stop.when + timedelta(seconds=2) > plan.now:
            raise ValueError(f'early stop of item {stop.item} must be at least 2 s before plan.now')


def window_of(plan: LogPlan) -> LogWindow:
    span = timedelta(hours=max(MIN_SPAN_HOURS, plan.baseline_error_age_hours + 24))
    start = plan.now - span
    if plan.year_boundary:
        start = min(start, datetime(plan.now.year - 1, 12, 30, 18, 0, 0))
    return LogWindow(start=start, now=plan.now,
                     error_cutoff=plan.now - timedelta(hours=plan.baseline_error_age_hours))
