"""The reconciliation's rules, on the plan alone (reconcile/plan.py): what raw/ holds and what the warehouse records
in, one action per path out. Milliseconds each; tests/test_invariant.py drives the whole loop over random histories."""

from __future__ import annotations

import pytest

from orchestration.domain.families import INDICATORS, OBSERVATIONS, TARGETS
from orchestration.reconcile import plan
from orchestration.reconcile.plan import Action, Folder, Latest, Records, after_checks, plan_family
from orchestration.store.ingest_state import emptying_key

FP = "catalogue-v1"
A, B, C = "observations/a.csv", "observations/b.csv", "observations/c.xlsx"
TABLE = "layouts/c.yaml#v2"


def loaded(sha: str, layout: str | None = None) -> Latest:
    return Latest("loaded", sha, FP, layout)


def kinds(actions: list[Action]) -> dict[str, str]:
    return {a.path: a.kind for a in actions}


def test_an_unchanged_file_is_skipped_and_a_changed_one_read():
    records = Records(latest={A: loaded("a1"), B: loaded("b1")})
    assert kinds(plan_family(OBSERVATIONS, Folder({A: "a1", B: "b2"}), records, FP)) == {A: plan.SKIP, B: plan.READ}


def test_a_new_layout_or_catalogue_names_read_a_table_again():
    records = Records(latest={C: loaded("c1", TABLE)})
    assert kinds(plan_family(OBSERVATIONS, Folder({C: "c1"}, layouts={C: TABLE}), records, FP)) == {C: plan.SKIP}
    assert kinds(plan_family(OBSERVATIONS, Folder({C: "c1"}, layouts={C: "layouts/c.yaml#v3"}), records, FP)) == {C: plan.READ}


def test_a_served_file_that_is_gone_is_withdrawn_with_its_reason():
    records = Records(latest={A: loaded("a1"), B: loaded("b1")})
    actions = plan_family(OBSERVATIONS, Folder({A: "a1"}), records, FP)
    assert actions[-1] == Action(plan.WITHDRAW, B, "b1", note=plan.GONE_REASON)


def test_a_file_being_written_is_deferred_and_its_served_version_stays():
    records = Records(latest={A: loaded("a1"), B: loaded("b1")})
    actions = plan_family(OBSERVATIONS, Folder({A: "a1"}, deferred={B: "modified 2 s ago"}), records, FP)
    assert kinds(actions) == {A: plan.SKIP, B: plan.DEFER}
    assert actions[0].note == "modified 2 s ago"


def test_a_renamed_file_moves_instead_of_a_withdrawal_and_a_new_load():
    records = Records(latest={A: loaded("a1"), B: loaded("b1")})
    actions = plan_family(OBSERVATIONS, Folder({A: "a1", "observations/b-renamed.csv": "b1"}), records, FP)
    assert kinds(actions) == {A: plan.SKIP, "observations/b-renamed.csv": plan.MOVE}
    assert actions[-1].moved_from == B


def test_a_renamed_table_is_read_again_since_its_layout_may_read_it_otherwise():
    records = Records(latest={A: loaded("a1"), C: loaded("c1", TABLE)})
    folder = Folder({A: "a1", "observations/d.xlsx": "c1"}, layouts={"observations/d.xlsx": TABLE})
    assert kinds(plan_family(OBSERVATIONS, folder, records, FP)) == {
        A: plan.SKIP,
        "observations/d.xlsx": plan.READ,
        C: plan.WITHDRAW,
    }


def test_every_fact_file_gone_at_once_is_held_until_a_steward_confirms_exactly_that():
    records = Records(latest={A: loaded("a1"), B: loaded("b1")})
    held = plan_family(OBSERVATIONS, Folder({}), records, FP)
    assert kinds(held) == {A: plan.HOLD_WITHDRAWAL, B: plan.HOLD_WITHDRAWAL}
    assert "make confirm FILE=observations/" in held[0].note
    confirmed = Records(records.latest, confirmed=frozenset({("observations/", emptying_key({A: "a1", B: "b1"}))}))
    assert kinds(plan_family(OBSERVATIONS, Folder({}), confirmed, FP)) == {A: plan.WITHDRAW, B: plan.WITHDRAW}
    other = Records(records.latest, confirmed=frozenset({("observations/", emptying_key({A: "a1"}))}))
    assert kinds(plan_family(OBSERVATIONS, Folder({}), other, FP)) == {A: plan.HOLD_WITHDRAWAL, B: plan.HOLD_WITHDRAWAL}


def test_a_catalogue_file_gone_is_withdrawn_without_a_hold():
    path = "catalogue/indicators.csv"
    assert kinds(plan_family(INDICATORS, Folder({}), Records(latest={path: loaded("i1")}), FP)) == {path: plan.WITHDRAW}


def test_a_refused_path_is_recorded_once():
    folder = Folder({}, refused={A: "symbolic links are not read"})
    first = plan_family(OBSERVATIONS, folder, Records(), FP)
    assert first == [
        Action(plan.REFUSE_PATH, A, plan.refused_path_hash("symbolic links are not read"), "symbolic links are not read")
    ]
    records = Records(latest={A: Latest("quarantined", first[0].sha256, FP, None)})
    assert kinds(plan_family(OBSERVATIONS, folder, records, FP)) == {A: plan.SKIP}


def test_a_refused_file_stays_refused_until_it_or_what_it_was_checked_against_changes():
    records = Records(latest={A: Latest("quarantined", "a1", FP, None)})
    still = plan_family(OBSERVATIONS, Folder({A: "a1"}), records, FP)
    assert still == [Action(plan.STILL_REFUSED, A, "a1", note=plan.UNCHANGED_SINCE_REFUSED)]
    assert kinds(plan_family(OBSERVATIONS, Folder({A: "a1"}), records, "catalogue-v2")) == {A: plan.READ}
    assert kinds(plan_family(OBSERVATIONS, Folder({A: "a2"}), records, FP)) == {A: plan.READ}


def test_a_held_version_stays_held_until_confirmed():
    records = Records(latest={A: loaded("a1")}, held={A: ("a2", False, None)})
    actions = plan_family(OBSERVATIONS, Folder({A: "a2"}), records, FP)
    assert kinds(actions) == {A: plan.STILL_HELD} and "make confirm FILE=observations/a.csv" in actions[0].note
    confirmed = Records(records.latest, held={A: ("a2", True, None)})
    assert kinds(plan_family(OBSERVATIONS, Folder({A: "a2"}), confirmed, FP)) == {A: plan.READ}


def test_a_refused_reading_of_a_table_keeps_the_accepted_one_until_confirmed():
    records = Records(latest={C: loaded("c1", TABLE)}, kept={C: ("c2", FP, TABLE)})
    folder = Folder({C: "c2"}, layouts={C: TABLE})
    assert plan_family(OBSERVATIONS, folder, records, FP) == [Action(plan.STILL_REFUSED, C, "c2", keeps_served=True)]
    confirmed = Records(records.latest, kept=records.kept, confirmed=frozenset({(C, "c2")}))
    assert kinds(plan_family(OBSERVATIONS, folder, confirmed, FP)) == {C: plan.READ}


def test_a_file_two_layouts_match_is_refused_and_a_served_table_kept():
    folder = Folder({C: "c2"}, layouts={C: ("layouts/one.yaml", "layouts/two.yaml")})
    fresh = plan_family(OBSERVATIONS, folder, Records(), FP)
    assert (fresh[0].kind, fresh[0].keeps_served) == (plan.REFUSE_AMBIGUOUS, False)
    assert "layouts/one.yaml, layouts/two.yaml" in fresh[0].note
    served = plan_family(OBSERVATIONS, folder, Records(latest={C: loaded("c1", TABLE)}), FP)
    assert (served[0].kind, served[0].keeps_served) == (plan.REFUSE_AMBIGUOUS, True)


@pytest.mark.parametrize(
    ("family", "path", "latest", "refused", "through_layout", "shrinks", "confirmed", "expected"),
    [
        (OBSERVATIONS, A, None, False, False, False, False, (plan.COMMIT, False)),
        (OBSERVATIONS, A, loaded("a1"), True, False, False, False, (plan.QUARANTINE, False)),  # a CSV serves nothing
        (OBSERVATIONS, C, loaded("c1", TABLE), True, True, False, False, (plan.QUARANTINE, True)),
        (OBSERVATIONS, C, loaded("c1", TABLE), True, False, False, False, (plan.QUARANTINE, True)),  # its layout gone
        (OBSERVATIONS, C, loaded("c1", TABLE), True, True, False, True, (plan.QUARANTINE, False)),
        (OBSERVATIONS, C, None, True, True, False, False, (plan.QUARANTINE, False)),  # nothing served to keep
        (OBSERVATIONS, A, loaded("a1"), False, False, True, False, (plan.HOLD, False)),
        (OBSERVATIONS, A, loaded("a1"), False, False, True, True, (plan.COMMIT, False)),
        (TARGETS, "targets/t.csv", loaded("t1"), False, False, True, False, (plan.HOLD, False)),
        (INDICATORS, "catalogue/indicators.csv", loaded("i1"), False, False, True, False, (plan.COMMIT, False)),
    ],
)
def test_after_its_checks_a_file_is_committed_quarantined_or_held(
    family, path, latest, refused, through_layout, shrinks, confirmed, expected
):
    records = Records(latest={path: latest} if latest else {}, confirmed=frozenset({(path, "new")}) if confirmed else frozenset())
    assert after_checks(family, records, path, "new", refused, through_layout, shrinks) == expected


def test_only_a_new_version_of_a_served_fact_file_is_measured_against_the_shrink_guard():
    records = Records(latest={A: loaded("a1"), "catalogue/indicators.csv": loaded("i1")})
    assert plan.replaces_served(OBSERVATIONS, records, A)
    assert not plan.replaces_served(OBSERVATIONS, records, B)
    assert not plan.replaces_served(INDICATORS, records, "catalogue/indicators.csv")
