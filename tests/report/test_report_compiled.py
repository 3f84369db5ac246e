"""hfstage's page templates are compiled once and kept in state\\ (report.compiled), not compiled again in every
run and every drawing worker.

Jinja2 rejects cached code whose template source changed, but trusts the cache's bytes: a damaged file could fail
to load (a crash) or load as other code (a wrong page). These tests compile the real templates into the cache,
show a later run compiles nothing, then damage the file every way (cut short, one byte of a page's text changed,
garbage, made by another hfstage) and check each run draws the page an uncached run draws, and writes the cache
anew. A template edited since it was cached is compiled again (Jinja2's source checksum, checked here).
"""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment

from hfstage.report import compiled
from hfstage.report.compiled import CompiledTemplates, compiled_templates, decode
from hfstage.report.html import html_env

NAMES = ("index.html.j2", "_base.html.j2", "_style.html.j2", "bulletin.html.j2")
CONTEXT = {"root": "", "generated": "", "catalog_version": "", "scan_id": 1, "status_class": {}, "share": "",
           "scripts_now": None}


@pytest.fixture
def fresh_env():
    """A process's first report: no template loaded yet (html_env is one per process)."""
    html_env.cache_clear()
    yield
    html_env.cache_clear()


def _compiles(monkeypatch) -> list[str]:
    """The names of the templates html_env compiles from here on."""
    env, made = html_env(), []
    real = env.compile

    def counted(source, name=None, filename=None, *args, **kwargs):
        made.append(name)
        return real(source, name, filename, *args, **kwargs)

    monkeypatch.setattr(env, "compile", counted)
    return made


def _page() -> str:
    """A page drawn from hfstage's base template (what every report page extends), as the report draws it."""
    b = {"id": "MS01-001", "title": "A bulletin", "severity": "Critical", "url": None, "date_posted": "2001",
         "machines": [], "cve": [], "info": None, "approval": {}, "rings": [], "count": 0}
    return html_env().get_template("bulletin.html.j2").render(b=b, **CONTEXT)


def _run(path, monkeypatch) -> tuple[str, list[str]]:
    """One run's page and what it compiled, in a fresh process's environment."""
    html_env.cache_clear()
    made = _compiles(monkeypatch)
    with compiled_templates(path):
        for name in NAMES:
            html_env().get_template(name)
        page = _page()
    return page, made


def test_a_run_compiles_the_templates_once_and_the_next_loads_them(tmp_path, monkeypatch, fresh_env):
    path = tmp_path / "report-templates.cache"
    page, made = _run(path, monkeypatch)
    assert set(NAMES) <= set(made) and decode(path.read_bytes()) is not None
    again, made = _run(path, monkeypatch)
    assert made == [] and again == page


@pytest.mark.parametrize("damage", ["cut short", "a byte of a page's text", "garbage", "another hfstage", "empty"])
def test_a_damaged_cache_means_compile_again_never_a_crash_or_a_wrong_page(tmp_path, monkeypatch, fresh_env, damage):
    html_env.cache_clear()
    uncached = _page()  # no cache at all
    path = tmp_path / "report-templates.cache"
    _run(path, monkeypatch)
    data = path.read_bytes()
    if damage == "cut short":
        data = data[:len(data) // 2]
    elif damage == "a byte of a page's text":
        assert data.count(b"hfstage report") == 1  # _base.html.j2's footer, a constant in its compiled code
        data = data.replace(b"hfstage report", b"hfstage rEport")
    elif damage == "garbage":
        data = bytes(range(256)) * 64
    elif damage == "another hfstage":
        data = data.replace(compiled.REPORT.format.encode(), b"0" * len(compiled.REPORT.format), 1)
    else:
        data = b""
    path.write_bytes(data)
    page, made = _run(path, monkeypatch)
    assert page == uncached and "hfstage rEport" not in page
    assert set(NAMES) <= set(made)  # compiled again
    assert decode(path.read_bytes()) is not None  # and the cache written anew, whole


def test_a_template_edited_since_it_was_cached_is_compiled_again():
    """What makes the cache safe across an upgrade that changes a template (or a site that edits one): Jinja2
    keeps each template's source checksum beside its code and loads the code only for that source."""
    cache = CompiledTemplates()
    old = Environment(loader=DictLoader({"t.j2": "old {{ x }}"}), bytecode_cache=cache)
    assert old.get_template("t.j2").render(x=1) == "old 1" and cache.changed
    new = Environment(loader=DictLoader({"t.j2": "new {{ x }}"}), bytecode_cache=CompiledTemplates(cache.entries))
    assert new.get_template("t.j2").render(x=1) == "new 1"


def test_the_plan_templates_are_compiled_once_and_a_site_s_edit_is_compiled_again(month1_site, monkeypatch):
    """The plan is rendered every month from the site's templates (sandboxed) or hfstage's: compiled once, kept
    in the same cache; a site that edits its plan template gets its edit, not the code cached before."""
    from jinja2.sandbox import SandboxedEnvironment

    from hfstage.pipeline import Site
    from hfstage.pipeline.reporting import month_plan
    from hfstage.report.application_plan import render_plan

    made: list[str] = []
    real = SandboxedEnvironment.compile

    def counted(self, source, name=None, *args, **kwargs):
        made.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(SandboxedEnvironment, "compile", counted)
    plan, templates, cache = month_plan(Site(month1_site)), month1_site.root / "templates", CompiledTemplates()
    first = [render_plan(plan, fmt, templates, cache) for fmt in ("html", "md")]
    assert sorted(made) == ["plan.html.j2", "plan.md.j2"]
    made.clear()
    assert [render_plan(plan, fmt, templates, cache) for fmt in ("html", "md")] == first and made == []
    assert first == [render_plan(plan, fmt, templates) for fmt in ("html", "md")]  # as without a cache
    (templates / "plan.md.j2").write_text("edited by the site: {{ plan.catalog_version }}\n", encoding="utf-8")
    assert render_plan(plan, "md", templates, cache) == f"edited by the site: {plan.catalog_version}"


def test_a_cache_that_cannot_be_read_or_written_costs_a_compile_not_the_report(tmp_path, monkeypatch, fresh_env,
                                                                                caplog):
    """Something else where the cache belongs (here a folder): the templates are compiled, the page is drawn,
    and the log says the cache was not kept."""
    html_env.cache_clear()
    uncached = _page()
    path = tmp_path / "report-templates.cache"
    path.mkdir()
    page, made = _run(path, monkeypatch)
    assert page == uncached and set(NAMES) <= set(made) and path.is_dir()
    assert "templates compiled again" in caplog.text
