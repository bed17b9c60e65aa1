"""How the insights service runs (see ``shared.bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, ConsumerSpec, JobSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The insights HTTP app."""
    from services.insights.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The insights write model."""
    from services.insights.application import InsightsApplication

    return InsightsApplication


def projection(name: str) -> ConsumerSpec:
    """The consumer spec of one insights read model (classes in ``read.projections``)."""

    def build(settings: MitaSettings) -> Consumer:
        from services.insights.read import projections

        classes = {
            c.name: c
            for c in (
                projections.SpendingProjection,
                projections.InsightUsersProjection,
                projections.MoodsProjection,
                projections.UsageProjection,
                projections.ClusterModelProjection,
                projections.BehaviorSettingsProjection,
                projections.SnapshotsProjection,
            )
        }
        return classes[name](settings.schema_for("insights"))

    return ConsumerSpec(name, "insights", build)


async def refit_clusters(settings: MitaSettings) -> str:
    """Refit the behavioural clusters and store the model when it changed."""
    from services.insights.clusters import TooFewUsers
    from services.insights.refit import refit

    try:
        model, position = await refit(settings)
    except TooFewUsers as exc:
        return f"skipped: {exc}"
    return f"{len(model.sizes)} cluster(s), {'stored' if position else 'unchanged'}"


def register_events() -> None:
    """Declare the insights service's event types."""
    # Importing the domain modules registers their events.
    import services.insights.domain
    import services.insights.reports  # noqa: F401


BOOTSTRAP = Bootstrap(
    "insights",
    create_app,
    application,
    tuple(
        projection(n)
        for n in (
            "insights_spending",
            "insights_users",
            "insights_moods",
            "insights_usage",
            "insights_cluster_model",
            "insights_behavior_settings",
            "insights_snapshots",
        )
    ),
    register_events,
    (JobSpec("insights_refit", 86400, refit_clusters),),
)
