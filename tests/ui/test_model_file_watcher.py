"""The model-file watcher on its own: a burst of writes is seen once, after the last write; a file
renamed over the model is still watched."""

from gradviz.ui.model_file.watcher import ModelFileWatcher
from tests.ui.model_projects import save_like_an_editor


def test_a_burst_of_writes_then_an_editor_save_are_two_changes(qtbot, tmp_path):
    path = tmp_path / "model.py"
    path.write_text("x = 0\n", encoding="utf-8")
    watcher = ModelFileWatcher()
    watcher.watch(path)
    changes = []
    watcher.changed.connect(lambda: changes.append(path.read_text(encoding="utf-8")))
    for i in range(1, 6):
        path.write_text(f"x = {i}\n" * i, encoding="utf-8")
    qtbot.waitUntil(lambda: changes == ["x = 5\n" * 5])
    save_like_an_editor(path, "x = 6\n")
    qtbot.waitUntil(lambda: changes == ["x = 5\n" * 5, "x = 6\n"])
    watcher.watch(None)
    assert watcher.path is None
