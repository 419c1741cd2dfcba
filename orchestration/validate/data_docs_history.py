"""Great Expectations Data Docs that keep their history and name their files.

GX's site builder keeps one validation page per suite (an ephemeral context knows only its own process's runs), so
an older report's link to the validation behind a quarantine would be dead, and a page validates a batch of several
files without naming them. After each validation this copies the page GX wrote into `history/<suite>/`, with a
banner naming every file of the batch and whether each passed, and records it in `history/manifest.json`.

Retention: every page with a failed file is kept; of the pages where every file passed, the newest
QZ_DATA_DOCS_KEEP_PASSED per suite (default 30). The report links each quarantined file to its page.
"""

from __future__ import annotations

import html
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from orchestration import settings
from orchestration.store.files import write_text_atomically
from orchestration.store.retention import Retention

HISTORY = "history"
MANIFEST = "manifest.json"
BANNER = "<!-- files of this batch -->"
_RELATIVE_LINK = re.compile(r'\b(href|src)="(?![a-z][a-z0-9+.-]*:|#|/)([^"]*)"', re.I)


def keep_passed() -> int:
    return settings.current().data_docs_keep_passed


def read_manifest(docs_dir: Path) -> list[dict]:
    """Pages kept, newest first: {page, suite, created, files: {file: passed}}; a damaged manifest is empty."""
    path = docs_dir / HISTORY / MANIFEST
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [e for e in entries if isinstance(e, dict) and {"page", "suite", "files"} <= e.keys()]
    except (OSError, ValueError):
        return []


def _banner(files: dict[str, bool]) -> str:
    items = "".join(
        f'<li><code>{html.escape(name)}</code> — <span class="{"text-success" if ok else "text-danger"}">'
        f"{'通过 passed' if ok else '未通过 failed: quarantined'}</span></li>"
        for name, ok in sorted(files.items())
    )
    return f'{BANNER}<div style="margin:12px 0;padding:8px 12px;border:1px solid #d0d7de"><b>本批次文件 Files in this batch</b><ul>{items}</ul></div>'


def archive(docs_dir: Path, page: Path, suite: str, files: dict[str, bool]) -> Path:
    """Keep a copy of `page` (just written by GX, remote assets stripped) naming `files`, then prune."""
    created = datetime.now(UTC)
    folder = docs_dir / HISTORY / suite
    folder.mkdir(parents=True, exist_ok=True)
    verdict = "passed" if all(files.values()) else "failed"
    target = folder / f"{created:%Y%m%dT%H%M%S%fZ}-{verdict}.html"
    text = page.read_text(encoding="utf-8")
    # the page's links (its stylesheet, GX's static assets) are relative to where GX wrote it
    base = os.path.relpath(page.parent, folder).replace(os.sep, "/")
    text = _RELATIVE_LINK.sub(lambda m: f'{m.group(1)}="{base}/{m.group(2)}"', text)
    body = text.find("<body")
    insert = text.find(">", body) + 1 if body >= 0 else 0
    text = text[:insert] + _banner(files) + text[insert:]
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    entries = [
        {
            "page": target.relative_to(docs_dir).as_posix(),
            "suite": suite,
            "created": created.isoformat(timespec="seconds"),
            "files": files,
        },
        *read_manifest(docs_dir),
    ]
    _write_manifest(docs_dir, _prune(docs_dir, entries))
    return target


def _prune(docs_dir: Path, entries: list[dict]) -> list[dict]:
    """Every page with a failed file (until QZ_RETENTION_FAILED_DAYS); the newest passed pages per suite up to the
    limit."""
    kept, passed_per_suite, limit = [], {}, keep_passed()
    retention, now = Retention.from_env(), datetime.now(UTC)
    for entry in entries:
        created = datetime.fromisoformat(entry["created"]) if "created" in entry else now
        if not all(entry["files"].values()) and retention.expired(created, now, failed=True):
            (docs_dir / entry["page"]).unlink(missing_ok=True)
            continue
        if all(entry["files"].values()):
            passed_per_suite[entry["suite"]] = passed_per_suite.get(entry["suite"], 0) + 1
            if passed_per_suite[entry["suite"]] > limit:
                (docs_dir / entry["page"]).unlink(missing_ok=True)
                continue
        kept.append(entry)
    return kept


def _write_manifest(docs_dir: Path, entries: list[dict]) -> None:
    write_text_atomically(docs_dir / HISTORY / MANIFEST, json.dumps(entries, ensure_ascii=False, indent=1))


def page_of(docs_dir: Path, file_path: str) -> str | None:
    """The newest kept page that validated `file_path` (relative to docs_dir), or None."""
    return next((e["page"] for e in read_manifest(docs_dir) if file_path in e["files"]), None)
