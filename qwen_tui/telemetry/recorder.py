"""The telemetry recorder: gate, local log, and the background OTLP export.

Callers hand :meth:`Telemetry.record` a function that builds the event, not the event:
while collection is not allowed the function is never called, so nothing is computed,
built, logged or queued. When allowed, the record goes to the local log at once and,
with an endpoint set, onto a queue that one daemon thread exports in batches, so the
UI never waits for the network (and never imports an HTTP stack: see
:mod:`qwen_tui.telemetry.transport`). Turning collection off (or switching to an
OpenAI-compatible key) drops whatever is still queued.
"""

from __future__ import annotations

import collections
import copy
import functools
import threading
from collections.abc import Callable
from pathlib import Path
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Protocol

from qwen_tui import __version__
from qwen_tui.telemetry.events import Event
from qwen_tui.telemetry.gate import collection_allowed
from qwen_tui.telemetry.local_log import append_record, log_path
from qwen_tui.telemetry.otlp import LogRecord, export_request, log_record, logs_url, post_batch

if TYPE_CHECKING:
    from qwen_tui.config import LoadedSettings
    from qwen_tui.telemetry.transport import Sender

MAX_BATCH = 100
MAX_QUEUE = 1000
RECENT = 100
EXIT_FLUSH_SECONDS = 2.0


class TelemetryRecorder(Protocol):
    """What code that records events needs; both :class:`Telemetry` and
    :class:`NullTelemetry` are one."""

    @property
    def active(self) -> bool:
        """Whether events are being collected."""
        ...

    def record(self, build: Callable[[], Event]) -> None:
        """Record the event ``build`` makes, if collecting."""
        ...


class NullTelemetry:
    """Collects nothing; the default wherever no :class:`Telemetry` was given."""

    @property
    def active(self) -> bool:
        """Never active."""
        return False

    def configure(self, **_changes: Any) -> None:
        """Ignored."""

    def record(self, build: Callable[[], Event]) -> None:
        """Ignored; ``build`` is not called."""

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """Nothing was recorded."""
        return []

    def flush(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Nothing to wait for."""

    def close(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Nothing to close."""


class Telemetry:
    """Usage statistics for one run.

    Args:
        home: ``QWEN_TUI_HOME``, where the local log ``telemetry.jsonl`` is written.
        enabled: ``privacy.usageStatisticsEnabled`` (None: not asked yet, i.e. off).
        auth_method: the active ``security.auth.selectedType``.
        otlp_endpoint: collector base URL; events are POSTed to ``<base>/v1/logs``.
            Empty: local log only.
        install_id: anonymous id sent as the ``service.instance.id`` resource attribute.
        version: the app version sent as ``service.version``.
    """

    def __init__(
        self,
        home: Path,
        *,
        enabled: bool | None,
        auth_method: str | None,
        otlp_endpoint: str = "",
        install_id: str | None = None,
        version: str = __version__,
    ) -> None:
        self.home = home
        self.version = version
        self._enabled = enabled
        self._auth_method = auth_method
        self._endpoint = otlp_endpoint.strip()
        self._install_id = install_id
        self._active = collection_allowed(enabled, auth_method)
        self._lock = threading.Condition()
        self._queue: collections.deque[LogRecord] = collections.deque()
        self._recent: collections.deque[LogRecord] = collections.deque(maxlen=RECENT)
        self._generation = 0
        """Bumped whenever queued events are dropped; a batch of an older generation
        is neither retried nor counted as pending."""
        self._in_flight = 0
        self._in_flight_generation = 0
        self._closing = False
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._log_lock = threading.Lock()
        """Keeps lines from several threads whole and the size check and rotation atomic."""

    @classmethod
    def from_settings(cls, loaded: LoadedSettings) -> Telemetry:
        """The recorder the settings ask for."""
        settings = loaded.settings
        return cls(
            loaded.home,
            enabled=settings.privacy.usage_statistics_enabled,
            auth_method=settings.security.auth.selected_type,
            otlp_endpoint=settings.telemetry.otlp_endpoint,
            install_id=settings.telemetry.install_id,
        )

    # -- state --------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True when the user said yes and the sign-in is Qwen OAuth."""
        return self._active

    @property
    def log_file(self) -> Path:
        """The local log (which exists only once something was recorded)."""
        return log_path(self.home)

    @property
    def otlp_endpoint(self) -> str:
        """The collector base URL in use ("" for none)."""
        return self._endpoint

    def configure(
        self,
        *,
        enabled: bool | EllipsisType | None = ...,
        auth_method: str | EllipsisType | None = ...,
        otlp_endpoint: str | EllipsisType = ...,
        install_id: str | EllipsisType | None = ...,
    ) -> None:
        """Change what is collected and where it goes, at once (``...``: unchanged).

        Turning collection off, or switching away from Qwen OAuth, drops every event
        still queued; removing the endpoint drops them too (there is nowhere to send).
        """
        with self._lock:
            if not isinstance(enabled, EllipsisType):
                self._enabled = enabled
            if not isinstance(auth_method, EllipsisType):
                self._auth_method = auth_method
            if not isinstance(otlp_endpoint, EllipsisType):
                self._endpoint = otlp_endpoint.strip()
            if not isinstance(install_id, EllipsisType):
                self._install_id = install_id
            self._active = collection_allowed(self._enabled, self._auth_method)
            if not self._active or not self._endpoint:
                self._drop_queued()

    def _drop_queued(self) -> None:
        """Forget queued events and stop retrying the batch in flight (lock held)."""
        self._queue.clear()
        self._generation += 1
        self._lock.notify_all()

    # -- recording ----------------------------------------------------------------

    def record(self, build: Callable[[], Event]) -> None:
        """Record the event ``build()`` makes; ``build`` is only called while active.

        Never raises: an event that cannot be built or logged is skipped, because
        statistics must not break the app.
        """
        if not self._active:
            return
        try:
            event = build()
            if not isinstance(event, Event):
                return
            record = log_record(event)
        except Exception:
            return
        with self._lock:
            if not self._active:  # turned off while the event was being built
                return
            self._recent.append(record)
            endpoint = self._endpoint
            if endpoint and len(self._queue) < MAX_QUEUE and not self._closing:
                self._queue.append(record)
                self._ensure_worker()
                self._lock.notify_all()
        with self._log_lock:
            append_record(self.log_file, record)

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last ``limit`` events of this run, oldest first, exactly as they are sent
        (OTLP JSON log records), for the Privacy tab's "What is sent"."""
        with self._lock:
            records = list(self._recent)[-limit:] if limit > 0 else []
        return copy.deepcopy(records)

    # -- export -------------------------------------------------------------------

    def _pending(self) -> bool:
        """Whether something is queued or being sent (lock held)."""
        in_flight = self._in_flight and self._in_flight_generation == self._generation
        return bool(self._queue) or bool(in_flight)

    def flush(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Wait until queued events are sent (or given up), at most ``timeout`` seconds.

        Returns at once when nothing is queued.
        """
        with self._lock:
            if self._pending():
                self._lock.wait_for(lambda: not self._pending(), timeout=max(0.0, timeout))

    def close(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Flush (at most ``timeout``), then stop the export thread; later events are
        still logged locally but no longer sent. What is left unsent is dropped."""
        self.flush(timeout)
        with self._lock:
            self._closing = True
            self._drop_queued()
        self._stop.set()

    def _ensure_worker(self) -> None:
        """Start the export thread on the first queued event (lock held)."""
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._export_loop, name="qwen-tui-telemetry", daemon=True
            )
            self._worker.start()

    def _next_batch(self) -> tuple[list[LogRecord], int, str, str | None] | None:
        """Wait for queued records; None once closed."""
        with self._lock:
            self._lock.wait_for(lambda: bool(self._queue) or self._closing)
            if self._closing:
                return None
            batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
            self._in_flight = len(batch)
            self._in_flight_generation = self._generation
            return batch, self._generation, self._endpoint, self._install_id

    def _export_loop(self) -> None:
        from qwen_tui.telemetry.transport import Sender

        sender: Sender | None = None
        while (batch := self._next_batch()) is not None:
            records, generation, endpoint, install_id = batch
            try:
                url = logs_url(endpoint)
                if sender is None or sender.url != url:
                    sender = Sender(url)
                post_batch(
                    sender,
                    export_request(records, version=self.version, install_id=install_id),
                    keep_trying=functools.partial(self._still_wanted, generation),
                    wait=self._stop.wait,
                )
            except Exception:
                pass  # a broken endpoint setting must not end the thread noisily
            finally:
                with self._lock:
                    self._in_flight = 0
                    self._lock.notify_all()

    def _still_wanted(self, generation: int) -> bool:
        with self._lock:
            return self._active and generation == self._generation and not self._closing
