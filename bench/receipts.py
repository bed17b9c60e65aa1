"""Synthetic receipts with known fields: rendered like photos of real ones (EN and BG).

Used by ``make eval-ocr`` (accuracy per field), ``make bench`` (receipts per minute) and the
tests that need an image a real OCR engine can read. Fonts come from matplotlib's copy of
DejaVu (a PyPI wheel), so a render is the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_FILES: Final = (
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSans-Bold.ttf",
)
CENT: Final = Decimal("0.01")

# (printed header, expected merchant key, category, language, currency)
MERCHANTS: Final = (
    ("WALMART SUPERCENTER", "walmart", "groceries", "en", "USD"),
    ("TESCO EXPRESS", "tesco", "groceries", "en", "GBP"),
    ("STARBUCKS COFFEE", "starbucks", "coffee", "en", "USD"),
    ("SHELL", "shell", "gas", "en", "GBP"),
    ("CVS PHARMACY", "cvs", "healthcare", "en", "USD"),
    ("TARGET", "target", "shopping", "en", "USD"),
    ("ALDI", "aldi", "groceries", "en", "EUR"),
    ("MCDONALD'S", "mcdonalds", "dining", "en", "USD"),
    ("COSTA COFFEE", "costa", "coffee", "en", "GBP"),
    ("WHOLE FOODS MARKET", "whole foods", "groceries", "en", "USD"),
    ("GREEN LEAF BISTRO", "green leaf bistro", "dining", "en", "USD"),
    ("KAUFLAND BULGARIA", "kaufland", "groceries", "bg", "BGN"),
    ("КАУФЛАНД БЪЛГАРИЯ ЕООД", "kaufland", "groceries", "bg", "BGN"),
    ("ЛИДЛ БЪЛГАРИЯ ЕООД", "lidl", "groceries", "bg", "EUR"),
    ("БИЛА БЪЛГАРИЯ ЕООД", "billa", "groceries", "bg", "BGN"),
    ("ФАНТАСТИКО", "fantastico", "groceries", "bg", "EUR"),
    ("ЛУКОЙЛ БЪЛГАРИЯ ЕООД", "lukoil", "gas", "bg", "BGN"),
    ("АПТЕКИ МАРЕШКИ", "mareshki", "healthcare", "bg", "EUR"),
    ("OMV БЪЛГАРИЯ", "omv", "gas", "bg", "EUR"),
    ("ПЕКАРНА МЕКИЦА", "пекарна мекица", "food", "bg", "BGN"),
)
ITEMS: Final = {
    "en": ("MILK 2L", "BREAD", "EGGS 12PK", "BANANAS", "CHICKEN BREAST", "COFFEE LATTE",
           "ORANGE JUICE", "PASTA", "TOMATOES", "RICE 1KG", "CHEESE", "APPLES", "WATER 6PK",
           "SHAMPOO", "TOOTHPASTE", "UNLEADED 95", "YOGURT", "BUTTER", "CEREAL", "SOAP"),
    "bg": ("ХЛЯБ ДОБРУДЖА", "МЛЯКО 2Л", "СИРЕНЕ", "ЯЙЦА 10БР", "БАНАНИ", "ДОМАТИ", "КАФЕ",
           "ВОДА 1.5Л", "ОЛИО 1Л", "ОРИЗ 1КГ", "КАШКАВАЛ", "ЯБЪЛКИ", "ПИЛЕШКО ФИЛЕ", "ЛУК",
           "БИРА 0.5Л", "ШОКОЛАД", "ДИЗЕЛ", "ПАРАЦЕТАМОЛ", "КИСЕЛО МЛЯКО", "ЗАХАР 1КГ"),
}  # fmt: skip
EN_MONTHS: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
SYMBOL: Final = {"USD": "$", "GBP": "£", "EUR": "€", "BGN": "лв"}


@dataclass(frozen=True)
class Item:
    """One bought line: name, quantity, unit price and the line's total."""

    name: str
    quantity: int
    unit_price: Decimal

    @property
    def price(self) -> Decimal:
        """The line's total."""
        return (self.unit_price * self.quantity).quantize(CENT)


@dataclass(frozen=True)
class Spec:
    """What a receipt says (the labels) and how it is printed."""

    header: str
    merchant: str
    category: str
    language: str
    currency: str
    date: dt.date
    time: str
    items: tuple[Item, ...]
    date_style: str
    font: str
    size: int
    tax_rate: Decimal
    effects: tuple[str, ...] = field(default=())
    rotation: float = 0.0

    @property
    def total(self) -> Decimal:
        """What the receipt charges."""
        return sum((i.price for i in self.items), Decimal("0.00"))


def font_dir() -> Path:
    """matplotlib's DejaVu fonts (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the receipt renderer needs matplotlib's fonts: pip install matplotlib")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def random_spec(rng: random.Random, language: str | None = None) -> Spec:
    """A random receipt (in ``language`` when given)."""
    choices = [m for m in MERCHANTS if language is None or m[3] == language]
    header, merchant, category, lang, currency = rng.choice(choices)
    names = rng.sample(ITEMS[lang], rng.randint(2, 6))
    items = tuple(
        Item(n, rng.choice((1, 1, 1, 2, 3)), Decimal(rng.randint(49, 4999)) / 100) for n in names
    )
    styles = (
        ("iso", "dmy_dot", "dmy_slash", "month")
        if lang == "bg"
        else (
            ("mdy_slash", "iso", "month")
            if currency == "USD"
            else ("dmy_slash", "dmy_dot", "iso", "month")
        )
    )
    effects = [e for e in ("noise", "blur", "jpeg", "thermal") if rng.random() < 0.4]
    return Spec(
        header=header,
        merchant=merchant,
        category=category,
        language=lang,
        currency=currency,
        date=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 333)),
        time=f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
        items=items,
        date_style=rng.choice(styles),
        font=rng.choice(FONT_FILES),
        size=rng.choice((22, 24, 26, 28)),
        tax_rate=Decimal("0.20") if lang == "bg" else Decimal("0.08"),
        effects=tuple(effects),
        rotation=round(rng.uniform(-3.0, 3.0), 2),
    )


def money(value: Decimal, spec: Spec) -> str:
    """An amount as this receipt prints it (comma decimals on some BG receipts)."""
    text = f"{value:.2f}"
    return text.replace(".", ",") if spec.language == "bg" and spec.size % 4 == 0 else text


def date_text(spec: Spec) -> str:
    """The date as this receipt prints it."""
    d = spec.date
    if spec.date_style == "iso":
        return d.isoformat()
    if spec.date_style == "dmy_dot":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if spec.date_style == "dmy_slash":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if spec.date_style == "mdy_slash":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    return f"{d.day:02d} {EN_MONTHS[d.month - 1]} {d.year}"


def lines(spec: Spec) -> list[str]:
    """The receipt's text, line by line (``\\t`` splits a line into left and right parts)."""
    bg = spec.language == "bg"
    out = [spec.header, "ул. Витоша 12, София" if bg else "123 MAIN STREET", ""]
    out.append(f"{'ДАТА' if bg else 'DATE'}: {date_text(spec)}  {spec.time}")
    out.append("")
    for item in spec.items:
        if item.quantity > 1:
            if bg:
                out.append(f"{item.quantity}.000 x {money(item.unit_price, spec)}")
                out.append(f"{item.name}\t{money(item.price, spec)} Б")
            else:
                out.append(f"{item.name}\t{money(item.price, spec)}")
                out.append(f"  {item.quantity} @ {money(item.unit_price, spec)}")
        else:
            out.append(f"{item.name}\t{money(item.price, spec)}{' Б' if bg else ''}")
    total = spec.total
    tax = (total * spec.tax_rate / (1 + spec.tax_rate)).quantize(CENT)
    out.append("")
    if bg:
        out.append(f"ДДС Б = 20,00%\t{money(tax, spec)}")
        out.append(f"ОБЩА СУМА\t{money(total, spec)} {SYMBOL[spec.currency]}")
        paid = (total + Decimal(5)).quantize(Decimal(1))
        out.append(f"В БРОЙ\t{money(paid, spec)}")
        out.append(f"РЕСТО\t{money(paid - total, spec)}")
    else:
        out.append(f"SUBTOTAL\t{money(total - tax, spec)}")
        out.append(f"TAX\t{money(tax, spec)}")
        out.append(f"TOTAL\t{SYMBOL[spec.currency]}{money(total, spec)}")
        paid = (total + Decimal(5)).quantize(Decimal(1))
        out.append(f"CASH\t{money(paid, spec)}")
        out.append(f"CHANGE\t{money(paid - total, spec)}")
    out += ["", "БЛАГОДАРИМ ВИ!" if bg else "THANK YOU!"]
    return out


def render(spec: Spec, rng: random.Random | None = None) -> Image.Image:
    """The receipt as a photo-like RGB image."""
    rng = rng or random.Random(0)
    font = ImageFont.truetype(str(font_dir() / spec.font), spec.size)
    width, pad, step = spec.size * 22, spec.size * 2, int(spec.size * 1.45)
    text = lines(spec)
    image = Image.new("L", (width, pad * 2 + step * len(text)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(text):
        y = pad + row * step
        left, _, right = line.partition("\t")
        if row == 0:
            box = draw.textbbox((0, 0), left, font=font)
            draw.text(((width - (box[2] - box[0])) // 2, y), left, font=font, fill=0)
            continue
        draw.text((pad, y), left, font=font, fill=0)
        if right:
            box = draw.textbbox((0, 0), right, font=font)
            draw.text((width - pad - (box[2] - box[0]), y), right, font=font, fill=0)
    return photographed(image, spec, rng)


def photographed(image: Image.Image, spec: Spec, rng: random.Random) -> Image.Image:
    """Paper look, rotation, noise, blur and compression, as ``spec.effects`` asks."""
    if "thermal" in spec.effects:  # grey-ish paper and faded ink
        image = image.point(lambda v: 70 + v * 165 // 255)
    image = image.rotate(
        spec.rotation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235
    )
    if "noise" in spec.effects:
        noise = Image.effect_noise(image.size, 18).point(lambda v: v - 128)
        image = Image.blend(image, Image.merge("L", [noise]).convert("L"), 0.12)
    if "blur" in spec.effects:
        image = image.filter(ImageFilter.GaussianBlur(0.8))
    image = image.convert("RGB")
    if "jpeg" in spec.effects:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=rng.randint(35, 60))
        buffer.seek(0)
        image = Image.open(buffer).convert("RGB")
    return image


def encoded(spec: Spec, fmt: str = "JPEG", rng: random.Random | None = None) -> bytes:
    """The rendered receipt as file bytes (JPEG by default)."""
    buffer = io.BytesIO()
    render(spec, rng).save(buffer, fmt, quality=90) if fmt == "JPEG" else render(spec, rng).save(
        buffer, fmt
    )
    return buffer.getvalue()
