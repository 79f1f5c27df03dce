"""The report's words in Dutch and English, and numbers and dates in each language's form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from services.reports.data import CHANGE_FIGURES, KPIS, ReportData

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Servicerapportage",
        "subtitle": "Tactisch overleg opdrachtgever en leverancier",
        "tenant": "Opdrachtgever",
        "month": "Maand",
        "agreement": "Versie van de afspraken",
        "default_agreement": "standaard-SLA",
        "kpi": "Indicator",
        "value": "Waarde",
        "norm": "Norm",
        "met": "Gehaald",
        "yes": "gehaald",
        "no": "niet gehaald",
        "none": "geen",
        "response": "Reactietijd binnen norm (%)",
        "restore_platform": "Functiehersteltijd platform binnen norm (%)",
        "restore_application": "Functiehersteltijd applicatie binnen norm (%)",
        "availability": "Beschikbaarheid (%)",
        "tickets_opened": "Meldingen geopend",
        "tickets_resolved": "Meldingen opgelost",
        "backlog": "Openstaand aan het eind van de maand",
        "twelve_months": "De afgelopen twaalf maanden",
        "counts": "Aantallen",
        "by_type": "Meldingen per soort",
        "by_priority": "Meldingen per prioriteit",
        "type": "Soort",
        "priority": "Prioriteit",
        "count": "Aantal",
        "other_figures": "Overige cijfers",
        "mean_restore_hours": "Gemiddelde hersteltijd (uur)",
        "p90_restore_hours": "Hersteltijd, 90e percentiel (uur)",
        "first_line_resolution_pct": "Opgelost door de eerste lijn (%)",
        "reopen_pct": "Heropend (%)",
        "evidence": "Bewijs-hash",
        "generated": "Gemaakt op",
        "page": "Pagina",
        "months_sheet": "Maanden",
        "counts_sheet": "Aantallen",
        "record": "Regel",
        "kpi_record": "kpi",
        "count_record": "aantal",
        "improvement_record": "verbetering",
        "improvements": "Verbeterregister",
        "improvements_sheet": "Verbeterregister",
        "register_as_of": "De stand van het verbeterregister toen de rapportage werd gemaakt.",
        "by_status": "Verbeteringen per status",
        "status": "Status",
        "ordered_backlog": "De backlog in de volgorde van de product owner",
        "rank": "Rang",
        "item_title": "Verbetering",
        "baseline": "Nulmeting",
        "target": "Doel",
        "owner": "Eigenaar",
        "proposed": "voorgesteld",
        "accepted": "geaccepteerd",
        "planned": "gepland",
        "in-progress": "in uitvoering",
        "realised": "gerealiseerd",
        "evaluated": "geëvalueerd",
        "rejected": "afgewezen",
        "withdrawn": "ingetrokken",
        "change_success_pct": "Wijzigingen geslaagd (%)",
        "emergency_change_pct": "Spoedwijzigingen (%)",
        "changes_causing_incidents_pct": "Wijzigingen die incidenten veroorzaakten (%)",
        "change_lead_time_hours": "Gemiddelde doorlooptijd wijziging, aanvraag tot invoering (uur)",
    },
    "en": {
        "title": "Service level report",
        "subtitle": "Tactical consultation of client and supplier",
        "tenant": "Client",
        "month": "Month",
        "agreement": "Agreement version",
        "default_agreement": "default SLA",
        "kpi": "Indicator",
        "value": "Value",
        "norm": "Norm",
        "met": "Met",
        "yes": "met",
        "no": "not met",
        "none": "none",
        "response": "Response within target (%)",
        "restore_platform": "Platform restore within target (%)",
        "restore_application": "Application restore within target (%)",
        "availability": "Availability (%)",
        "tickets_opened": "Tickets opened",
        "tickets_resolved": "Tickets resolved",
        "backlog": "Open at the end of the month",
        "twelve_months": "The last twelve months",
        "counts": "Counts",
        "by_type": "Tickets by type",
        "by_priority": "Tickets by priority",
        "type": "Type",
        "priority": "Priority",
        "count": "Count",
        "other_figures": "Other figures",
        "mean_restore_hours": "Mean restore time (hours)",
        "p90_restore_hours": "Restore time, 90th percentile (hours)",
        "first_line_resolution_pct": "Resolved by the first line (%)",
        "reopen_pct": "Reopened (%)",
        "evidence": "Evidence hash",
        "generated": "Generated at",
        "page": "Page",
        "months_sheet": "Months",
        "counts_sheet": "Counts",
        "record": "Record",
        "kpi_record": "kpi",
        "count_record": "count",
        "improvement_record": "improvement",
        "improvements": "Improvement register",
        "improvements_sheet": "Improvements",
        "register_as_of": "The improvement register as it stood when the report was made.",
        "by_status": "Improvements by status",
        "status": "Status",
        "ordered_backlog": "The backlog in the product owner's order",
        "rank": "Rank",
        "item_title": "Improvement",
        "baseline": "Baseline",
        "target": "Target",
        "owner": "Owner",
        "proposed": "proposed",
        "accepted": "accepted",
        "planned": "planned",
        "in-progress": "in progress",
        "realised": "realised",
        "evaluated": "evaluated",
        "rejected": "rejected",
        "withdrawn": "withdrawn",
        "change_success_pct": "Changes successful (%)",
        "emergency_change_pct": "Emergency changes (%)",
        "changes_causing_incidents_pct": "Changes that caused incidents (%)",
        "change_lead_time_hours": "Mean change lead time, request to implementation (hours)",
    },
}
EXTRA = ("mean_restore_hours", "p90_restore_hours", "first_line_resolution_pct", "reopen_pct")
assert all(k in WORDS["nl"] and k in WORDS["en"] for k in (*KPIS, *EXTRA, *CHANGE_FIGURES))


def other_figures(data: ReportData) -> list[tuple[str, float | None]]:
    """The month's other figures by name: the ticket figures, then the change figures when
    the month's KPI figures count changes."""
    found: list[tuple[str, float | None]] = [(name, getattr(data, name)) for name in EXTRA]
    return found + list((data.changes or {}).items())


class Labels:
    """Words and formatting of one language."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = LOCALES[language]
        self.words = WORDS[language]

    def __getitem__(self, key: str) -> str:
        return self.words.get(key, key)

    def number(self, value: float | None, digits: int = 1) -> str:
        """A figure with `digits` decimals in the language's form; the word for none if None."""
        if value is None:
            return self["none"]
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale)

    def month(self, month: date) -> str:
        return format_date(month, "MMMM yyyy", locale=self.locale)

    def short_month(self, month: date) -> str:
        return format_date(month, "MMM yy", locale=self.locale)

    def moment(self, moment: datetime) -> str:
        return format_datetime(moment, "d MMMM yyyy HH:mm", tzinfo=AMSTERDAM, locale=self.locale)

    def met(self, value: float | None, norm: float) -> str:
        if value is None:
            return self["none"]
        return self["yes"] if value >= norm else self["no"]

    def agreement(self, version: str) -> str:
        return self["default_agreement"] if version == "default" else version
