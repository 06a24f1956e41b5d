"""``monitor``: a check-in ``in_progress`` on entry, ``ok`` or ``error`` with the duration
on exit; as a decorator (functions and coroutine functions) or a context manager."""

import functools
import inspect
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast

from scopetel.crons.api import capture_checkin
from scopetel.crons.consts import MonitorStatus

F = TypeVar("F", bound=Callable[..., Any])


class _Run:
    """One monitored run: its check-in id and start."""

    __slots__ = ("check_in_id", "config", "slug", "started")

    def __init__(self, slug: str | None, config: Mapping[str, Any] | None) -> None:
        self.slug = slug
        self.config = config
        self.started = time.perf_counter()
        self.check_in_id = capture_checkin(
            monitor_slug=slug, status=MonitorStatus.IN_PROGRESS, monitor_config=config
        )

    def end(self, failed: bool) -> None:
        capture_checkin(
            monitor_slug=self.slug,
            check_in_id=self.check_in_id,
            status=MonitorStatus.ERROR if failed else MonitorStatus.OK,
            duration=time.perf_counter() - self.started,
            monitor_config=self.config,
        )


class monitor:
    """Check-ins for ``monitor_slug`` around a function, coroutine function or block.

    Each call of a decorated function is its own run (calls in parallel threads or tasks
    get their own check-in ids); an exception (``BaseException`` too) makes it ``error``.
    """

    def __init__(
        self, monitor_slug: str | None = None, monitor_config: Mapping[str, Any] | None = None
    ) -> None:
        self.monitor_slug = monitor_slug
        self.monitor_config = monitor_config
        self._runs: list[_Run] = []

    def __enter__(self) -> None:
        self._runs.append(_Run(self.monitor_slug, self.monitor_config))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runs:
            self._runs.pop().end(failed=exc_type is not None)

    def __call__(self, fn: F) -> F:
        slug, config = self.monitor_slug, self.monitor_config
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                run = _Run(slug, config)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException:
                    run.end(failed=True)
                    raise
                run.end(failed=False)
                return result

            return cast(F, run_async)

        @functools.wraps(fn)
        def run_sync(*args: Any, **kwargs: Any) -> Any:
            run = _Run(slug, config)
            try:
                result = fn(*args, **kwargs)
            except BaseException:
                run.end(failed=True)
                raise
            run.end(failed=False)
            return result

        return cast(F, run_sync)
