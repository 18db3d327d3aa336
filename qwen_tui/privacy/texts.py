"""The privacy panel's words in English and Russian.

One dataclass per language, so that a missing translation is a type error rather than
an empty line on screen, and so that the panel, the sign-in question and the headless
``auth login`` question cannot drift apart. ``{provider}`` in a text is replaced by the
provider's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from qwen_tui.privacy.language import Language


@dataclass(frozen=True)
class FaqEntry:
    """One question of the FAQ with its answer."""

    question: str
    answer: str


@dataclass(frozen=True)
class PrivacyTexts:
    """Every sentence of the privacy panel and the usage-statistics question."""

    language: Language
    provider_heading: str
    method_names: dict[str, str]
    terms_label: str
    privacy_label: str
    no_link_local: str
    no_link_unknown: str
    link_hint: str
    notice_qwen: str
    notice_provider: str
    notice_local: str
    notice_none: str
    training: str
    stats_heading: str
    stats_switch: str
    stats_what: str
    collected_heading: str
    collected: tuple[str, ...]
    never_heading: str
    never: tuple[str, ...]
    stats_scope: str
    stats_openai: str
    stats_qwen_on: str
    stats_qwen_off: str
    install_id_label: str
    install_id_none: str
    reset_id: str
    sent_heading: str
    sent_explained: str
    sent_empty: str
    faq_heading: str
    faq: tuple[FaqEntry, ...]
    question_title: str
    question_lead: str
    question_yes: str
    question_no: str
    question_later: str


ENGLISH = PrivacyTexts(
    language="en",
    provider_heading="Provider in use",
    method_names={
        "qwen-oauth": "Qwen OAuth (qwen.ai account)",
        "openai": "OpenAI-compatible API",
    },
    terms_label="Terms of service",
    privacy_label="Privacy policy",
    no_link_local="none: the model runs on your machine",
    no_link_unknown="see your provider's website",
    link_hint="Enter on a link opens it in your browser (or copies it where there is none).",
    notice_qwen=(
        "You signed in with a qwen.ai account, so the Qwen Terms of Service and the Qwen "
        "Privacy Policy apply to your prompts, code and answers."
    ),
    notice_provider=(
        "You use {provider} through an OpenAI-compatible API with your own key, so "
        "{provider}'s terms of service and privacy policy apply, not qwen-tui's. Read them "
        "to learn how your data is used, kept and protected."
    ),
    notice_local=(
        "{provider} runs on your own machine: prompts and answers stay with the server "
        "you run, and no provider's terms apply."
    ),
    notice_none="No provider is chosen yet. Use /auth to choose one.",
    training=(
        "qwen-tui itself never uses your prompts, code or answers to train models. "
        "Whether the provider does is up to its own policy."
    ),
    stats_heading="Usage statistics",
    stats_switch="Send anonymous usage statistics",
    stats_what=(
        "Usage statistics help improve qwen-tui. They are optional, off until you say yes, "
        "and only ever collected while you are signed in with Qwen OAuth."
    ),
    collected_heading="When on, qwen-tui collects only:",
    collected=(
        "anonymous usage statistics: which commands are run, performance figures "
        "(start-up time, answer latency, token counts)",
        "error and crash reports: the kind of error and the app's own code locations, "
        "never a message text",
        "feature-usage patterns: which screens and features are used",
    ),
    never_heading="It never collects:",
    never=(
        "your code",
        "your prompts to the model",
        "the model's answers",
        "personal data: no names, e-mail addresses, file paths, keys or tokens",
    ),
    stats_scope=(
        "This setting only governs what qwen-tui collects. It does not change what your "
        "provider collects under its own privacy policy."
    ),
    stats_openai=(
        "You use an OpenAI-compatible provider: qwen-tui collects nothing at all, whatever "
        "this switch says, beyond what {provider} itself collects."
    ),
    stats_qwen_on="On: events are recorded and sent as listed below.",
    stats_qwen_off="Off: nothing is recorded or sent.",
    install_id_label="Anonymous install id",
    install_id_none="none (made only when you allow statistics)",
    reset_id="Reset id",
    sent_heading="What is sent",
    sent_explained="The last events, exactly as they are sent:",
    sent_empty="Nothing has been recorded in this run.",
    faq_heading="Questions",
    faq=(
        FaqEntry(
            "Are my code, prompts and answers used to train AI models?",
            "Not by qwen-tui: it never uses them for training. Whether your provider "
            "does depends on the sign-in method and the provider. With Qwen OAuth the Qwen "
            "Privacy Policy (https://qwen.ai/privacypolicy) decides; with an "
            "OpenAI-compatible API, the policy of the provider you chose.",
        ),
        FaqEntry(
            "What are usage statistics?",
            "Anonymous figures about how qwen-tui is used (commands run, speed, errors and "
            "crashes, features used) that help make it better. The setting "
            "privacy.usageStatisticsEnabled turns them on or off at any time; off is the "
            "default until you answer yes.",
        ),
        FaqEntry(
            "What is collected, and what never is?",
            "When on, and only under Qwen OAuth: anonymous usage statistics (commands run, "
            "performance metrics), error and crash reports, and feature-usage patterns. "
            "Never: your code, your prompts, the model's answers, or personal data. Under "
            "an OpenAI-compatible provider nothing is collected beyond what that provider "
            "collects itself.",
        ),
        FaqEntry(
            "How do I switch between Qwen OAuth and an API key?",
            "At first start, by choosing a method on the welcome screen; inside the app, "
            "with the /auth command; or with the environment: OPENAI_API_KEY, "
            "OPENAI_BASE_URL and OPENAI_MODEL, set in your shell or in a .env file, select "
            "an OpenAI-compatible provider automatically.",
        ),
    ),
    question_title="Help improve qwen-tui?",
    question_lead=(
        "With Qwen OAuth, qwen-tui can send anonymous usage statistics. You can change "
        "your answer at any time in /privacy."
    ),
    question_yes="Yes, send anonymous statistics",
    question_no="No, thanks",
    question_later="Esc: decide later (statistics stay off)",
)

RUSSIAN = PrivacyTexts(
    language="ru",
    provider_heading="Используемый поставщик",
    method_names={
        "qwen-oauth": "Qwen OAuth (учётная запись qwen.ai)",
        "openai": "OpenAI-совместимый API",
    },
    terms_label="Условия использования",
    privacy_label="Политика конфиденциальности",
    no_link_local="нет: модель работает на вашем компьютере",
    no_link_unknown="смотрите на сайте вашего поставщика",
    link_hint=("Enter на ссылке открывает её в браузере (или копирует, если браузера нет)."),
    notice_qwen=(
        "Вы вошли с учётной записью qwen.ai, поэтому к вашим запросам, коду и ответам "
        "применяются Условия использования Qwen и Политика конфиденциальности Qwen."
    ),
    notice_provider=(
        "Вы работаете с {provider} через OpenAI-совместимый API со своим ключом, поэтому "
        "действуют условия использования и политика конфиденциальности {provider}, а не "
        "qwen-tui. Прочитайте их, чтобы узнать, как ваши данные используются, хранятся и "
        "защищаются."
    ),
    notice_local=(
        "{provider} работает на вашем компьютере: запросы и ответы остаются у сервера, "
        "который вы запустили, и условия поставщика не применяются."
    ),
    notice_none="Поставщик ещё не выбран. Выберите его командой /auth.",
    training=(
        "Сам qwen-tui никогда не использует ваши запросы, код или ответы для обучения "
        "моделей. Использует ли их поставщик, зависит от его собственной политики."
    ),
    stats_heading="Статистика использования",
    stats_switch="Отправлять анонимную статистику использования",
    stats_what=(
        "Статистика использования помогает улучшать qwen-tui. Она необязательна, "
        "выключена, пока вы не согласитесь, и собирается только при входе через Qwen OAuth."
    ),
    collected_heading="Если она включена, qwen-tui собирает только:",
    collected=(
        "анонимную статистику использования: какие команды выполняются, показатели "
        "производительности (время запуска, задержка ответа, число токенов)",
        "отчёты об ошибках и сбоях: вид ошибки и места в собственном коде приложения, "
        "без текста сообщений",
        "шаблоны использования функций: какие экраны и функции используются",
    ),
    never_heading="Никогда не собирается:",
    never=(
        "ваш код",
        "ваши запросы к модели",
        "ответы модели",
        "персональные данные: ни имён, ни адресов почты, ни путей к файлам, ни ключей, ни токенов",
    ),
    stats_scope=(
        "Эта настройка управляет только тем, что собирает qwen-tui. Она не меняет "
        "того, что собирает ваш поставщик по своей политике конфиденциальности."
    ),
    stats_openai=(
        "Вы используете OpenAI-совместимого поставщика: qwen-tui ничего не собирает, "
        "в каком бы положении ни был переключатель, сверх того, что собирает сам {provider}."
    ),
    stats_qwen_on="Включено: события записываются и отправляются, как показано ниже.",
    stats_qwen_off="Выключено: ничего не записывается и не отправляется.",
    install_id_label="Анонимный идентификатор установки",
    install_id_none="нет (создаётся, только если вы разрешили статистику)",
    reset_id="Сбросить",
    sent_heading="Что отправляется",
    sent_explained="Последние события в точности в том виде, в каком они отправляются:",
    sent_empty="За этот запуск ничего не записано.",
    faq_heading="Вопросы",
    faq=(
        FaqEntry(
            "Используются ли мой код, запросы и ответы для обучения моделей ИИ?",
            "Не qwen-tui: он никогда не использует их для обучения. Использует ли их "
            "поставщик, зависит от способа входа и поставщика. При Qwen OAuth это "
            "определяет Политика конфиденциальности Qwen (https://qwen.ai/privacypolicy); "
            "при OpenAI-совместимом API — политика выбранного вами поставщика.",
        ),
        FaqEntry(
            "Что такое статистика использования?",
            "Анонимные сведения о том, как используется qwen-tui (выполняемые команды, "
            "скорость, ошибки и сбои, используемые функции), которые помогают его "
            "улучшать. Настройка privacy.usageStatisticsEnabled включает и выключает её в "
            "любой момент; пока вы не ответили «да», она выключена.",
        ),
        FaqEntry(
            "Что собирается, а что никогда?",
            "Если статистика включена, и только при Qwen OAuth: анонимная статистика "
            "использования (выполняемые команды, показатели производительности), отчёты "
            "об ошибках и сбоях и шаблоны использования функций. Никогда: ваш код, ваши "
            "запросы, ответы модели и персональные данные. При OpenAI-совместимом "
            "поставщике не собирается ничего сверх того, что собирает сам поставщик.",
        ),
        FaqEntry(
            "Как переключиться между Qwen OAuth и ключом API?",
            "При первом запуске — выбрав способ входа на экране приветствия; внутри "
            "приложения — командой /auth; через окружение — переменные OPENAI_API_KEY, "
            "OPENAI_BASE_URL и OPENAI_MODEL в оболочке или в файле .env автоматически "
            "выбирают OpenAI-совместимого поставщика.",
        ),
    ),
    question_title="Помочь улучшить qwen-tui?",
    question_lead=(
        "При входе через Qwen OAuth qwen-tui может отправлять анонимную статистику "
        "использования. Ответ можно изменить в любой момент в /privacy."
    ),
    question_yes="Да, отправлять анонимную статистику",
    question_no="Нет, спасибо",
    question_later="Esc: решить позже (статистика выключена)",
)

_TEXTS: dict[Language, PrivacyTexts] = {"en": ENGLISH, "ru": RUSSIAN}


def texts_for(language: Language) -> PrivacyTexts:
    """The texts in ``language``."""
    return _TEXTS[language]


def statistics_explained(texts: PrivacyTexts) -> str:
    """What usage statistics are, what is collected and what never is, as plain text:
    the words of the sign-in question, in the app and on a terminal alike."""
    lines = [texts.stats_what, "", texts.collected_heading]
    lines += [f"  • {item}" for item in texts.collected]
    lines.append(texts.never_heading)
    lines += [f"  • {item}" for item in texts.never]
    lines += ["", texts.stats_scope]
    return "\n".join(lines)
