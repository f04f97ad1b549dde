"""What goes wrong with batch prediction jobs on demand, and how fast their lines are answered.

:class:`BatchFaultPlan` holds what the ``VertexEmulator`` batch methods set: jobs that fail
(:meth:`~BatchFaultPlan.fail_jobs`), lines that fail (:meth:`~BatchFaultPlan.fail_lines`, by
``custom_id`` or at a seeded rate), the pace of answering (seconds per line) and whether new
jobs are held pending. :meth:`BatchFaultPlan.clear` forgets all of it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from .faults import Fault

__all__ = ["BatchFaultPlan", "JobFailure"]

#: ``google.rpc.Code.INTERNAL``, the code of a job that failed for the service's own reasons.
INTERNAL = 13


@dataclass(frozen=True)
class JobFailure:
    """A job that fails after answering ``after_lines`` lines, with ``error``."""

    message: str
    code: int = INTERNAL
    after_lines: int = 0


class BatchFaultPlan:
    """The batch faults and pace in force. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job_failures: list[JobFailure] = []
        self._line_faults: dict[str, Fault] = {}
        self._rate: tuple[float, Fault, random.Random] | None = None
        self._pace = 0.0
        self._hold = False

    def clear(self) -> None:
        """No faults, no pace, no hold."""
        with self._lock:
            self._job_failures.clear()
            self._line_faults.clear()
            self._rate = None
            self._pace = 0.0
            self._hold = False

    # ----------------------------------------------------------- jobs

    def fail_jobs(self, failure: JobFailure, times: int) -> None:
        """The next ``times`` jobs created fail with ``failure``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if failure.after_lines < 0:
            raise ValueError("after_lines must not be negative")
        with self._lock:
            self._job_failures.extend([failure] * times)

    def take_job_failure(self) -> JobFailure | None:
        """The failure of a job being created, if one is queued (consumed)."""
        with self._lock:
            return self._job_failures.pop(0) if self._job_failures else None

    @property
    def hold(self) -> bool:
        """Whether jobs stay ``JOB_STATE_PENDING`` instead of starting."""
        with self._lock:
            return self._hold

    @hold.setter
    def hold(self, value: bool) -> None:
        with self._lock:
            self._hold = value

    @property
    def pace(self) -> float:
        """Seconds each line takes to answer."""
        with self._lock:
            return self._pace

    @pace.setter
    def pace(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            self._pace = seconds

    # ----------------------------------------------------------- lines

    def fail_lines(
        self, custom_ids: Iterable[str], rate: float, fault: Fault, seed: int = 0
    ) -> None:
        """Lines with these ``custom_ids``, and a seeded ``rate`` of the others, get ``fault``."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if fault.kind != "reply":
            raise ValueError("a batch line fails with an error reply: use an error Fault")
        with self._lock:
            self._line_faults.update(dict.fromkeys(custom_ids, fault))
            if rate > 0:
                self._rate = (rate, fault, random.Random(seed))  # noqa: S311 - not crypto

    def line_fault(self, custom_id: object) -> Fault | None:
        """The fault of the line with ``custom_id``, if it is to fail."""
        with self._lock:
            if isinstance(custom_id, str) and custom_id in self._line_faults:
                return self._line_faults[custom_id]
            if self._rate is None:
                return None
            rate, fault, rng = self._rate
            return fault if rng.random() < rate else None
