"""Static HTML pages (no JavaScript, no network fonts): Jinja2 with HTML autoescaping.

hfstage's own templates are package data; templates a site keeps on the share
(SHARE\\templates\\*.j2) are rendered in Jinja2's sandbox: whoever can write them must not
get to run code as the admin who runs hfstage.
"""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from hfstage.assess import HFNETCHK_LABEL, Assessment
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
    return env


def share_env(site_templates: Path) -> SandboxedEnvironment:
    """The site's own templates first (sandboxed), hfstage's defaults second."""
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(site_templates)), PackageLoader("hfstage", "data/share_layout/"
                                                                                            "templates")]),
        undefined=StrictUndefined, autoescape=select_autoescape(["html.j2", "html"]), trim_blocks=True,
        lstrip_blocks=True)
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
