"""The one rule by which a command's failure reaches the user: one line on stderr and an exit
code (2 usage or configuration, 1 data, source or fault), never a traceback or raw SQL.

Each command module declares which library exceptions are usage errors and which are data
errors (`guarded(usage=..., failure=...)`), and may word some itself (`special`: an exception
type and a function that prints and returns the exit code). Anything else is a fault (database,
disk, network): `datamodel.faults.one_line` words it in the reader's language and the details go
to the debug log.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import typer

from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
Special = Mapping[type[BaseException], Callable[[Any], int]]


def say_error(text: str) -> None:
    """One line on stderr, printed as given (no markup is interpreted)."""
    typer.echo(text, err=True)


def fault_line(exc: BaseException) -> str:
    """A fault in one line a person can act on, in the configured language."""
    from datamodel.faults import one_line

    return one_line(exc, get_settings().default_language)


def guarded(*, usage: tuple[type[BaseException], ...] = (), failure: tuple[type[BaseException], ...] = (),
            special: Special | None = None) -> Callable[[F], F]:
    """A decorator for a command: `usage` exceptions exit 2, `failure` ones exit 1 with their own
    message, `special` ones are worded by their function; everything else is a fault (exit 1)."""
    handlers = dict(special or {})

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except typer.Exit:
                raise
            except Exception as exc:  # noqa: BLE001 - the one place a command's failure is worded
                raise typer.Exit(_handle(exc, usage, failure, handlers)) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def _handle(exc: Exception, usage: tuple[type[BaseException], ...], failure: tuple[type[BaseException], ...],
            handlers: dict[type[BaseException], Callable[[Any], int]]) -> int:
    for kind, handler in handlers.items():
        if isinstance(exc, kind):
            return handler(exc)
    if isinstance(exc, usage):
        say_error(f"error: {exc}")
        return 2
    if isinstance(exc, failure):
        say_error(f"error: {exc}")
        return 1
    logger.debug("unexpected error", exc_info=True)
    say_error(f"error: {fault_line(exc)}")
    return 1
