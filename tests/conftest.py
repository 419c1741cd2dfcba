import os
import shutil
from pathlib import Path

import pytest

from orchestration import settings

REPO_RAW = settings.REPO_ROOT / "raw"


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A private copy of raw/ that a test may add bad files to."""
    target = tmp_path / "raw"
    shutil.copytree(REPO_RAW, target)
    return target


@pytest.fixture(scope="module")
def restore_environ():
    """The dbt asset exports QZ_DATA_DIR for its subprocess; keep that out of other tests."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


OBS_HEADER = "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"


def write_obs(raw: Path, name: str, *rows: str) -> Path:
    path = raw / "observations" / name
    path.write_text(OBS_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path
