"""The welcome / sign-in screen: choose Qwen OAuth or an OpenAI-compatible provider.

Shown at first start and by ``/auth``. The OpenAI-compatible path (offered first: Qwen's
free OAuth tier ended on 2026-04-15) is two steps on one key: Ctrl+S checks the key
against the server and fills the model list, Ctrl+S again asks the chosen model for one
token and, when it answers, saves. Qwen OAuth opens the device sign-in view
(:mod:`qwen_tui.ui.screens.qwen_signin`) from its button, Enter or Ctrl+S. Everything
that touches the network or the keyring runs in workers, so the screen never blocks, and
errors are shown beside the field they concern."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)

from qwen_tui.providers.catalogue import Provider, ProviderError
from qwen_tui.providers.qwen_tier import QWEN_FREE_TIER_ENDED
from qwen_tui.ui.plain import plain

if TYPE_CHECKING:
    from qwen_tui.credentials import StoreLocation
    from qwen_tui.ui.services import AppServices

Method = Literal["qwen", "openai"]


URL_ERRORS = {"bad_url", "dns", "connect", "not_found", "not_json", "tls", "timeout", "http"}


class KeyInput(Input):
    """The API key field: a pasted key is taken whole.

    A plain ``Input`` keeps only the first line of a paste, so a key broken by a line
    break would silently become a shorter, wrong key and be sent to the server. Taken
    whole, it is refused by the check with the position of the line break.
    """

    def on_paste(self, event: events.Paste) -> None:
        """A paste over several lines, taken whole; a one-line paste goes on to the
        ``Input`` (``prevent_default`` stops it here)."""
        text = event.text.strip()
        if "\n" not in text and "\r" not in text:
            return
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)
        event.prevent_default()
        event.stop()


@dataclass(frozen=True)
class _InUse:
    """The sign-in the settings use now: where ``/auth`` starts from."""

    provider: Provider
    base_url: str
    model: str | None


class MethodChoice(RadioSet):
    """The sign-in methods, the highlight on the chosen one when the list is entered.

    A RadioSet highlights its first button at first, whichever is pressed: the filled
    dot and the highlight bar would sit on different rows, and Enter would pick the
    highlighted method, not the one that looks chosen. Moving the highlight at mount
    would restyle the form right after its first frame, so it moves on the first focus;
    until then the stylesheet draws no highlight.
    """

    def on_focus(self) -> None:
        if not self.has_class("-entered"):
            self.add_class("-entered")
            for _ in range(self.pressed_index):
                self.action_next_button()


class WelcomeScreen(Screen[bool]):
    """Pick a sign-in method and, for an API key, a provider, key and model.

    Dismisses with ``True`` once a provider is saved, ``False`` when left with Esc
    (only offered when opened from a running chat).
    """

    telemetry_name = "welcome"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    AUTO_FOCUS = "#provider"
    """Focus the provider list straight away: the default (the first focusable widget,
    the scrolling form) is focused and then blurred again, and each of those restyles
    the whole form before the first frame."""

    BINDINGS = [
        Binding("ctrl+s", "verify_or_save", "Verify & Save", priority=True),
        Binding("ctrl+s", "qwen_sign_in", "Sign in with Qwen", priority=True),
        Binding("escape", "leave", "Back"),
        # Priority: otherwise Tab goes to the focused field first and comes back up as
        # an unhandled key, while keys typed after it (a password manager's auto-type,
        # a fast typist) are already going to the old field: the key would land in the
        # Base URL field.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    method: var[Method] = var[Method]("openai", bindings=True)
    """The sign-in method chosen; the screen carries it as the class ``-qwen`` or
    ``-openai``, which the stylesheet shows the method's panel by."""
    checked = var(False, toggle_class="-checked")
    """The key was checked as the form stands: Ctrl+S now saves (the Save button shows
    instead of Verify)."""
    models_typed = var(False, toggle_class="-models-typed")
    """The server lists no models: the model is typed in a field instead of picked."""

    def __init__(self, services: AppServices, *, can_leave: bool = False) -> None:
        super().__init__()
        self.services = services
        self.can_leave = can_leave
        self._providers = [p for p in services.registry.list() if p.auth == "openai"]
        self._in_use = self._sign_in_in_use()
        self._running_local: set[str] = set()
        self._checked: tuple[str, str, str] | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="welcome"):
            yield Static("Welcome to qwen-tui", id="welcome-title")
            yield Static(
                "AI coding help from the provider you choose. "
                "Keys go to your OS keyring (where there is none, to a private file only "
                "if you agree) and only to the provider they are for.",
                id="welcome-lead",
            )
            with MethodChoice(id="method"):
                yield RadioButton(
                    "OpenAI-compatible API: an API key, or a local server",
                    id="method-openai",
                    value=True,
                )
                yield RadioButton(self._qwen_label(), id="method-qwen")
            with Vertical(id="qwen-panel", classes="method-panel"):
                yield Static(QWEN_FREE_TIER_ENDED, id="qwen-ended", classes="notice")
                yield Static(
                    "Sign in with your qwen.ai account: qwen-tui shows a link and a short "
                    "code, and you approve in a browser on this computer or on any other "
                    "device, such as your phone. Before the sign-in is kept, the model is "
                    "asked for one token, so a sign-in the API refuses is reported here. The "
                    "tokens are kept the same way as API keys.",
                    id="qwen-note",
                )
                with Horizontal(id="qwen-buttons"):
                    yield Button("Sign in with Qwen (Enter)", id="qwen-sign-in", variant="primary")
                yield Static("Terms: https://qwen.ai/termsservice", classes="terms")
                yield Static("Privacy: https://qwen.ai/privacypolicy", classes="terms")
            with Vertical(id="openai-panel", classes="method-panel"):
                yield Static(
                    "OpenAI, Alibaba Cloud Coding Plan and Model Studio, ModelScope, "
                    "OpenRouter, Ollama, LM Studio, llama.cpp, vLLM, or any compatible URL.",
                    classes="hint",
                )
                yield Label("Provider")
                yield Select(
                    self._provider_options(),
                    value=self._first_provider().id,
                    allow_blank=False,
                    id="provider",
                    compact=True,
                )
                yield Static("", id="local-status", classes="hint")
                yield Label("Base URL")
                yield Input(id="base-url", placeholder="https://host/v1", compact=True)
                yield Static("", id="url-error", classes="field-error")
                yield Label("API key")
                yield KeyInput(
                    id="api-key", password=True, placeholder="paste your key", compact=True
                )
                yield Static("", id="key-hint", classes="hint")
                yield Static("", id="key-error", classes="field-error")
                yield Label("Model")
                yield Select(
                    [], id="model-select", prompt="check the key to list models", compact=True
                )
                yield Input(
                    id="model-input", placeholder="model id, e.g. gpt-4o-mini", compact=True
                )
                yield Static("", id="model-error", classes="field-error")
                with Horizontal(id="welcome-buttons"):
                    yield Button("Verify (Ctrl+S)", id="verify", variant="primary")
                    yield Button("Save & start (Ctrl+S)", id="save", variant="success")
                yield Static("", id="status", classes="hint")
                yield Static("", id="provider-terms", classes="terms")
        yield Footer()

    def _qwen_label(self) -> Content:
        """Qwen OAuth's choice: at Qwen's own server its free tier has ended; another
        RFC 8628 server set in ``oauth.*`` is named instead."""
        from urllib.parse import urlsplit

        from qwen_tui.config.model import DEFAULT_OAUTH_DEVICE_URL

        url = self.services.loaded.settings.oauth.device_authorization_url
        host = urlsplit(url).hostname or ""
        if host in ("", urlsplit(DEFAULT_OAUTH_DEVICE_URL).hostname):
            return plain("Qwen OAuth: a qwen.ai account (free tier discontinued on 2026-04-15)")
        return plain(f"Qwen OAuth: sign in at {host} (set in oauth.*)")

    def on_mount(self) -> None:
        self.title = "qwen-tui"
        self.sub_title = "sign in"
        self._apply_provider(self._first_provider())
        self.query_one("#provider", Select).focus()
        # After the first frame: the probe imports httpx and opens sockets, which would
        # otherwise delay the screen by tens of milliseconds.
        self.call_after_refresh(self._detect_local_servers)

    def on_screen_resume(self) -> None:
        """Back from the Qwen sign-in: its button says "(Enter)", so Enter must reach it
        wherever the focus was when the sign-in started (Ctrl+S works from anywhere)."""
        if self.method == "qwen":
            self.query_one("#qwen-sign-in", Button).focus()

    # ----- provider list -----------------------------------------------------------

    def _sign_in_in_use(self) -> _InUse | None:
        """The API-key provider, base URL and model the settings use now, if any."""
        from qwen_tui.providers import UnknownProvider
        from qwen_tui.providers.signin import selected_provider

        loaded = self.services.loaded
        try:
            method, provider = selected_provider(loaded, self.services.registry)
        except UnknownProvider:
            return None
        if method != "openai" or provider is None or provider not in self._providers:
            return None
        settings = loaded.settings.model
        return _InUse(provider, settings.base_url or provider.base_url, settings.name)

    def _first_provider(self) -> Provider:
        return self._in_use.provider if self._in_use is not None else self._providers[0]

    def _provider_options(self) -> list[tuple[str, str]]:
        ordered = sorted(self._providers, key=lambda p: p.id not in self._running_local)
        options = []
        for provider in ordered:
            label = provider.name
            if provider.id in self._running_local:
                label = f"{provider.name}  (running here)"
            options.append((label, provider.id))
        return options

    def _selected_provider(self) -> Provider:
        value = self.query_one("#provider", Select).value
        return self.services.registry.get(str(value))

    @work(exclusive=True, group="local-detect", exit_on_error=False)
    async def _detect_local_servers(self) -> None:
        """Probe the usual loopback ports; never blocks the screen."""
        services = self.services
        found = await services.registry.detect_local(
            timeout=services.local_probe_timeout, ports=services.local_ports
        )
        self._running_local = {provider.id for provider in found}
        status = self.query_one("#local-status", Static)
        if not found:
            status.update("No local model server found on the usual ports.")
            return
        names = ", ".join(provider.name for provider in found)
        status.update(plain(f"Found running here: {names}"))
        select = self.query_one("#provider", Select)
        current = select.value
        with self.prevent(Select.Changed):
            select.set_options(self._provider_options())
            untouched = (
                self._in_use is None and current == self._providers[0].id and not self._key_text()
            )
            select.value = found[0].id if untouched else current
        if untouched:
            self._apply_provider(found[0])

    # ----- reacting to the form ----------------------------------------------------

    def watch_method(self, method: Method) -> None:
        self.set_class(method == "qwen", "-qwen")
        self.set_class(method == "openai", "-openai")

    @on(RadioSet.Changed, "#method")
    def _method_changed(self, event: RadioSet.Changed) -> None:
        qwen = event.pressed.id == "method-qwen"
        self.method = "qwen" if qwen else "openai"
        if qwen:
            # The panel's only control: Enter now starts the sign-in.
            self.query_one("#qwen-sign-in", Button).focus()

    @on(Button.Pressed, "#qwen-sign-in")
    def _qwen_button(self) -> None:
        self.action_qwen_sign_in()

    @on(Select.Changed, "#provider")
    def _provider_changed(self, event: Select.Changed) -> None:
        self._apply_provider(self.services.registry.get(str(event.value)))

    def _apply_provider(self, provider: Provider) -> None:
        url = self.query_one("#base-url", Input)
        in_use = self._in_use
        # The provider in use shows the URL configured for it, not the preset's: /auth
        # to change only the key means typing only the key.
        url.value = in_use.base_url if in_use and in_use.provider == provider else provider.base_url
        key_hint = self.query_one("#key-hint", Static)
        if provider.local:
            key_hint.update("A local server needs no key; leave it empty unless you set one.")
        elif provider.key_url:
            note = f"\n{provider.key_note}" if provider.key_note else ""
            key_hint.update(plain(f"Get a key at {provider.key_url}{note}"))
        else:
            key_hint.update("Leave empty if the server needs no key.")
        terms = self.query_one("#provider-terms", Static)
        if provider.terms_url or provider.privacy_url:
            terms.update(
                plain(
                    f"{provider.name}'s own terms and privacy policy apply:\n"
                    f"Terms: {provider.terms_url or 'see the provider'}\n"
                    f"Privacy: {provider.privacy_url or 'see the provider'}"
                )
            )
        else:
            terms.update(plain(provider.data_use))
        self._reset_check()

    @on(Input.Changed, "#base-url, #api-key")
    def _credentials_edited(self) -> None:
        self._reset_check()

    @on(Input.Submitted, "#base-url, #api-key, #model-input")
    def _submitted(self) -> None:
        self.action_verify_or_save()

    @on(Select.Changed, "#model-select")
    def _model_chosen(self) -> None:
        self._say("#model-error", "")

    @on(Button.Pressed, "#verify, #save")
    def _button(self) -> None:
        self.action_verify_or_save()

    def _say(self, selector: str, text: str) -> None:
        """Show ``text`` in a message line; an empty line carries the class ``-empty``,
        which the stylesheet hides.

        As plain text, never as markup: messages quote servers, and ``[redacted]`` would
        otherwise vanish as a markup tag."""
        line = self.query_one(selector, Static)
        line.update(plain(text))
        line.set_class(not text, "-empty")

    def _reset_check(self) -> None:
        self._checked = None
        for field_id in ("#url-error", "#key-error", "#model-error", "#status"):
            self._say(field_id, "")
        self.checked = False

    def _key_text(self) -> str:
        return self.query_one("#api-key", Input).value.strip()

    def _form_state(self) -> tuple[str, str, str]:
        provider = self._selected_provider()
        return (provider.id, self.query_one("#base-url", Input).value.strip(), self._key_text())

    def _chosen_model(self) -> str:
        select = self.query_one("#model-select", Select)
        if not self.models_typed and select.value is not Select.BLANK:
            return str(select.value)
        return self.query_one("#model-input", Input).value.strip()

    # ----- actions -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer Esc only where there is somewhere to go back to."""
        if action == "leave":
            return self.can_leave
        if action in ("verify_or_save", "qwen_sign_in") and self.is_mounted:
            qwen = self.method == "qwen"
            return qwen if action == "qwen_sign_in" else not qwen
        return True

    def action_leave(self) -> None:
        if self.can_leave:
            self.dismiss(False)

    def action_qwen_sign_in(self) -> None:
        """Open the Qwen OAuth sign-in view (the first network use of this method)."""
        from qwen_tui.ui.screens.qwen_signin import QwenSignInScreen

        def done(signed_in: bool | None) -> None:
            if signed_in:
                self.dismiss(True)

        self.app.push_screen(QwenSignInScreen(self.services), done)

    def action_verify_or_save(self) -> None:
        if self._busy or self.method != "openai":
            return
        if self._checked == self._form_state():
            self._save()
        else:
            self._verify()

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._busy = busy
        self._say("#status", message)
        self._enable_buttons(not busy)

    def _enable_buttons(self, enabled: bool) -> None:
        for button in self.query(Button):
            button.disabled = not enabled

    def _end_busy(self) -> None:
        """Make the form usable again, leaving whatever message was shown.

        Called in a ``finally`` by every worker that set the screen busy: whatever it
        raised, Ctrl+S must work again."""
        self._busy = False
        if self.is_mounted:
            self._enable_buttons(True)

    def _show_error(self, error: ProviderError) -> None:
        """Beside the field the error concerns; the form keeps what was typed."""
        from qwen_tui.providers.probe import ProbeError

        self._say("#status", "")
        if isinstance(error, ProbeError) and error.kind == "http":
            # The model answered, but not now (rate limit, server error): no field is wrong.
            self._say("#status", error.message)
            return
        if error.kind == "model":
            self._say("#model-error", error.message)
            typed = self.models_typed
            self.query_one("#model-input" if typed else "#model-select").focus()
            return
        target = "#url-error" if error.kind in URL_ERRORS else "#key-error"
        self._say(target, error.message)
        focus = "#base-url" if target == "#url-error" else "#api-key"
        self.query_one(focus, Input).focus()

    def _show_unexpected(self, doing: str, error: BaseException, key: str | None) -> None:
        """An error nobody planned for: say so in one line, without the key."""
        from qwen_tui.text import neutralise, redact

        detail = neutralise(" ".join(redact(str(error), [key]).split()))[:200]
        said = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        self._say("#status", f"{doing} failed unexpectedly ({said}). Nothing was saved.")

    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def _verify(self) -> None:
        from qwen_tui.providers.signin import check_api_key

        state = self._form_state()
        provider = self._selected_provider()
        self._reset_check()
        self._set_busy(True, f"Checking the key with {provider.name}…")
        try:
            result = await check_api_key(
                self.services.registry, provider, state[1], state[2] or None
            )
        except ProviderError as error:
            self._show_error(error)
            return
        except Exception as error:  # anything else: the screen must stay usable
            self._show_unexpected("Checking the key", error, state[2])
            return
        finally:
            self._end_busy()
        self._say("#status", "")
        self.query_one("#base-url", Input).value = result.base_url
        self._checked = self._form_state()
        self._offer_models(provider, list(result.models))

    def _offer_models(self, provider: Provider, models: list[str]) -> None:
        select = self.query_one("#model-select", Select)
        typed = self.query_one("#model-input", Input)
        accepted = "Key accepted" if self._key_text() else "Connected"
        if models:
            wanted = [self._in_use.model] if self._in_use is not None else []
            preferred = next(
                (m for m in [*wanted, provider.default_model] if m in models), models[0]
            )
            select.set_options([(plain(model), model) for model in models])
            select.value = preferred
            self.models_typed = False
            self._say(
                "#status",
                f"{accepted}; {len(models)} model{'s' if len(models) != 1 else ''} "
                "available. Pick one, then press Ctrl+S to save.",
            )
            select.focus()
        else:
            self.models_typed = True
            typed.value = typed.value or provider.default_model
            self._say("#status", f"{accepted}. The server lists no models: type the model id.")
            typed.focus()
        self.checked = True

    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def _save(self) -> None:
        from qwen_tui.config import SettingsWriteError
        from qwen_tui.credentials import CredentialError
        from qwen_tui.providers.probe import probe_model

        model = self._chosen_model()
        if not model:
            self._say("#model-error", "Choose or type a model.")
            return
        provider = self._selected_provider()
        _, base_url, key = self._form_state()
        self._set_busy(True, f"Asking {model} for a one-token answer…")
        try:
            await probe_model(base_url, key or None, model, provider=provider)
            self._say("#status", "Saving…")
            location = await self._store(provider, base_url, key or None, model)
        except _NotSaved as declined:
            self._say("#status", "")
            self._say("#key-error", str(declined))
            return
        except ProviderError as error:
            self._show_error(error)
            return
        except (CredentialError, SettingsWriteError) as error:
            self._say("#status", str(error))
            return
        except Exception as error:  # anything else: the screen must stay usable
            self._show_unexpected("Saving", error, key)
            return
        finally:
            self._end_busy()
        self._say("#status", "")
        where = f" Key: {location.description}." if location is not None else ""
        self.notify(f"Signed in to {provider.name}, model {model}.{where}", timeout=6)
        self.dismiss(True)

    async def _store(
        self, provider: Provider, base_url: str, key: str | None, model: str
    ) -> StoreLocation | None:
        """Save the sign-in; without a keyring, ask once whether the file store may be used.

        Raises:
            _NotSaved: the user declined the file store.
        """
        from qwen_tui.account import FileStoreDeclined, sign_in_with_key
        from qwen_tui.ui.screens.keyring_question import file_store_asker

        services = self.services
        ask = file_store_asker(self.app, services.loaded.home)
        try:
            return await sign_in_with_key(services, provider, base_url, key, model, ask)
        except FileStoreDeclined as declined:
            raise _NotSaved(
                "Not saved: no keyring is available and the file store was declined."
            ) from declined


class _NotSaved(Exception):
    """The user chose not to save (the message says what was left undone)."""
