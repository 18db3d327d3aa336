"""The Qwen OAuth sign-in view: the device flow (RFC 8628) on screen.

Opened from the welcome screen once the user chose Qwen OAuth; nothing touches the
network before that. It first offers, once, to import a Qwen Code sign-in
(``~/.qwen/oauth_creds.json``); otherwise it asks the sign-in server for a code and
shows the link in full, the user code large, and a QR code of the complete link (for a
phone, e.g. over SSH), opens the browser where there is one, and counts down to the
code's expiry while it waits for the approval. Once approved, the model is asked for one
token (:func:`qwen_tui.providers.qwen_oauth.signin.probe_qwen_tokens`): a sign-in the
API refuses, such as one after Qwen's free tier ended, is reported and nothing is
stored. Esc cancels at once (the open request is closed); a refusal, an expired code or
a network problem is explained, and Enter starts again. The tokens are stored with
:func:`qwen_tui.account.sign_in_with_qwen`, off the UI thread."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, get_args

import segno
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static
from textual.worker import Worker

from qwen_tui.account import AskFileStore, import_qwen_code, sign_in_with_qwen
from qwen_tui.providers.qwen_oauth import (
    DeviceAuthorization,
    DeviceFlow,
    ImportOffer,
    OAuthError,
    OAuthTokens,
    browser_available,
    import_offer,
    mark_import_offered,
    open_browser,
)
from qwen_tui.text import neutralise
from qwen_tui.ui.plain import plain
from qwen_tui.ui.screens.import_question import ImportQuestion, short_path
from qwen_tui.ui.screens.keyring_question import file_store_asker
from qwen_tui.ui.screens.usage_question import after_qwen_sign_in

if TYPE_CHECKING:
    from qwen_tui.credentials import StoreLocation
    from qwen_tui.ui.services import AppServices

__all__ = ["QwenSignInScreen", "qr_code", "spaced_code"]

State = Literal["checking", "question", "starting", "waiting", "saving", "failed", "imported"]
STATES: tuple[State, ...] = get_args(State)

QR_BORDER = 2
"""Quiet zone around the QR code, in modules (the text column needs the room)."""
TEXT_MIN_WIDTH = 52
"""Columns the link and the code need beside the QR code."""
CHROME_HEIGHT = 10
"""Rows taken by the header, footer, title and padding around the QR code."""

HEADLINES: dict[str, str] = {
    "denied": "The sign-in was refused",
    "expired": "The code expired",
    "invalid_grant": "The sign-in server did not accept this sign-in",
    "network": "Cannot reach the sign-in server",
    "not_json": "The sign-in server did not answer as expected",
    "bad_response": "The sign-in server did not answer as expected",
    "rejected": "The sign-in server refused the request",
    "server": "The sign-in server had an error",
    "storage": "Signed in, but the tokens could not be stored",
}

_QR_STYLE = Style(color="#000000", bgcolor="#ffffff")
_HALF_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_code(url: str, border: int = QR_BORDER) -> Text:
    """``url`` as a QR code drawn with half blocks: two modules per character cell.

    Dark modules are black on white whatever the theme, so phone cameras read it.
    """
    rows = [[bool(module) for module in row] for row in segno.make(url).matrix_iter(border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = [
        "".join(_HALF_BLOCKS[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]
    return Text("\n".join(lines), style=_QR_STYLE, no_wrap=True, overflow="crop")


def spaced_code(user_code: str) -> str:
    """The user code with room between the characters, easier to read and type."""
    return " ".join(user_code)


def countdown(seconds: float) -> str:
    """``m:ss`` (rounded up: it shows 0:00 only once the code has expired)."""
    total = max(0, math.ceil(seconds))
    return f"{total // 60}:{total % 60:02d}"


class QwenSignInScreen(Screen[bool]):
    """Sign in with a qwen.ai account; dismisses ``True`` once the tokens are stored.

    Args:
        services: the app's backends.
        no_browser: never open a browser, only show the link (``--no-browser``).
    """

    telemetry_name = "qwen-signin"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("escape", "back", "Back"),
        Binding("c", "copy_link", "Copy link"),
        Binding("enter", "retry", "Try again"),
        Binding("enter", "continue", "Continue"),
        Binding("escape", "continue", "Continue", show=False),
    ]

    state: reactive[State] = reactive("checking", bindings=True)
    """Where the sign-in is; the screen carries it as the class ``-<state>``, and the
    stylesheet decides from that what is shown."""

    def __init__(self, services: AppServices, *, no_browser: bool = False) -> None:
        super().__init__()
        self.services = services
        self.no_browser = no_browser
        self.authorization: DeviceAuthorization | None = None
        self._flow: DeviceFlow | None = None
        self._unsaved: OAuthTokens | None = None
        self._qr_size = (0, 0)
        self._worker: Worker[None] | None = None

    # ----- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="qwen-signin"):
            yield Static("Sign in with Qwen", id="signin-title")
            yield Static(
                "Approve this sign-in with your qwen.ai account, in a browser on this "
                "computer or on any other device.",
                id="signin-lead",
            )
            with Horizontal(id="signin-body"):
                with Vertical(id="signin-steps"):
                    yield Static("1. Open this link", classes="signin-step")
                    yield Static("", id="signin-link")
                    yield Static("", id="signin-browser", classes="hint")
                    yield Static("", id="signin-code-step", classes="signin-step")
                    yield Static("", id="signin-code")
                    yield Static("", id="signin-plain", classes="hint")
                    yield Static("", id="signin-countdown")
                yield Static("", id="signin-qr")
            yield LoadingIndicator(id="signin-busy")
            yield Static("", id="signin-headline")
            yield Static("", id="signin-message")
            yield Static("", id="signin-hint", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "qwen-tui"
        self.sub_title = "sign in with Qwen"
        self._show("checking", "Looking for an earlier sign-in…")
        self._worker = self._run(offer_import=True)

    def on_resize(self) -> None:
        self._fit_qr()

    def _fit_qr(self) -> None:
        """Show the QR code only where it fits beside the text (class ``-fits``)."""
        width, height = self._qr_size
        size = self.size
        fits = bool(width) and (
            size.width >= width + TEXT_MIN_WIDTH and size.height >= height + CHROME_HEIGHT
        )
        self.query_one("#signin-qr", Static).set_class(fits, "-fits")

    # ----- states --------------------------------------------------------------------

    def watch_state(self, state: State) -> None:
        for name in STATES:
            self.set_class(name == state, f"-{name}")

    def _line(self, selector: str, text: str | Text) -> None:
        """Show ``text`` as it is: messages quote the sign-in server, so never markup.

        An empty line carries the class ``-empty``, which the stylesheet hides.
        """
        line = self.query_one(selector, Static)
        line.update(plain(text) if isinstance(text, str) else text)
        line.set_class(not text, "-empty")

    def _show(self, state: State, message: str = "", headline: str = "", hint: str = "") -> None:
        self.state = state
        self._line("#signin-headline", headline)
        self._line("#signin-message", message)
        self._line("#signin-hint", hint)

    def _show_authorization(self, auth: DeviceAuthorization) -> None:
        self.authorization = auth
        link = neutralise(auth.browser_url)
        self._line("#signin-link", Text(link, style=Style(bold=True, link=link)))
        if auth.verification_uri_complete:
            step = "2. Check that the page shows this code"
            without_link = f"Without the link: go to {auth.verification_uri} and type the code."
        else:
            step = "2. Type this code on that page"
            without_link = ""
        self._line("#signin-code-step", step)
        self._line("#signin-code", spaced_code(auth.user_code))
        self._line("#signin-plain", without_link)
        opened = not self.no_browser and browser_available() and open_browser(auth.browser_url)
        if opened:
            browser = "Opened the link in your browser. No browser? Press c to copy the link."
        else:
            browser = (
                "Open this link on any device, or scan the QR code with your phone. "
                "Press c to copy the link."
            )
        self._line("#signin-browser", browser)
        qr = qr_code(link)
        rows = qr.plain.split("\n")
        self._qr_size = (len(rows[0]), len(rows))
        self.query_one("#signin-qr", Static).update(qr)
        self._fit_qr()
        self._tick(auth.expires_in)
        self._show("waiting")

    def _tick(self, seconds_left: float) -> None:
        self._line(
            "#signin-countdown",
            f"Waiting for your approval… the code expires in {countdown(seconds_left)}.",
        )

    def _fail(self, headline: str, message: str) -> None:
        if self._unsaved is not None:
            hint = "Press Enter to try saving again, Esc to go back."
        else:
            hint = "Press Enter to try again, Esc to go back."
        self._show("failed", message, headline=headline, hint=hint)

    # ----- the work ------------------------------------------------------------------

    def _new_flow(self) -> DeviceFlow:
        """The device flow against the ``oauth.*`` settings (tests may replace it)."""
        return DeviceFlow(self.services.loaded.settings.oauth)

    @work(exclusive=True, group="qwen-sign-in", exit_on_error=False)
    async def _run(self, *, offer_import: bool = False) -> None:
        try:
            if self._unsaved is not None:
                await self._save(self._unsaved)
                return
            if offer_import and await self._offer_import():
                return
            await self._device_flow()
        except Exception as error:  # anything unplanned: leave a state Enter and Esc work in
            self._fail(
                "The sign-in failed unexpectedly", f"{type(error).__name__}; nothing was saved."
            )

    async def _offer_import(self) -> bool:
        """Ask once about a Qwen Code sign-in; True when the question settled the visit."""
        services = self.services
        offer = await asyncio.to_thread(import_offer, services.loaded, services.credentials)
        if offer is None:
            return False
        self._show("question")
        answer = await self.app.push_screen_wait(ImportQuestion(offer))
        if answer is None:
            self.dismiss(False)
            return True
        if answer:
            await self._import(offer)
            return True
        await asyncio.to_thread(mark_import_offered, services.loaded.home)
        return False

    async def _device_flow(self) -> None:
        self._show("starting", "Asking the sign-in server for a code…")
        flow = self._new_flow()
        self._flow = flow
        try:
            auth = await flow.start()
            self._show_authorization(auth)
            tokens = await flow.poll(auth, on_tick=self._tick)
        except OAuthError as error:
            if error.kind != "cancelled":
                self._fail(HEADLINES.get(error.kind, "The sign-in failed"), error.message)
            return
        finally:
            self._flow = None
        if await self._answers(tokens):
            await self._save(tokens)

    async def _answers(self, tokens: OAuthTokens) -> bool:
        """Whether the API answers one token with the new tokens; if not, say why and
        keep nothing (a retry starts a new sign-in)."""
        from qwen_tui.providers import ProviderError
        from qwen_tui.providers.probe import ProbeError
        from qwen_tui.providers.qwen_oauth.signin import probe_qwen_tokens

        self._show("saving", "Asking the model for a one-token answer…")
        services = self.services
        try:
            await probe_qwen_tokens(services.loaded, services.registry, tokens)
        except ProviderError as error:
            ended = isinstance(error, ProbeError) and error.problem == "discontinued"
            headline = "The Qwen API refuses this account" if ended else "The API did not answer"
            self._fail(headline, f"{error.message} Nothing was stored.")
            return False
        return True

    async def _store(
        self, what: str, sign_in: Callable[[AskFileStore], Awaitable[StoreLocation]]
    ) -> StoreLocation | None:
        """Run the account's ``sign_in``, which asks about the file store if no keyring.

        Returns None (after saying why) when nothing could be stored.
        """
        from qwen_tui.account import FileStoreDeclined
        from qwen_tui.config import SettingsWriteError
        from qwen_tui.credentials import CredentialError

        try:
            return await sign_in(file_store_asker(self.app, self.services.loaded.home))
        except FileStoreDeclined:
            self._fail(
                f"{what}, but not stored",
                "No keyring is available and the file store was declined, so nothing was stored.",
            )
        except (CredentialError, SettingsWriteError) as error:
            self._fail(f"{what}, but not stored", str(error))
        return None

    async def _save(self, tokens: OAuthTokens) -> None:
        self._unsaved = tokens
        self._show("saving", "Approved. Saving your sign-in…")
        location = await self._store(
            "Signed in", lambda ask: sign_in_with_qwen(self.services, tokens, ask)
        )
        if location is None:
            return
        self._unsaved = None
        self.notify(f"Signed in with Qwen OAuth. Tokens: {location.description}.", timeout=6)
        await after_qwen_sign_in(self.app, self.services)
        self.dismiss(True)

    async def _import(self, offer: ImportOffer) -> None:
        if not await self._answers(offer.tokens):
            return
        self._show("saving", "Importing the Qwen Code sign-in…")
        location = await self._store(
            "Found the Qwen Code sign-in",
            lambda ask: import_qwen_code(self.services, offer, ask),
        )
        if location is None:
            return
        await after_qwen_sign_in(self.app, self.services)
        self._show(
            "imported",
            f"Your tokens are now in {location.description}. qwen-tui no longer needs the "
            f"plain-text file {short_path(offer.path)}: you can delete it now. Until you do, "
            "Qwen Code uses the same sign-in, and whichever renews it first makes the "
            "other's copy invalid.",
            headline="Imported your Qwen Code sign-in",
            hint="Press Enter to start chatting.",
        )

    # ----- keys ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.state
        if action == "cancel":
            return state in ("checking", "question", "starting", "waiting")
        if action == "back":
            return state == "failed"
        if action == "copy_link":
            return state == "waiting"
        if action == "retry":
            return state == "failed"
        if action == "continue":
            return state == "imported"
        return True

    def action_cancel(self) -> None:
        """Stop the sign-in: the open request is closed, nothing is stored."""
        if self._flow is not None:
            self._flow.cancel()
        if self._worker is not None:
            self._worker.cancel()
        self.dismiss(False)

    def action_back(self) -> None:
        self.dismiss(False)

    def action_retry(self) -> None:
        self._worker = self._run()

    def action_continue(self) -> None:
        self.dismiss(True)

    def action_copy_link(self) -> None:
        from qwen_tui.ui.clipboard import copy_text

        if self.authorization is None:
            return
        how = copy_text(self.app, self.authorization.browser_url)
        self.notify(f"Copied the link (with {how}).", timeout=4)
