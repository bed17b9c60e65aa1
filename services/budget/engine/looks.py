"""Icon (Material name) and color per plan category, shared by the dashboard's two halves."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from services.budget.engine import categories as cat

DEFAULT_LOOK: Final = ("receipt", "#607D8B")
# Icon (Material name) and color per plan category; fine transaction names use their roll-up.
LOOKS: Final = MappingProxyType(
    {
        cat.HOUSING: ("home", "#5C6BC0"),
        cat.UTILITIES: ("bolt", "#FFA726"),
        cat.INSURANCE: ("shield", "#78909C"),
        cat.SAVINGS: ("savings", "#43A047"),
        cat.FOOD: ("restaurant", "#EF5350"),
        cat.TRANSPORTATION: ("directions_car", "#29B6F6"),
        cat.HEALTHCARE: ("local_hospital", "#EC407A"),
        cat.EDUCATION: ("school", "#7E57C2"),
        cat.SHOPPING: ("shopping_bag", "#AB47BC"),
        cat.ENTERTAINMENT: ("movie", "#FF7043"),
        cat.TRAVEL: ("flight", "#26A69A"),
        cat.OTHER: ("category", "#8D6E63"),
    }
)


def look(category: str) -> tuple[str, str]:
    """(icon, color) of a plan or transaction category (a neutral pair when unknown)."""
    name = category.strip().lower()
    plan = name if name in cat.PLAN_CATEGORIES else cat.ROLLUP.get(name, name)
    return LOOKS.get(plan, DEFAULT_LOOK)
