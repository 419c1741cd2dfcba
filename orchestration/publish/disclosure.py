"""What the differencing check holds before a publication (quality.qa_disclosure): the confidential figures the free
ones give away that no steward has confirmed, and the steward's confirmation (make confirm-disclosure).

A confirmation is for one figure at one value: a new value of the same figure is held again."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.domain import clock
from orchestration.store.disclosures import DERIVABLE_SQL
from orchestration.store.warehouse import Warehouse


@dataclass(frozen=True)
class Derivable:
    indicator_code: str
    region_code: str
    period_label: str
    breakdown: str
    value: float | None
    derivation: str
    derived_from: str

    def describe(self) -> str:
        part = "" if self.breakdown == "_T" else f" {self.breakdown}"
        return f"{self.region_code} · {self.indicator_code}{part} · {self.period_label}: {self.derivation}, {self.derived_from}"


def held_figures(warehouse: Warehouse) -> list[Derivable]:
    """The confidential figures that would be given away and are not confirmed; none when the check has not run."""
    with warehouse.session() as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'quality' and table_name = 'qa_disclosure'"
        ).fetchone()[0]
        if not exists:
            return []
        held = con.execute(f"select * exclude (confirmed) from ({DERIVABLE_SQL}) where not confirmed order by all")
        return [Derivable(*row) for row in held.fetchall()]


def confirm_all(warehouse: Warehouse, by: str, note: str | None) -> list[Derivable]:
    """Record the steward's confirmation of every figure held now; returns them."""
    held = held_figures(warehouse)
    with warehouse.session() as con:
        con.executemany(
            "insert into audit.disclosure_confirmations values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(d.indicator_code, d.region_code, d.period_label, d.breakdown, d.value, clock.now_utc(), by, note) for d in held],
        )
    return held
