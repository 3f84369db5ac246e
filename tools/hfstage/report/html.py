"""Static HTML pages (no JavaScript, no network fonts): Jinja2 with HTML autoescaping.

hfstage's own templates are package data; templates a site keeps on the share
(SHARE\\templates\\*.j2) are rendered in Jinja2's sandbox: whoever can write them must not
get to run code as the admin who runs hfstage.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from pathlib import Path
from typing import NamedTuple

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from hfstage.assess import HFNETCHK_LABEL, NOT_APPLICABLE, Assessment, Finding
from hfstage.inventory import EVIDENCE_WORDS
from hfstage.report.safe import safe_url


@functools.cache
def html_env() -> Environment:
    """hfstage's own page templates, compiled once per process: they are package data, never edited during a
    run, so no get_template checks the file's time again (5,000 machine pages asked 5,000 times)."""
    env = Environment(loader=PackageLoader("hfstage", "data/report_templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
                      auto_reload=False)
    _common(env)
    env.globals["finding_rows"] = _finding_rows(env.get_template("_finding_row.html.j2"))
    env.globals["machine_rows"] = _machine_rows(env.get_template("_machine_row.html.j2"))
    env.globals["bulletin_rows"] = _bulletin_rows(env.get_template("_bulletin_row.html.j2"))
    return env


class ShownFinding(NamedTuple):
    """What a machine page's row shows of a finding, and all its row may read: the key of the rendered row."""

    kind: str
    status: str
    unverified: bool
    bulletin: str
    qnumber: str | None
    patch: str
    product: str
    severity: str
    reason: str
    evidence: tuple[str, ...]
    cve_ids: tuple[str, ...]
    bugtraq_ids: tuple[str, ...]


def _finding_rows(template):
    """A page's findings as table rows, all in one call (a call from the template per finding cost more than the
    row), each distinct row rendered once: machines of one OS and service pack share their rows, and the rows
    were most of a machine page's rendering (20 a page, 5,000 pages). Not-applicable findings have no row."""
    @functools.lru_cache(maxsize=8192)
    def rendered(shown: ShownFinding) -> str:
        return template.render(f=shown)

    def finding_rows(findings: list[Finding]) -> Markup:
        return Markup("\n".join([rendered(shown_finding(f)) for f in findings if f.status != NOT_APPLICABLE]))

    return finding_rows


def _machine_rows(template):
    """The machine table's lines, all in one call, each rendered once per distinct line and root: 5,000 machines
    are on the index's first page, All machines, their status's list and their problems' lists (31 pages)."""
    @functools.lru_cache(maxsize=16384)
    def rendered(line: Hashable, root: str, tables: tuple) -> str:
        labels, status_class = (dict(t) for t in tables)
        return template.render(m=line, root=root, labels=labels, status_class=status_class)

    def machine_rows(lines: list, root: str, labels: dict, status_class: dict) -> Markup:
        tables = (tuple(labels.items()), tuple(status_class.items()))
        return Markup("\n".join([rendered(line, root, tables) for line in lines]))

    return machine_rows


class BulletinRow(NamedTuple):
    """What a bulletin page's row shows of a finding row (history.FindingRow) beside its approval."""

    machine: str
    patch: str
    product: str
    reason: str


_NAME = "\x00machine\x00"  # where a row's machine name goes (no catalog text or name holds a NUL)


def _bulletin_rows(template):
    """A bulletin page's machine rows, all in one call, each line "<tr>...</tr>\n": a row is the same for every
    machine but its name (thousands of machines miss a bulletin with the same patch, product, reason and
    approval), so each distinct row is rendered once with a stand-in name, and each machine's name, escaped as
    the template escapes it, is put in its place (5,000 machines' bulletin pages hold some 15,000 rows: 0.2 s
    of CPU when each was rendered, in every month in which a machine changed)."""
    @functools.lru_cache(maxsize=4096)
    def parts(patch: str, product: str, reason: str, approval: str) -> tuple[str, ...]:
        return tuple(template.render(f=BulletinRow(_NAME, patch, product, reason), approval=approval).split(_NAME))

    def row(f, approval: str) -> str:
        if _NAME in f"{f.patch}{f.product}{f.reason}{approval}":  # never in catalog or history text: drawn whole
            return template.render(f=BulletinRow(f.machine, f.patch, f.product, f.reason), approval=approval)
        return str(escape(f.machine)).join(parts(f.patch, f.product, f.reason, approval))

    def bulletin_rows(machines: list, approvals: dict) -> Markup:
        return Markup("".join([row(f, approvals[(f.machine, f.patch)]) + "\n" for f in machines]))

    return bulletin_rows


def shown_finding(f: Finding) -> ShownFinding:
    return ShownFinding(f.kind, f.status, f.unverified, f.bulletin, f.qnumber, f.patch, f.product, f.severity,
                        f.reason, tuple(f.evidence), tuple(f.cve_ids), tuple(f.bugtraq_ids))


def share_env(site_templates: Path, compiled: BytecodeCache | None = None) -> SandboxedEnvironment:
    """The site's own templates first (sandboxed), hfstage's defaults second; COMPILED: where templates compiled
    before are kept (report.compiled; each is used only for the source it was compiled from)."""
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(site_templates)), PackageLoader("hfstage", "data/share_layout/"
                                                                                            "templates")]),
        undefined=StrictUndefined, autoescape=select_autoescape(["html.j2", "html"]), trim_blocks=True,
        lstrip_blocks=True, bytecode_cache=compiled)
    _common(env)
    return env


def _common(env: Environment) -> None:
    env.globals["label"] = HFNETCHK_LABEL
    env.globals["evidence_words"] = EVIDENCE_WORDS
    env.filters["safe_url"] = safe_url


def scan_page(assessments: list[Assessment], catalog_version: str, summary: dict, show_superseded: bool,
              baseline: bool) -> str:
    rows = [(a, a.shown(show_superseded, baseline)) for a in assessments]
    return html_env().get_template("scan.html.j2").render(rows=rows, catalog_version=catalog_version, summary=summary)
