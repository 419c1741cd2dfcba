"""Great Expectations Data Docs that open on an intranet: no asset fetched from the internet.

GX writes pages that load Bootstrap, jQuery, Font Awesome and Vega from CDNs, and an index whose tables are
filled in by JavaScript from those CDNs: offline (most statistics offices) the index is empty and every page
unstyled. After each build this removes the remote assets, links a small local stylesheet, and writes a
static index of the validation results and suites. The validation pages themselves are static HTML.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from orchestration.validate.data_docs_history import archive, read_manifest

STYLESHEET = "offline.css"
STAMP = ".offline-stamp"
MARKER = "<!-- remote assets removed: this page loads nothing from the internet -->"
REMOTE = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']https?://[^"']*["'][^>]*>(?:\s*</script>)?""", re.I)
STATUS = re.compile(r"Status:</span>.*?(Succeeded|Failed)", re.S)

CSS = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", system-ui, sans-serif; color: #1f2328; margin: 16px 24px; line-height: 1.45; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
a { color: #0969da; }
.text-success { color: #1a7f37; } .text-danger { color: #cf222e; } .text-muted { color: #57606a; }
.fa-check-circle::before { content: "\\2714  "; } .fa-times-circle::before { content: "\\2716  "; }
.collapse:not(.show) { display: block; }
nav, .navbar, .ge-training-banner { display: none; }
.col-md-2, .col-md-10, .col-12 { display: block; width: 100%; }
code, pre { background: #f6f8fa; padding: 0 4px; border-radius: 4px; }
"""


def _pages_to_fix(docs_dir: Path) -> list[Path]:
    stamp = docs_dir / STAMP
    since = stamp.stat().st_mtime if stamp.exists() else 0.0
    return [p for p in docs_dir.rglob("*.html") if p.stat().st_mtime >= since]


def _strip(page: Path, docs_dir: Path) -> None:
    text = page.read_text(encoding="utf-8")
    if MARKER in text:
        return
    text = REMOTE.sub("", text)
    css = os.path.relpath(docs_dir / STYLESHEET, page.parent)
    text = text.replace("</head>", f'<link rel="stylesheet" href="{css}">{MARKER}</head>', 1)
    page.write_text(text, encoding="utf-8")


def _static_index(docs_dir: Path) -> str:
    rows = []
    for entry in read_manifest(docs_dir):
        files = entry["files"]
        failed = sorted(f for f, ok in files.items() if not ok)
        shown = ", ".join(html.escape(f) for f in (failed or sorted(files))[:5]) + (" …" if len(failed or files) > 5 else "")
        verdict, cls = ("Failed", "text-danger") if failed else ("Succeeded", "text-success")
        rows.append(
            f"<tr><td>{html.escape(entry.get('created', ''))}</td><td>{html.escape(entry['suite'])}</td>"
            f"<td>{len(files)} file(s){': ' + str(len(failed)) + ' failed' if failed else ''} — {shown}</td>"
            f'<td class="{cls}"><a href="{html.escape(entry["page"])}">{verdict}</a></td></tr>'
        )
    suites = [
        f'<li><a href="{html.escape(p.relative_to(docs_dir).as_posix())}">{html.escape(p.stem)}</a></li>'
        for p in sorted((docs_dir / "expectations").glob("*.html"))
    ]
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>Great Expectations Data Docs</title>'
        f'<link rel="stylesheet" href="{STYLESHEET}">{MARKER}</head><body>'
        "<h1>校验结果 Great Expectations Data Docs</h1>"
        "<p>校验结果,最新在前:未通过的全部保留,通过的每个规则集保留最近若干次。 Validation results, newest first "
        "(UTC): every validation with a failed file is kept, and the newest passed ones of each suite "
        "(QZ_DATA_DOCS_KEEP_PASSED). Each page names the files of its batch.</p>"
        "<table><tr><th>时间 Validated (UTC)</th><th>规则集 Suite</th><th>文件 Files</th><th>结果 Result</th></tr>"
        + "".join(rows)
        + "</table><h2>规则集 Expectation suites</h2><ul>"
        + "".join(suites)
        + "</ul></body></html>"
    )


def make_offline(
    docs_dir: Path, suite: str | None = None, files: dict[str, bool] | None = None, page_folder: str | None = None
) -> None:
    """Strip the remote assets of the pages GX (re)wrote since the last call; keep the validation page of `suite`
    GX just wrote (in the folder named `page_folder`) in the history, naming `files` (file -> passed); rewrite the
    index. GX's own validation pages are then removed: the history holds the copies, and a long-lived process
    would otherwise re-render and keep every validation it ever made."""
    if not docs_dir.exists():
        return
    (docs_dir / STYLESHEET).write_text(CSS.strip() + "\n", encoding="utf-8")
    fresh = _pages_to_fix(docs_dir)
    for page in fresh:
        if page.name != "index.html" or page.parent != docs_dir:
            _strip(page, docs_dir)
    written = [p for p in fresh if suite and p.is_relative_to(docs_dir / "validations" / suite) and p.parent.name == page_folder]
    if written and files is not None:
        archive(docs_dir, written[0], suite, files)
    shutil.rmtree(docs_dir / "validations", ignore_errors=True)
    (docs_dir / "index.html").write_text(_static_index(docs_dir), encoding="utf-8")
    (docs_dir / STAMP).touch()
