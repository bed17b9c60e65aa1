"""Keyword rules: names that settle a category alone, matched on whole words (EN and BG).

Matching is by tokens, never substrings: "bp" matches "BP 4021 SOFIA", not "140 bpm";
a phrase matches as consecutive tokens. The longest matching phrase wins; rules that still
disagree are not certain (the model decides).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

TOKEN: Final = re.compile(r"[^\W_]+(?:['&+][^\W_]+)*")

#: category -> keywords (lower case; a keyword of several words matches them in a row).
RULES: Final[dict[str, tuple[str, ...]]] = {
    "groceries": (
        "walmart", "kroger", "safeway", "whole foods", "trader joe's", "aldi", "lidl", "tesco",
        "sainsbury's", "asda", "costco", "publix", "kaufland", "billa", "carrefour",
        "fantastico", "t market", "supermarket", "grocery", "groceries", "hypermarket",
        "кауфланд", "лидл", "била", "фантастико", "т маркет", "супермаркет", "хипермаркет",
        "хранителни стоки", "карфур",
    ),
    "dining": (
        "mcdonald's", "burger king", "kfc", "pizza hut", "domino's", "chipotle", "taco bell",
        "restaurant", "pizzeria", "steakhouse", "uber eats", "doordash", "deliveroo", "glovo",
        "foodpanda", "ресторант", "механа", "пицария", "кръчма", "таверна", "макдоналдс",
        "хепи", "happy bar",
    ),
    "coffee": (
        "starbucks", "costa coffee", "dunkin", "tim hortons", "caffe nero", "coffee shop",
        "espresso", "cappuccino", "кафе", "кафене", "капучино", "еспресо", "старбъкс",
    ),
    "food": ("bakery", "пекарна", "баничарница", "сладкарница", "ice cream", "сладолед"),
    "gas": (
        "shell", "bp", "exxon", "chevron", "texaco", "esso", "lukoil", "omv", "rompetrol",
        "circle k", "gas station", "petrol station", "fuel", "diesel", "лукойл", "шел",
        "омв", "ромпетрол", "бензиностанция", "гориво", "дизел", "бензин", "газпром",
    ),
    "public_transport": (
        "metro", "subway fare", "bus ticket", "tram", "oyster", "transit", "amtrak", "бдж",
        "метро", "градски транспорт", "трамвай", "тролейбус", "цгм", "автогара",
    ),
    "taxi": ("uber", "lyft", "bolt", "taxi", "cab", "такси", "супертранс", "юбер", "болт"),
    "transportation": (
        "parking", "car wash", "toll", "vignette", "паркинг", "автомивка", "винетка",
        "автосервиз", "рент а кар",
    ),
    "clothing": (
        "h&m", "zara", "uniqlo", "primark", "deichmann", "lc waikiki", "new yorker",
        "дрехи", "обувки", "дейхман", "зара",
    ),
    "shopping": (
        "amazon", "ebay", "ikea", "best buy", "home depot", "mediamarkt", "technopolis",
        "emag", "jumbo", "praktiker", "икеа", "технополис", "техномаркет", "емаг", "джъмбо",
        "практикер",
    ),
    "entertainment": (
        "cinema", "ticketmaster", "bowling", "cinema city", "imax", "eventim", "кино",
        "синема сити", "театър", "боулинг", "концерт",
    ),
    "subscriptions": (
        "netflix", "spotify", "disney+", "hulu", "hbo", "youtube premium", "icloud",
        "audible", "patreon", "нетфликс", "спотифай", "абонамент",
    ),
    "healthcare": (
        "pharmacy", "cvs", "walgreens", "boots", "dentist", "hospital", "clinic",
        "sopharma", "remedium", "subra", "аптека", "аптеки", "софарма", "ремедиум", "субра",
        "марешки", "зъболекар", "болница", "поликлиника", "стоматолог",
    ),
    "personal_care": (
        "sephora", "barber", "hair salon", "nail salon", "lilly drogerie", "rossmann",
        "douglas", "фризьор", "бръснар", "маникюр", "козметика", "дрогерие", "дрогерия",
    ),
    "utilities": (
        "electricity", "water bill", "gas bill", "internet bill", "vodafone", "comcast",
        "vivacom", "yettel", "evn", "energo-pro", "toplofikacia", "топлофикация",
        "софийска вода", "евн", "енерго-про", "виваком", "йетел", "електрохолд",
    ),
    "rent": ("rent", "landlord", "наем", "квартира", "хазяин"),
    "mortgage": ("mortgage", "ипотека", "ипотечен", "ипотечна", "жилищен кредит"),
    "insurance": (
        "insurance", "geico", "allianz", "bulstrad", "застраховка", "каско",
        "гражданска отговорност", "булстрад", "дзи", "евроинс", "армеец",
    ),
    "education": (
        "tuition", "coursera", "udemy", "university", "училище", "университет", "софтуни",
        "учебници", "частни уроци",
    ),
    "travel": (
        "hotel", "airbnb", "booking.com", "ryanair", "wizz air", "easyjet", "lufthansa",
        "airlines", "хотел", "нощувка", "райънеър", "уиз еър", "самолетен билет",
    ),
    "childcare": (
        "daycare", "babysitter", "kindergarten", "diapers", "детска градина", "ясла",
        "детегледачка", "памперси",
    ),
    "pets": (
        "vet", "veterinary", "petsmart", "petco", "zooplus", "ветеринар", "ветеринарна",
        "зоомагазин",
    ),
    "gifts": ("florist", "gift shop", "gift card", "цветя", "подарък", "подаръци", "букет"),
    "charity": ("donation", "charity", "unicef", "red cross", "дарение", "благотворителност"),
    "other": ("atm", "банкомат", "western union", "еконт", "спиди", "нотариус"),
}  # fmt: skip


def normalize(text: str) -> str:
    """Case-folded, accents kept (Cyrillic й stays й), typographic quotes made plain."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("`", "'")
    return text.casefold()


def tokens(text: str) -> tuple[str, ...]:
    """The words of a text (letters and digits; ``&``, ``'`` and ``+`` inside a word)."""
    return tuple(TOKEN.findall(normalize(text)))


# A keyword is matched as the tokenizer sees it ("booking.com" is the words booking, com).
PHRASES: Final[tuple[tuple[tuple[str, ...], str, str], ...]] = tuple(
    (tokens(k), k, category) for category, keys in RULES.items() for k in keys
)


def rule_matches(text: str) -> list[tuple[str, str]]:
    """(category, keyword) of every rule whose phrase occurs in ``text``, longest first."""
    words = tokens(text)
    found: list[tuple[int, str, str]] = []
    for phrase, keyword, category in PHRASES:
        n = len(phrase)
        if n and any(words[i : i + n] == phrase for i in range(len(words) - n + 1)):
            found.append((n, category, keyword))
    found.sort(key=lambda f: -f[0])
    return [(category, keyword) for _, category, keyword in found]


def certain(text: str) -> tuple[str, str] | None:
    """The category the longest matching rules agree on, with the keyword (None: unsure)."""
    matches = rule_matches(text)
    if not matches:
        return None
    longest = len(tokens(matches[0][1]))
    top = {c for c, k in matches if len(tokens(k)) == longest}
    return matches[0] if len(top) == 1 else None
