"""Errors meant for people share one root, so a front end can show any of them as is."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from qwen_tui.text import UserFacingError

BACKEND_LAYERS = (
    "text",
    "net",
    "config",
    "credentials",
    "telemetry",
    "tools",
    "providers",
    "account",
    "chat",
    "agent",
)

INTERNAL = {
    "qwen_tui.credentials._threads.CallTimedOut": "caught by the store, which words it",
    "qwen_tui.credentials.store._KeyringFailed": "the reason is recorded before it is raised",
    "qwen_tui.chat.sse.StreamError": "the server's own words, turned into a ChatFailure",
    "qwen_tui.config.first_look._Unsure": "never leaves first_look: the settings load in full",
}
"""Exceptions that never reach a person as they are, and why."""


def _backend_exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for layer in BACKEND_LAYERS:
        package = importlib.import_module(f"qwen_tui.{layer}")
        modules = [package.__name__]
        modules += [
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
        ]
        for name in modules:
            module = importlib.import_module(name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == name:
                    found[f"{name}.{value.__qualname__}"] = value
    return found


def test_every_backend_error_is_user_facing_or_known_to_be_internal() -> None:
    classes = _backend_exception_classes()
    assert set(INTERNAL) <= set(classes), "an internal exception was renamed or removed"
    for name, kind in classes.items():
        if name not in INTERNAL:
            assert issubclass(kind, UserFacingError), name


def test_the_message_is_the_same_attribute_everywhere() -> None:
    from qwen_tui.providers import ProviderError, UnknownProvider
    from qwen_tui.providers.qwen_oauth import OAuthError

    for error in (
        ProviderError("dns", "Cannot resolve host x."),
        OAuthError("denied", "You declined the sign-in."),
        UnknownProvider("nope", ["qwen", "openai"]),
    ):
        assert isinstance(error, UserFacingError)
        assert error.message == str(error) and error.message.endswith(".")


def test_value_errors_stay_value_errors() -> None:
    """Settings validation reports a bad custom provider like any other bad value."""
    from qwen_tui.providers import CustomProviderError, UnknownProvider

    assert issubclass(CustomProviderError, ValueError)
    assert issubclass(UnknownProvider, ValueError)
