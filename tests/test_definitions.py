"""The Dagster code location: what `dagster dev` loads, and the schedule and sensor it runs."""

import os
import subprocess
import time

import dagster as dg
from conftest import write_obs

from orchestration.definitions import defs
from orchestration.defs.automation import raw_files_sensor
from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.settings import SETTLE_SECONDS_ENV


def test_code_location_loads_with_the_whole_graph():
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    ingest = {"raw/regions", "raw/indicators", "raw/sources", "raw/observations", "raw/targets"}
    marts = {
        "marts/dim_indicator",
        "marts/dim_region",
        "marts/dim_source",
        "marts/fct_observation",
        "marts/fct_observation_vintage",
        "marts/fct_target",
        "marts/mart_indicator_progress",
        "marts/mart_decade_change",
    }
    assert ingest | marts <= keys
    # dbt sources are the ingest assets themselves, not separate external assets.
    # (the catalogue's split indicators and release times are read beside the figures)
    assert graph.get(dg.AssetKey(["staging", "stg_observations"])).parent_keys == {
        dg.AssetKey(["raw", "observations"]),
        dg.AssetKey(["staging", "stg_indicators"]),
        dg.AssetKey(["staging", "stg_sources"]),
    }
    assert dg.AssetKey(["raw", "regions"]) in graph.get(dg.AssetKey(["raw", "observations"])).parent_keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw/observations", "all_files_accepted") in checks
    assert (
        "marts/fct_observation",
        "unique_combination_of_columns_fct_observation_indicator_code__region_code__period_label__breakdown",
    ) in checks
    assert len(checks) >= 60


def test_daily_schedule_in_beijing_time():
    schedule = defs.get_schedule_def("daily_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 6 * * *",
        "Asia/Shanghai",
        "refresh_warehouse",
    )


def test_sensor_requests_a_run_only_when_raw_files_change(raw_copy, tmp_path):
    resources = {"raw_files": RawFilesResource(root=str(raw_copy)), "warehouse": WarehouseResource(data_dir=str(tmp_path))}
    # The first evaluation (when `make dev` opens) notes the files and starts nothing.
    opening = dg.build_sensor_context(cursor=None, resources=resources)
    first = raw_files_sensor(opening)
    assert isinstance(first, dg.SkipReason) and "noted the files" in first.skip_message
    noted = opening.cursor
    assert noted

    context = dg.build_sensor_context(cursor=noted, resources=resources)
    assert isinstance(raw_files_sensor(context), dg.SkipReason)

    write_obs(raw_copy, "new-publication.csv", "330800,GDP,2023,2100,亿元,level,normal,exact,2100亿元,zjrb-2022-quzhou-decade,")
    changed = dg.build_sensor_context(cursor=noted, resources=resources)
    third = raw_files_sensor(changed)
    assert isinstance(third, dg.RunRequest) and third.run_key == changed.cursor != noted


def test_sensor_waits_for_a_file_being_written_to_settle(raw_copy, tmp_path, monkeypatch):
    """A refresh requested while a copy is under way would defer the file: the sensor waits until it settles."""
    monkeypatch.setenv(SETTLE_SECONDS_ENV, "60")
    resources = {"raw_files": RawFilesResource(root=str(raw_copy)), "warehouse": WarehouseResource(data_dir=str(tmp_path))}
    for path in (p for p in raw_copy.rglob("*") if p.is_file()):  # a fresh clone's files are seconds old too
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    opening = dg.build_sensor_context(cursor=None, resources=resources)
    raw_files_sensor(opening)
    path = write_obs(raw_copy, "arriving.csv", "330800,GDP,2023,2100,亿元,level,normal,exact,2100亿元,zjrb-2022-quzhou-decade,")
    waiting = raw_files_sensor(dg.build_sensor_context(cursor=opening.cursor, resources=resources))
    assert isinstance(waiting, dg.SkipReason) and "observations/arriving.csv" in waiting.skip_message
    os.utime(path, (time.time() - 120, time.time() - 120))
    assert isinstance(raw_files_sensor(dg.build_sensor_context(cursor=opening.cursor, resources=resources)), dg.RunRequest)


def test_mart_contract_doc_matches_the_dbt_yaml():
    from orchestration.dbt_tools.contract_doc import CONTRACT, render

    assert CONTRACT.read_text(encoding="utf-8") == render(), "run: python -m orchestration.dbt_tools.contract_doc"


def test_every_asset_has_an_owner_and_checks_state_their_rule():
    graph = defs.get_repository_def().asset_graph
    owners = {k.to_user_string(): graph.get(k).owners for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert owners["raw/observations"] == ["team:warehouse"]
    assert owners["marts/mart_indicator_progress"] == ["team:warehouse"]
    assert owners["serving/marts_snapshot"] == ["team:bi"]
    assert owners["reports/quality_report"] == ["team:data-stewards"]
    assert all(owners.values()), [k for k, v in owners.items() if not v]
    ingest = defs.get_assets_def(dg.AssetKey(["raw", "observations"]))
    specs = list(ingest.check_specs)
    assert {s.name for s in specs} == {"all_files_accepted", "no_file_withdrawn"}
    assert all(s.description.startswith("Rule:") for s in specs)  # the rule, not an outcome it may not have


def test_dbt_accepted_values_repeat_the_file_families_vocabularies_exactly():
    """A vocabulary is declared once, in orchestration/domain/families.py; where the dbt YAML tests the same column's
    values, its list must be that vocabulary, so the two cannot drift apart."""
    import yaml

    from orchestration import settings
    from orchestration.domain.families import ALL_FAMILIES

    vocabularies = {c.name: set(c.allowed) for f in ALL_FAMILIES for c in f.columns if c.allowed}
    checked = []
    for path in sorted((settings.DBT_PROJECT_DIR / "models").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if isinstance(test, dict) and "accepted_values" in test and column["name"] in vocabularies:
                        values = set(test["accepted_values"]["arguments"]["values"])
                        assert values == vocabularies[column["name"]], (model["name"], column["name"])
                        checked.append(column["name"])
    assert {"value_type", "direction", "comparator", "binding", "trend_method", "comparator_provenance"} <= set(checked)


def test_the_domain_core_imports_no_dagster():
    """Parsing, validation, the warehouse, serving and the report are plain Python: only the code location
    (definitions.py, defs/) and the refresh command that runs it import Dagster."""
    import ast

    from orchestration import settings

    package = settings.REPO_ROOT / "orchestration"
    glue = {package / "definitions.py", package / "commands" / "refresh.py"}
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path in glue or package / "defs" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.relative_to(package)}: {n}" for n in names if n.split(".")[0].startswith("dagster")]
    assert offenders == []


def test_the_dbt_resource_overrides_a_private_name_dagster_dbt_still_uses():
    """DbtResource replaces one private method of dagster-dbt's DbtCliResource (orchestration/defs/resources.py
    says why: ~2.4 s per refresh). Private names can change in any release; if this one does, the override stops
    applying without an error and the time comes back. This fails first. The version dagster-dbt asks for comes
    from qz-dbt, through dagster-dbt's own public path, as the version of the dbt qz-dbt runs."""
    import inspect
    from importlib.metadata import version

    from dagster_dbt import DbtCliResource

    from orchestration import settings
    from orchestration.defs.resources import DbtResource

    assert inspect.isfunction(inspect.getattr_static(DbtCliResource, "_initialize_dbt_core_adapter"))
    assert "self._initialize_dbt_core_adapter(" in inspect.getsource(DbtCliResource.cli)
    ours = DbtResource(project_dir=str(settings.DBT_PROJECT_DIR), dbt_executable=settings.dbt_executable())
    assert ours._initialize_dbt_core_adapter([]) is None
    answered = subprocess.run([settings.dbt_executable(), "--version"], capture_output=True, text=True, check=True)
    real = subprocess.run([settings.real_dbt_executable(), "--version"], capture_output=True, text=True, check=True)
    assert version("dbt-core") in answered.stdout.splitlines()[1] and version("dbt-core") in real.stdout


def test_qz_dbt_hands_the_data_folder_to_dbt_as_qz_data_dir(tmp_path):
    """The dbt resource passes the data folder as qz-dbt's first argument (global_config_flags): dbt sees it as
    QZ_DATA_DIR, the flag never reaches dbt, and the refresh's own environment is left alone."""
    import subprocess

    from orchestration import settings
    from orchestration.definitions import build_definitions

    flags = build_definitions(tmp_path / "data", tmp_path / "raw").resources["dbt"].global_config_flags
    assert flags == [f"--qz-data-dir={(tmp_path / 'data').resolve()}"]
    env = {k: v for k, v in os.environ.items() if k != settings.DATA_DIR_ENV} | {"QZ_DBT": "/usr/bin/env"}
    out = subprocess.run(
        [settings.dbt_executable(), *flags, "printenv", settings.DATA_DIR_ENV],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str((tmp_path / "data").resolve())
    assert os.environ.get(settings.DATA_DIR_ENV) != str((tmp_path / "data").resolve())
