"""A capped read asks for what the file holds, not for its cap (share.files.read_at_most).

The story (cold review): at [limits] worker_memory_mib = 256-640 the demo month refused every machine with a
hive, "reading it needed more memory than a worker may use". `fh.read(limit + 1)` sets aside the whole cap
(hive_bytes: 512 MiB) before it reads a byte, so a 30 KB hive needed 512 MiB of a worker's address space.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from hfstage.share.files import read_at_most

MIB = 1024 * 1024


def test_a_small_client_file_is_read_under_a_cap_far_larger_than_the_address_space_left(tmp_path):
    (tmp_path / "PC1").mkdir()
    (tmp_path / "PC1" / "SYSTEM").write_bytes(b"regf" + bytes(30_000))
    code = f"""
import resource
from pathlib import Path
from hfstage.share import read_client_file
resource.setrlimit(resource.RLIMIT_AS, (400 * {MIB}, 400 * {MIB}))
root = Path({str(tmp_path)!r})
print(len(read_client_file(root, root / "PC1" / "SYSTEM", 512 * {MIB}, "registry hive")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["30004"]


# SIZE: what fstat said when the file was opened; a file holding more was written to while being read
@pytest.mark.parametrize(("content", "size", "limit", "read"), [
    (b"x" * 100, 100, 1000, 100),  # what fstat said: all of it
    (b"x" * 100, 40, 1000, 100),  # it grew while being read, under the cap: all of it
    (b"x" * 5000, 40, 1000, 1001),  # it grew past the cap: one byte more than the cap, so the caller refuses it
    (b"x" * 5000, 5000, 1000, 1001),  # larger than the cap already: the same
    (b"", 0, 1000, 0),
])
def test_what_a_capped_read_returns(content, size, limit, read):
    assert read_at_most(io.BytesIO(content), size, limit) == content[:read]
