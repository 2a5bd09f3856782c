"""Demo workspaces: the 2017 parking pilot as it happened (Gent, Kortrijk, Leuven and Sint-Niklaas published
first, the others followed or are on their way), and a later pilot in progress."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from pilots.extensions import db
from pilots.models import Challenge, MilestoneStatus, Pilot, PilotStatus, Stage, StageChange
from pilots.services import accounts, cities, workspaces
from pilots.services.workspaces import DatasetData, MilestoneData, PilotData
from pilots.vocabularies import LICENCE_MODELLICENTIE

PARKING_PUBLISHED = {
    "gent": date(2017, 11, 6),
    "kortrijk": date(2017, 11, 20),
    "leuven": date(2017, 12, 4),
    "sint-niklaas": date(2017, 12, 18),
}
PARKING_LATER = {
    "antwerpen": (Stage.PUBLISHED, date(2018, 6, 1)),
    "brugge": (Stage.PUBLISHED, date(2018, 9, 3)),
    "mechelen": (Stage.PUBLISHING, date(2019, 2, 1)),
    "hasselt": (Stage.COMMITTED, date(2018, 3, 1)),
    "oostende": (Stage.INTERESTED, date(2018, 1, 15)),
}
PARKING_URLS = {
    "gent": "https://data.stad.gent/api/parkings/realtime",
    "kortrijk": "https://opendata.kortrijk.be/parking/realtime",
    "leuven": "https://data.leuven.be/parking/realtime",
    "sint-niklaas": "https://data.sint-niklaas.be/parking/realtime",
    "antwerpen": "https://datasets.antwerpen.be/parking/realtime",
    "brugge": "https://data.brugge.be/parking/realtime",
}


def _pilot_for(title_fragment: str) -> Pilot | None:
    return db.session.scalar(
        select(Pilot).join(Challenge, Challenge.id == Pilot.challenge_id).where(Challenge.title.contains(title_fragment))
    )


def _stage(pilot: Pilot, slug: str, stage: Stage, on: date) -> None:
    """Demo history: the stage and the date it was reached (in the past, so set directly)."""
    city = cities.get_city_by_slug(slug)
    participation = next((p for p in pilot.participants if p.city_id == city.id), None)
    if participation is None:
        participation = workspaces._add_participation(
            pilot, city.id, workspaces.ParticipantRole.PARTICIPANT, accepted=True, stage=Stage.INTERESTED
        )
        participation.stage_changes[0].changed_on = date(on.year, 1, 1) if on.month > 1 else on
    participation.accepted = True
    if participation.stage is not stage:
        participation.stage = stage
        participation.stage_changes.append(StageChange(stage=stage, changed_on=on))
    workspaces._add_city_rows(pilot, participation)


def seed_workspaces() -> int:
    steering = accounts.find_user_by_email("steering@demo.local")
    lead = accounts.find_user_by_email("lead@demo.local")
    parking = _pilot_for("parkeergarages")
    if steering is None or lead is None or parking is None or parking.milestones:
        return 0
    made = 0
    # --- the 2017 parking pilot -------------------------------------------------------------------------
    workspaces.update_pilot(
        steering,
        parking.id,
        PilotData(
            title="Realtime open parkeerdata",
            lead_city_id=parking.lead_city_id,
            status=PilotStatus.ACTIVE,
            goal="Elke centrumstad publiceert de **realtime bezetting van haar parkeergarages** als Linked Open Data "
            "(DATEX II), met historiek en een DCAT-beschrijving, zodat routeplanners ze zonder API-sleutel kunnen gebruiken.",
            start_date=date(2017, 7, 1),
            end_date=date(2018, 12, 31),
        ),
        parking.version,
    )
    workspaces.add_lead(steering, parking.id, lead.email)
    for slug, on in PARKING_PUBLISHED.items():
        _stage(parking, slug, Stage.PUBLISHED, on)
    for slug, (stage, on) in PARKING_LATER.items():
        _stage(parking, slug, stage, on)
    db.session.commit()
    model = workspaces.add_milestone(
        lead,
        parking.id,
        MilestoneData(
            "Gedeeld datamodel: DATEX II als Linked Data",
            date(2017, 9, 30),
            "Afspraken over URI's, licentie en caching.",
            start_date=date(2017, 7, 1),
        ),
    )
    publish = workspaces.add_milestone(
        lead,
        parking.id,
        MilestoneData(
            "Elke stad publiceert haar realtime parkeerdata",
            date(2018, 6, 30),
            start_date=date(2017, 10, 1),
            per_city=True,
            weight=3,
        ),
    )
    history = workspaces.add_milestone(
        lead,
        parking.id,
        MilestoneData("Historiek publiceren in fragmenten (hydra)", date(2026, 12, 31), start_date=date(2018, 1, 1), weight=2),
    )
    catalogue = workspaces.add_milestone(
        lead, parking.id, MilestoneData("DCAT-catalogus van de parkeerdatasets", date(2018, 3, 31), start_date=date(2018, 1, 1))
    )
    workspaces.set_milestone_status(lead, parking.id, model.id, MilestoneStatus.DONE, completed_on=date(2017, 9, 22))
    workspaces.set_milestone_status(lead, parking.id, catalogue.id, MilestoneStatus.DONE, completed_on=date(2018, 3, 20))
    workspaces.set_milestone_status(lead, parking.id, history.id, MilestoneStatus.IN_PROGRESS)
    done_on = {**PARKING_PUBLISHED, "antwerpen": date(2018, 6, 1), "brugge": date(2018, 9, 3)}
    for slug, on in done_on.items():
        city = cities.get_city_by_slug(slug)
        workspaces.set_milestone_status(lead, parking.id, publish.id, MilestoneStatus.DONE, city_id=city.id, completed_on=on)
    mechelen = cities.get_city_by_slug("mechelen")
    workspaces.set_milestone_status(
        lead,
        parking.id,
        publish.id,
        MilestoneStatus.BLOCKED,
        city_id=mechelen.id,
        reason="Wacht op de nieuwe concessie van de parkeerbeheerder.",
    )
    for slug, url in PARKING_URLS.items():
        city = cities.get_city_by_slug(slug)
        workspaces.add_dataset(
            lead,
            parking.id,
            city.id,
            DatasetData(
                title_nl=f"Realtime bezetting parkeergarages {city.name}",
                title_en=f"Real-time car park occupancy {city.name}",
                description_nl="Vrije en totale plaatsen per parkeergarage, elke minuut bijgewerkt; historiek in pagina's.",
                description_en="Free and total spaces per car park, updated every minute; history in pages.",
                access_url=url,
                contact_email=f"opendata@{slug}.be",
                theme="TRAN",
                file_type="RDF_TURTLE",
                licence=LICENCE_MODELLICENTIE,
                conforms_to="DATEX II",
                frequency="CONT",
                realtime=True,
                keywords="parkeren, realtime, DATEX II",
                issued=done_on[slug],
            ),
        )
    _demo_checks(parking)
    made += 1
    # --- a later pilot in progress ------------------------------------------------------------------------
    later = _pilot_for("Verkeersveiligheid") or _pilot_for("Geluidsoverlast")
    if later is not None and not later.milestones:
        workspaces.update_pilot(
            steering,
            later.id,
            PilotData(
                title=later.title,
                goal=later.goal,
                lead_city_id=later.lead_city_id,
                status=PilotStatus.ACTIVE,
                start_date=date(2026, 1, 15),
                end_date=date(2027, 6, 30),
            ),
            later.version,
        )
        workspaces.add_lead(steering, later.id, lead.email)
        kickoff = workspaces.add_milestone(lead, later.id, MilestoneData("Startworkshop met de steden", date(2026, 2, 15)))
        workspaces.set_milestone_status(lead, later.id, kickoff.id, MilestoneStatus.DONE, completed_on=date(2026, 2, 12))
        workspaces.add_milestone(
            lead,
            later.id,
            MilestoneData(
                "Inventaris van snelheidsmetingen per stad",
                date(2026, 9, 30),
                start_date=date(2026, 3, 1),
                per_city=True,
                weight=2,
            ),
        )
        workspaces.add_milestone(
            lead,
            later.id,
            MilestoneData("Gedeeld datamodel schoolomgevingen (OSLO)", date(2027, 3, 31), start_date=date(2026, 6, 1), weight=2),
        )
        made += 1
    return made


def _demo_checks(pilot: Pilot) -> None:
    """Demo history of conformance checks (the demo URLs are not reachable from here): most parking endpoints
    passed, two missed a principle, as in the programme's early validator runs."""
    from datetime import UTC, datetime

    from pilots.conformance.report import CHECK_IDS
    from pilots.models import DatasetCheck

    failing = {
        "brugge": ("cors", "no Access-Control-Allow-Origin header"),
        "antwerpen": ("caching", "no Cache-Control max-age and no ETag"),
    }
    for dataset in pilot.datasets:
        broken = failing.get(dataset.city.slug)
        checks = [
            {
                "id": check,
                "result": "fail" if broken and broken[0] == check else "pass",
                "evidence": broken[1] if broken and broken[0] == check else "ok",
            }
            for check in CHECK_IDS
        ]
        when = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
        report = {
            "url": dataset.access_url,
            "final_url": dataset.access_url,
            "checked_at": when.isoformat(),
            "passed": broken is None,
            "refused": None,
            "checks": checks,
        }
        dataset.checks.append(DatasetCheck(checked_at=when, passed=broken is None, report=report))
    db.session.commit()
