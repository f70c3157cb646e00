"""grader.late_import: a library that sets environment variables on import leaves none behind."""

import os

from grader.late_import import late_import


def test_variables_an_import_sets_or_changes_are_undone(tmp_path, monkeypatch):
    (tmp_path / "noisy_module_for_test.py").write_text(
        "import os\nos.environ['GRADER_TEST_ADDED'] = '1'\nos.environ['GRADER_TEST_CHANGED'] = 'new'\n"
        "os.environ.pop('GRADER_TEST_REMOVED', None)\nVALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("GRADER_TEST_CHANGED", "old")
    monkeypatch.setenv("GRADER_TEST_REMOVED", "kept")
    monkeypatch.delenv("GRADER_TEST_ADDED", raising=False)

    module = late_import("noisy_module_for_test")

    assert module.VALUE == 7
    assert "GRADER_TEST_ADDED" not in os.environ
    assert os.environ["GRADER_TEST_CHANGED"] == "old"
    assert os.environ["GRADER_TEST_REMOVED"] == "kept"

