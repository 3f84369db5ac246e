"""The history hands back a stored assessment's JSON undecoded: the report's scan.json entry is those bytes.

A month under a new catalog changes every machine's assessment, and the report read each one back from the
history, decoded it and encoded it again for its scan.json entry: the bytes the history already held (the
stored blob is history.assessment_blob: jsonio.dumps(to_dict()), its SHA-256 the key). The report now writes the
blob. That is the same output only while an assessment survives the trip through its stored form
unchanged: this test holds that for every assessment the demo's month stores.
"""

from __future__ import annotations

import hashlib

from hfstage.history import History, assessment_blob, stored_assessment


def test_each_stored_blob_is_its_assessments_json_and_key(month1_site):
    history = History(month1_site)
    rows = history.machines(history.latest_scan().id)
    blobs = history.assessment_blobs(m.assessment_key for m in rows)
    assert len(blobs) == len(rows) > 5
    assessments = history.assessments(blobs)
    for key, blob in blobs.items():
        assert hashlib.sha256(blob).hexdigest() == key
        assert assessment_blob(stored_assessment(blob)) == blob
        assert assessments[key] == stored_assessment(blob)
