"""How many times a batch of files waits for the disk (share.write_many).

The story: a full month of 2,000 machines spent 20 of its 41 seconds in fsync: write_many wrote every temp
file first, then fsynced each one, and each fsync waits for the disk to flush its cache (about 2.5 ms on the
virtual disk of the bench machine), whether the journal commit it needs is already done or not. On Linux one
syncfs of the file system now makes every temp file durable at once, before the first rename; a fsync per
folder still makes the renames durable. The files, their modes and the crash points stay as
test_share_write_many.py checks them.
"""

from __future__ import annotations

import os
import sys

import pytest

from hfstage.share import PUBLIC, write_many
from hfstage.share import files as share_files


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux's")
def test_a_batch_waits_for_the_disk_once_per_folder_not_once_per_file(tmp_path, monkeypatch):
    files = {tmp_path / folder / f"PC{i:04d}.bat": f"script {folder} {i}\r\n".encode()
             for folder in ("scripts", "machines", "bulletins") for i in range(100)}
    real_fsync, synced = os.fsync, []

    def counted(fd: int) -> None:  # the real fsync, counted
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counted)
    monkeypatch.setattr(share_files, "_fs_type", lambda device: "ext4")  # whatever the test's /tmp is
    written = write_many(files, PUBLIC)
    assert sorted(written) == sorted(files)
    assert all(path.read_bytes() == data for path, data in files.items())
    assert len(synced) <= 3, f"{len(synced)} fsyncs for 300 files in 3 folders"
    assert not list(tmp_path.rglob(".*.tmp"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux's")
def test_a_share_mounted_from_another_server_keeps_a_fsync_per_file(tmp_path, monkeypatch):
    """syncfs on a cifs or nfs mount need not reach the server (no SMB flush is sent): such a share is made
    durable file by file, as before."""
    files = {tmp_path / "scripts" / f"PC{i:04d}.bat": b"script\r\n" for i in range(20)}
    real_fsync, synced = os.fsync, []

    def counted(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counted)
    monkeypatch.setattr(share_files, "_fs_type", lambda device: "cifs")
    assert sorted(write_many(files, PUBLIC)) == sorted(files)
    assert len(synced) >= 20, f"{len(synced)} fsyncs for 20 files on a cifs share"
