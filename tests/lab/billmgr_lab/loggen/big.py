"""Huge seeded billmgr.log files for benchmarks, written at disk speed in bounded memory.

A pool of blocks (each one second of several interleaved threads) is rendered once with marks
where the time stamps and the PID go; the file is those blocks recombined in a seeded order, each
with its own time. A block is kept split at its marks, so filling it in is a bytes.join of its
pieces with the stamp as separator: C-level copying, a few Python steps per block. Counting is done
on the pool, so the stats cost nothing per byte.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .core import SessionWriter, error_session, ordinary_session
from .lines import ERROR_SUBSTRING, Record, render, stamp
from .timeline import Session

DEFAULT_NOW = datetime(2025, 5, 5, 12, 0, 0)  # fixed, so that a seed alone decides the bytes
POOL_BLOCKS = 512
THREADS = 24
BLOCK_BYTES = 16 * 1024
WRITE_BLOCKS = 512  # blocks per system call, under the kernel's limit of 1024 buffers
LATE_SHARE = 0.04  # sessions whose lines carry a stamp a few seconds older than their neighbours'
LATE_BY = timedelta(seconds=2)
RESTART_EVERY_BLOCKS = 20000
# Marks where the values go; rendered text never holds these control characters.
PH_STAMP, PH_LATE, PH_PID = '\x01S\x01', '\x01L\x01', '\x01P\x01'
B_STAMP, B_LATE, B_PID = PH_STAMP.encode(), PH_LATE.encode(), PH_PID.encode()


@dataclass(frozen=True)
class PooledRecord:
    template: bytes
    error: int  # 1 for an ERROR record
    substring_lines: int  # its lines that contain ' ERROR '


@dataclass(frozen=True)
class Block:
    template: bytes
    records: int
    errors: int
    substring_lines: int
    parts: tuple[PooledRecord, ...]


def _pooled(record: Record, late: bool) -> PooledRecord:
    text = render(record, stamp_text=PH_LATE if late else PH_STAMP)
    return PooledRecord(
        template=text.encode(),
        error=int(record.level == 'ERROR'),
        substring_lines=sum(1 for line in text.split('\n') if ERROR_SUBSTRING in line),
    )


def _merge(rng: random.Random, sessions: list[Session]) -> list[tuple[Record, int]]:
    """Threads' records mixed at random; a thread does its sessions one after another.

    Returns (record, number of its session) in file order.
    """
    by_thread: dict[str, list[tuple[Record, int]]] = {}
    for number, session in enumerate(sessions):
        by_thread.setdefault(session[0].key, []).extend((record, number) for record in session)
    queues = [list(reversed(queue)) for queue in by_thread.values()]
    merged = []
    while queues:
        queue = rng.choice(queues)
        merged.append(queue.pop())
        if not queue:
            queues.remove(queue)
    return merged


def build_pool(rng: random.Random, error_ratio: float, blocks: int = POOL_BLOCKS,
               block_bytes: int = BLOCK_BYTES) -> list[Block]:
    threads = [rng.randint(1200, 99000) for _ in range(THREADS)]
    base = datetime(2000, 1, 1)  # session clocks are irrelevant here: stamps come from placeholders
    records_seen = errors_seen = 0
    pool = []
    for _ in range(blocks):
        sessions: list[Session] = []
        size = 0
        while size < block_bytes:
            writer = SessionWriter(rng, base, f'{PH_PID}:{rng.choice(threads)}')
            # Steering by the running share keeps the file's error share at error_ratio.
            if errors_seen < error_ratio * (records_seen + 6):
                session = error_session(rng, writer)
            else:
                session = ordinary_session(rng, writer)
            records_seen += len(session)
            errors_seen += sum(1 for record in session if record.level == 'ERROR')
            size += sum(len(record.message) + 60 for record in session)
            sessions.append(session)
        late = [rng.random() < LATE_SHARE for _ in sessions]
        parts = tuple(_pooled(record, late[number]) for record, number in _merge(rng, sessions))
        pool.append(Block(
            template=b''.join(part.template for part in parts),
            records=len(parts),
            errors=sum(part.error for part in parts),
            substring_lines=sum(part.substring_lines for part in parts),
            parts=parts,
        ))
    return pool


def _stamps(moment: datetime) -> tuple[bytes, bytes]:
    late = moment - LATE_BY
    if late.year != moment.year:
        late = moment  # a December stamp after a January one would break year inference
    return stamp(moment).encode(), stamp(late).encode()


def _split(pool: list[Block], pid: int) -> list[list[list[bytes]]]:
    """Each block with the PID filled in, cut at its late stamps and then at its other stamps."""
    pid_text = str(pid).encode()
    return [[piece.split(B_STAMP) for piece in block.template.replace(B_PID, pid_text).split(B_LATE)]
            for block in pool]


def _fill(pieces: list[list[bytes]], stamp_now: bytes, stamp_late: bytes) -> bytes:
    return stamp_late.join([stamp_now.join(piece) for piece in pieces])


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """One system call for many blocks, without joining them into one more copy first."""
    written = os.writev(fd, pieces)
    rest = b''.join(pieces)[written:] if written < sum(map(len, pieces)) else b''
    while rest:
        rest = rest[os.write(fd, rest):]


def write_big_log(path: Path, size_bytes: int, seed: int = 1, error_ratio: float = 0.005,
                  now: datetime | None = None) -> dict:
    """Write about size_bytes (never more) of billmgr.log-like lines ending at or before `now`.

    Returns bytes, records, error_records (true ERROR records) and error_substring_lines (lines
    with ' ERROR ' anywhere, which quoted errors make larger than error_records).
    """
    if not 0.0 <= error_ratio < 1.0:
        raise ValueError('error_ratio must be in [0, 1)')
    now = DEFAULT_NOW if now is None else now
    rng = random.Random(f'{seed}:big')
    pool = build_pool(rng, error_ratio)
    average_block = sum(len(block.template) for block in pool) / len(pool)
    moment = now - timedelta(seconds=int(size_bytes / average_block) + 60)
    pid = rng.randint(2100, 380000)
    split = _split(pool, pid)
    stats = {'bytes': 0, 'records': 0, 'error_records': 0, 'error_substring_lines': 0}
    chunk: list[bytes] = []
    blocks_written = 0
    with open(path, 'wb', buffering=0) as handle:
        fd = handle.fileno()
        while True:
            number = rng.randrange(len(pool))
            block = pool[number]
            stamp_now, stamp_late = _stamps(moment)
            data = _fill(split[number], stamp_now, stamp_late)
            if stats['bytes'] + len(data) > size_bytes:
                values = (stamp_now, stamp_late, str(pid).encode())
                data = _last_block(block, values, size_bytes - stats['bytes'], stats)
                chunk.append(data)
                stats['bytes'] += len(data)
                break
            chunk.append(data)
            stats['bytes'] += len(data)
            stats['records'] += block.records
            stats['error_records'] += block.errors
            stats['error_substring_lines'] += block.substring_lines
            if len(chunk) >= WRITE_BLOCKS:
                _write_all(fd, chunk)
                chunk = []
            blocks_written += 1
            if blocks_written % RESTART_EVERY_BLOCKS == 0:
                pid += rng.randint(40, 40000)
                split = _split(pool, pid)
            moment = min(now, moment + timedelta(seconds=rng.choice((0, 1, 1, 1, 2))))
        _write_all(fd, chunk)
    return stats


def _last_block(block: Block, values: tuple[bytes, bytes, bytes], room: int, stats: dict) -> bytes:
    """As many whole records of the block as fit in `room`, counted into stats."""
    stamp_now, stamp_late, pid = values
    taken = []
    for part in block.parts:
        data = part.template.replace(B_STAMP, stamp_now).replace(B_LATE, stamp_late).replace(B_PID, pid)
        if len(data) > room:
            break
        room -= len(data)
        taken.append(data)
        stats['records'] += 1
        stats['error_records'] += part.error
        stats['error_substring_lines'] += part.substring_lines
    return b''.join(taken)
