"""Icon (Material name) and color per plan category, shared by the dashboard's two halves."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from services.budget.engine import categories as cat

#: The icon names the app's dashboard maps to Flutter icons (api_service.dart:956-965);
#: any other name shows as the generic "category" icon, so only these are sent.
APP_ICONS: Final = frozenset(
    {
        "restaurant",
        "directions_car",
        "movie",
        "shopping_bag",
        "local_hospital",
        "power",
        "category",
        "attach_money",
    }
)
DEFAULT_LOOK: Final = ("category", "#607D8B")
# Icon and color (#RRGGBB, what the app parses) per plan category; fine names use their
# roll-up. Categories the app has no icon for share "category" and differ by color.
LOOKS: Final = MappingProxyType(
    {
        cat.HOUSING: ("category", "#5C6BC0"),
        cat.UTILITIES: ("power", "#FFA726"),
        cat.INSURANCE: ("category", "#78909C"),
        cat.SAVINGS: ("attach_money", "#43A047"),
        cat.FOOD: ("restaurant", "#EF5350"),
        cat.TRANSPORTATION: ("directions_car", "#29B6F6"),
        cat.HEALTHCARE: ("local_hospital", "#EC407A"),
        cat.EDUCATION: ("category", "#7E57C2"),
        cat.SHOPPING: ("shopping_bag", "#AB47BC"),
        cat.ENTERTAINMENT: ("movie", "#FF7043"),
        cat.TRAVEL: ("category", "#26A69A"),
        cat.OTHER: ("category", "#8D6E63"),
    }
)


def look(category: str) -> tuple[str, str]:
    """(icon, color) of a plan or transaction category (a neutral pair when unknown)."""
    name = category.strip().lower()
    plan = name if name in cat.PLAN_CATEGORIES else cat.ROLLUP.get(name, name)
    return LOOKS.get(plan, DEFAULT_LOOK)
