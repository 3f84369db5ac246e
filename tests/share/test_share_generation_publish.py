"""Publishing a generation of many scripts (share.Release.publish, issue 20 section 6).

The story: a full month of 1,500 machines spent a quarter of its scripts step publishing the generation:
every file went through write_many, made for files that replace others in place (a read of the target to
see whether it changed, a temp name, a rename per file), though the generation's folder is itself a temp
folder no client sees until one rename puts it in place. Now the new files are written under their own
names into that folder, made durable together, and the folder's rename stays the atomic step. Checked
here: one rename for the whole generation (not one per file), the share's mode whatever the umask, the
carried files as hard links, the crash points still one per written file, no temp file left, and a
failed write naming its file (that last one a guard: it held before too).
"""

from __future__ import annotations

import os

from hfstage import faults
from hfstage.share import PUBLIC, Release, current_generation
from hfstage.share import files as share_files

FILES = 300


def _published(scripts, files: dict[str, bytes]) -> str:
    release = Release.start(scripts)
    release.put(files)
    name = release.publish()
    assert name is not None and current_generation(scripts) == name
    return name


def test_a_generation_is_renamed_into_place_once_not_file_by_file(tmp_path, monkeypatch):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    first = _published(scripts, {f"PC{i:04d}.bat": f"old {i}\r\n".encode() for i in range(FILES)})
    renames = []
    real_replace, real_rename = os.replace, os.rename
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append(b), real_replace(a, b))[1])
    monkeypatch.setattr(os, "rename", lambda a, b: (renames.append(b), real_rename(a, b))[1])
    monkeypatch.setenv(faults.VARIABLE, "write:100000")  # write points counted (the kill tests'), never reached
    monkeypatch.setattr(faults, "_writes", 0)
    old_umask = os.umask(0o077)  # an admin's umask does not narrow what clients read
    try:
        changed = {f"PC{i:04d}.bat": f"new {i}\r\n".encode() for i in range(0, FILES, 2)}
        second = _published(scripts, changed)
    finally:
        os.umask(old_umask)
    assert len(renames) <= 2, f"{len(renames)} renames to publish {len(changed)} files"  # the folder, the pointer
    assert faults._writes == len(changed) + 2  # still one per written file; the folder's rename, the pointer's
    for i in range(FILES):
        path = scripts / second / f"PC{i:04d}.bat"
        assert path.read_bytes() == (f"new {i}" if i % 2 == 0 else f"old {i}").encode() + b"\r\n"
        assert path.stat().st_mode & 0o777 == PUBLIC, path
        if i % 2:  # carried as it was: the same file under a second name
            assert path.stat().st_ino == (scripts / first / path.name).stat().st_ino
    assert not list(tmp_path.rglob(".*.tmp")) and not list(tmp_path.rglob(".*"))


def test_a_write_that_fails_names_the_file_and_publishes_nothing(tmp_path, monkeypatch):
    """A full disk mid-generation: the error names the file, clients run the set before, nothing is left."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    first = _published(scripts, {"PC1.bat": b"old\r\n"})
    real_open = os.open

    def full_disk(path, flags, mode=0o777, **kwargs):
        if str(path).endswith("PC2.bat"):
            raise OSError(28, "No space left on device", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", full_disk)
    release = Release.start(scripts)
    release.put({"PC1.bat": b"new\r\n", "PC2.bat": b"new\r\n"})
    try:
        release.publish()
        raise AssertionError("published on a full disk")
    except share_files.HfstageError as e:
        assert "PC2.bat" in str(e) and "clients still run" in str(e)
    assert current_generation(scripts) == first
    assert sorted(p.name for p in scripts.iterdir()) == [first, "current.bat"]
