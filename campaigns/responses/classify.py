"""A suggested classification for a reply, from keywords (the campaigner decides; this only helps)."""
from __future__ import annotations

import re

CLASSES = ("acknowledgement", "substantive", "refusal", "action_taken")
LABELS = {"acknowledgement": "Acknowledgement", "substantive": "Substantive", "refusal": "Refusal",
          "action_taken": "Action taken"}

KEYWORDS = {
    "refusal": [
        r"not in a position", r"unable to (comment|assist|help|intervene)", r"cannot (comment|intervene)",
        r"can ?not (comment|intervene)", r"(must|have to|regret to) decline", r"internal (affair|matter)",
        r"do not comment on individual", r"will not (comment|intervene)", r"outside (our|the) (remit|mandate)",
        r"не можем", r"не уполномочен", r"не комментируем", r"внутренн\w* дел", r"вынуждены отказать",
        r"ne pouvons pas", r"können (leider )?nicht",
    ],
    "action_taken": [
        r"(we|i) (have )?raised", r"raised (the|this|her|his) case", r"attended the (trial|hearing)",
        r"observ(ed|ers? at) the (trial|hearing)", r"(issued|published|made) a statement", r"d[ée]marche",
        r"met with", r"(wrote|written|sent a letter) to the (authorities|minister|government)",
        r"contacted the (authorities|ministry)", r"visited", r"подняли вопрос", r"направили (письмо|запрос)",
        r"присутствовали на (суде|заседании)", r"заявлени[ея]", r"avons soulevé", r"haben .* angesprochen",
    ],
    "acknowledgement": [
        r"thank you for (your|the) (letter|email|message|appeal)", r"(we|i) (have )?received",
        r"acknowledge (receipt|your)", r"forwarded (it|your|this)", r"passed (it|this|your) on",
        r"will be (considered|reviewed|forwarded)", r"благодарим", r"получили ваше", r"передано",
        r"accusons réception", r"bestätigen den eingang",
    ],
}
_COMPILED = {cls: [re.compile(p, re.I) for p in patterns] for cls, patterns in KEYWORDS.items()}
PRIORITY = ("action_taken", "refusal", "acknowledgement")
SUBSTANTIVE_WORDS = 80


def suggest(text: str) -> str:
    """The likeliest class of a reply: the class with most keyword hits, else by length."""
    text = text or ""
    scores = {cls: sum(1 for p in patterns if p.search(text)) for cls, patterns in _COMPILED.items()}
    best = max(PRIORITY, key=lambda cls: (scores[cls], -PRIORITY.index(cls)))
    if scores[best]:
        return best
    return "substantive" if len(text.split()) >= SUBSTANTIVE_WORDS else "acknowledgement"
