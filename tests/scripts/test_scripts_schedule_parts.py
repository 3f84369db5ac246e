"""schedule_nt4.bat's machines' parts are rendered once per distinct job (issue 20: the 1%-changed month).

A month in which a few NT 4.0 machines changed their jobs rendered the whole file again: the template's loop
over every NT 4.0 machine (1,500 at 5,000 machines, 2.6 MB). Each machine's part is now schedule_job.bat.j2's
macro, rendered once per distinct list of packages with a placeholder name and label number, each machine's
put in (write.ByPlan's way for the machine scripts). These tests check each part against the macro rendered
for that machine itself, and the file against the parts in order.
"""

from __future__ import annotations

from hfstage.scripts.batch import template_env
from hfstage.scripts.settings import ScriptSettings
from hfstage.scripts.write import ANONYMOUS, JobParts, scheduled_jobs

SETTINGS = ScriptSettings("\\\\DC1\\hfstage", "\\\\DC1\\netlogon", 3, False)
JOBS = {"NT4A": ["Q299444i.exe", "nt4\\Q300000i.exe"], "nt4b": ["Q299444i.exe", "nt4\\Q300000i.exe"],
        "NT4C": ["deep\\er\\Q1.exe"], "NT4D": [f"odd{ANONYMOUS}.exe"], "NT4E": [f"odd{JobParts.NUMBER}.exe"]}


def _own(machine: str, packages: list[str], number: int) -> str:
    """The macro rendered for MACHINE itself."""
    macro = template_env().get_template("schedule_job.bat.j2").module.job
    folders = sorted({"\\".join(p.split("\\")[:i]) for p in packages for i in range(1, p.count("\\") + 1)},
                     key=lambda f: (f.count("\\"), f.lower()))
    return macro({"machine": machine, "packages": packages, "folders": folders}, number)


def test_each_machines_part_is_its_own_rendering():
    parts = JobParts()
    for number, (machine, packages) in enumerate(JOBS.items(), 1):
        assert parts.text(machine, packages, number) == _own(machine, packages, number), machine
    assert len(parts.texts) == 2  # NT4A and nt4b share one rendering; NT4D's and NT4E's hold a placeholder


def test_the_file_holds_every_part_in_order_and_renders_each_job_once(monkeypatch):
    rendered = []
    original = JobParts.text

    def counted(self, machine, packages, number):
        rendered.append(tuple(packages) not in self.texts)
        return original(self, machine, packages, number)

    monkeypatch.setattr(JobParts, "text", counted)
    data = scheduled_jobs(SETTINGS, {m: {"packages": p} for m, p in JOBS.items()}, "1.0.0.1")["schedule_nt4.bat"]
    text = data.decode("ascii").replace("\r\n", "\n")
    ordered = sorted(JOBS, key=str.casefold)
    assert "".join(_own(m, JOBS[m], n) for n, m in enumerate(ordered, 1)) in text
    assert text.endswith("endlocal\n") and "catalog 1.0.0.1" in text
    assert rendered.count(True) == 4  # five machines, four distinct lists
