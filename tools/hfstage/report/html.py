"""Static HTML pages (no JavaScript, no network fonts): Jinja2 with HTML autoescaping."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hfstage.assess.model import HFNETCHK_LABEL, Assessment

TEMPLATES = Path(__file__).resolve().parent / "templates"


def html_env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["label"] = HFNETCHK_LABEL
    return env


def scan_page(assessments: list[Assessment], catalog_version: str, summary: dict, show_superseded: bool,
              baseline: bool) -> str:
    rows = [(a, a.shown(show_superseded, baseline)) for a in assessments]
    return html_env().get_template("scan.html.j2").render(rows=rows, catalog_version=catalog_version, summary=summary)
