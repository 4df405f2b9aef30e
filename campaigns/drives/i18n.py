"""The public page's words in English, Russian and Kazakh, and the choice of language (pure)."""
from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry
from babel import Locale

from campaigns.drives.models import LANGUAGES

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "expired": "The form had expired: please check it and send it again.",
        "open_letter": "Open letter", "another": "Another {n} people signed",
        "n_signed": "{n} people signed this letter", "n_new": "{n} more people signed this letter since our last message",
        "unnamed": "and {n} more who asked that only their number be passed on",
        "delivery_body": "{summary}.\n\nThe letter and its signatures are attached as a PDF.\n\n{title}\n\n{body}\n",
        "goal": "Goal", "of_goal": "of {goal}", "deadline": "Open until {date}",
        "closed": "This letter is closed to new signatures. Thank you to everyone who signed.",
        "sign_title": "Add your name", "name": "Your name", "city": "City", "country": "Country",
        "choose": "Choose…", "email": "Email (optional)",
        "email_help": "Only to confirm your signature by a link; we never show it or pass it on.",
        "display": "How to show your signature", "display_full": "My full name",
        "display_initial": "First name and initial", "display_anonymous": "Anonymously (“a supporter from your city”)",
        "consent": "The targets of this letter may receive my name",
        "consent_help": "Without this, they receive only the number of signatures.",
        "sign": "Sign the letter", "recent": "Recent signatures", "none_yet": "Be the first to sign.",
        "case": "About the case", "thanks": "Thank you: your signature is counted.",
        "check_mail": "Almost done: we sent you a link. Your signature counts once you open it.",
        "held": "Thank you: your signature will appear after a check.",
        "confirm_title": "Confirm your signature", "confirm": "Confirm my signature",
        "confirmed": "Confirmed: thank you for signing.", "bad_token": "This link is not valid or has expired.",
        "supporter": "a supporter", "supporter_from": "a supporter from {city}",
        "send_own": "Send the letter from your own mail too",
        "send_own_help": "Opens your mail program with the letter ready to send.",
        "too_many": "Too many signatures from your connection just now. Please try again in a few minutes.",
        "fix": "Please correct the marked fields.", "required": "This field is required.",
        "too_long": "Too long (at most {n} characters).", "bad_email": "This is not an email address.",
        "bad_country": "Choose a country from the list.", "withheld": "name withheld for safety",
        "language": "Language", "progress": "Progress toward the goal",
        "mail_subject": "Confirm your signature: {title}",
        "mail_body": "Open this link to confirm your signature on “{title}”:\n\n{link}\n\n"
                     "If you did not sign, ignore this message: nothing will be published.",
    },
    "ru": {
        "expired": "Форма устарела: проверьте её и отправьте ещё раз.",
        "open_letter": "Открытое письмо", "another": "Ещё {n} человек подписали",
        "n_signed": "Письмо подписали: {n}", "n_new": "С нашего прошлого письма подписали ещё: {n}",
        "unnamed": "и ещё {n} человек, попросивших передать только их число",
        "delivery_body": "{summary}.\n\nПисьмо и подписи приложены в PDF.\n\n{title}\n\n{body}\n",
        "goal": "Цель", "of_goal": "из {goal}", "deadline": "Подписать можно до {date}",
        "closed": "Сбор подписей под этим письмом завершён. Спасибо всем, кто подписал.",
        "sign_title": "Подпишите письмо", "name": "Ваше имя", "city": "Город", "country": "Страна",
        "choose": "Выберите…", "email": "Электронная почта (необязательно)",
        "email_help": "Только чтобы подтвердить подпись по ссылке; мы её не показываем и никому не передаём.",
        "display": "Как показать вашу подпись", "display_full": "Полное имя",
        "display_initial": "Имя и первая буква фамилии",
        "display_anonymous": "Анонимно («сторонник из вашего города»)",
        "consent": "Адресаты письма могут получить моё имя",
        "consent_help": "Без этого они получат только число подписей.",
        "sign": "Подписать письмо", "recent": "Последние подписи", "none_yet": "Подпишите первым.",
        "case": "О деле", "thanks": "Спасибо: ваша подпись учтена.",
        "check_mail": "Почти готово: мы отправили вам ссылку. Подпись будет учтена, когда вы её откроете.",
        "held": "Спасибо: ваша подпись появится после проверки.",
        "confirm_title": "Подтвердите подпись", "confirm": "Подтвердить подпись",
        "confirmed": "Подпись подтверждена. Спасибо!", "bad_token": "Ссылка недействительна или устарела.",
        "supporter": "сторонник", "supporter_from": "сторонник из города {city}",
        "send_own": "Отправьте письмо и со своей почты",
        "send_own_help": "Откроется ваша почтовая программа с готовым письмом.",
        "too_many": "Слишком много подписей с вашего подключения. Попробуйте через несколько минут.",
        "fix": "Исправьте отмеченные поля.", "required": "Обязательное поле.",
        "too_long": "Слишком длинно (не больше {n} знаков).", "bad_email": "Это не адрес электронной почты.",
        "bad_country": "Выберите страну из списка.", "withheld": "имя скрыто ради безопасности",
        "language": "Язык", "progress": "Продвижение к цели",
        "mail_subject": "Подтвердите подпись: {title}",
        "mail_body": "Откройте ссылку, чтобы подтвердить подпись под письмом «{title}»:\n\n{link}\n\n"
                     "Если вы не подписывали, просто удалите это письмо: ничего не будет опубликовано.",
    },
    "kk": {
        "expired": "Форманың мерзімі өтті: тексеріп, қайта жіберіңіз.",
        "open_letter": "Ашық хат", "another": "Тағы {n} адам қол қойды",
        "n_signed": "Хатқа қол қойғандар: {n}", "n_new": "Соңғы хатымыздан бері тағы қол қойғандар: {n}",
        "unnamed": "және тек санын беруді сұраған тағы {n} адам",
        "delivery_body": "{summary}.\n\nХат пен қолтаңбалар PDF түрінде тіркелген.\n\n{title}\n\n{body}\n",
        "goal": "Мақсат", "of_goal": "{goal} ішінен", "deadline": "{date} дейін ашық",
        "closed": "Бұл хатқа қол жинау аяқталды. Қол қойғандардың бәріне рахмет.",
        "sign_title": "Хатқа қол қойыңыз", "name": "Атыңыз", "city": "Қала", "country": "Ел",
        "choose": "Таңдаңыз…", "email": "Электрондық пошта (міндетті емес)",
        "email_help": "Тек қолтаңбаны сілтеме арқылы растау үшін; оны ешкімге көрсетпейміз және бермейміз.",
        "display": "Қолтаңбаңыз қалай көрсетілсін", "display_full": "Толық атым",
        "display_initial": "Атым және тегімнің бас әрпі",
        "display_anonymous": "Жасырын («қалаңыздан бір қолдаушы»)",
        "consent": "Хат алушылар менің атымды біле алады",
        "consent_help": "Онсыз оларға тек қолтаңбалар саны жіберіледі.",
        "sign": "Хатқа қол қою", "recent": "Соңғы қолтаңбалар", "none_yet": "Бірінші болып қол қойыңыз.",
        "case": "Іс туралы", "thanks": "Рахмет: қолтаңбаңыз есептелді.",
        "check_mail": "Сізге сілтеме жібердік. Оны ашқанда қолтаңбаңыз есептеледі.",
        "held": "Рахмет: қолтаңбаңыз тексерістен кейін көрінеді.",
        "confirm_title": "Қолтаңбаңызды растаңыз", "confirm": "Қолтаңбамды растау",
        "confirmed": "Расталды. Қол қойғаныңызға рахмет!", "bad_token": "Сілтеме жарамсыз немесе ескірген.",
        "supporter": "қолдаушы", "supporter_from": "{city} қаласынан бір қолдаушы",
        "send_own": "Хатты өз поштаңыздан да жіберіңіз",
        "send_own_help": "Пошта бағдарламаңыз дайын хатпен ашылады.",
        "too_many": "Сіздің желіден тым көп қолтаңба келді. Бірнеше минуттан кейін қайталаңыз.",
        "fix": "Белгіленген өрістерді түзетіңіз.", "required": "Міндетті өріс.",
        "too_long": "Тым ұзын (ең көбі {n} таңба).", "bad_email": "Бұл электрондық пошта мекенжайы емес.",
        "bad_country": "Тізімнен елді таңдаңыз.", "withheld": "қауіпсіздік үшін аты жасырылды",
        "language": "Тіл", "progress": "Мақсатқа жету",
        "mail_subject": "Қолтаңбаңызды растаңыз: {title}",
        "mail_body": "«{title}» хатындағы қолтаңбаңызды растау үшін сілтемені ашыңыз:\n\n{link}\n\n"
                     "Егер сіз қол қоймасаңыз, бұл хатты елемеңіз: ештеңе жарияланбайды.",
    },
}


# Words that follow a number, in each CLDR plural category the language uses (Babel names the category).
PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "en": {"signatures": {"one": "signature", "other": "signatures"}},
    "ru": {"signatures": {"one": "подпись", "few": "подписи", "many": "подписей", "other": "подписи"}},
    "kk": {"signatures": {"one": "қолтаңба", "other": "қолтаңба"}},
}


def counted(language: str, key: str, n: int) -> str:
    """The word for `n` of something in `language`: "1 signature", "5 подписей", "22 подписи"."""
    language = language if language in PLURALS else "en"
    forms = PLURALS[language][key]
    return forms.get(Locale.parse(language).plural_form(n), forms["other"])


def choose_language(requested: str | None, accept_languages, default: str) -> str:
    """`?lang=` wins, then the browser's Accept-Language, then the drive's own language."""
    if requested in LANGUAGES:
        return requested
    for value, _quality in accept_languages or ():  # best first; "ru-RU" means Russian
        primary = value.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return default if default in LANGUAGES or default == "" else "en"


def words(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["en"])


@lru_cache(maxsize=8)
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """(ISO code, name in `language`) for every country, sorted by name as the reader sees it."""
    try:
        translate = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]).gettext
    except OSError:
        translate = str
    names = [(c.alpha_2, translate(c.name)) for c in pycountry.countries]
    return tuple(sorted(names, key=lambda pair: pair[1].casefold()))


@lru_cache(maxsize=8)
def country_names(language: str) -> dict[str, str]:
    return dict(countries(language))
