"""The desktop bundle's program: the ``gradviz`` command (no argument opens the app), plus
``--smoke-test``, which opens the window, lists what the bundle found and quits (exit 0 when the
presets, the lessons and the icon are all there). Run it offscreen: QT_QPA_PLATFORM=offscreen."""

from __future__ import annotations

import sys


def smoke_test() -> int:
    from PySide6.QtCore import QTimer

    from gradviz import __version__
    from gradviz.resource_paths import icon_path, lessons_dir, presets_dir
    from gradviz.ui.app import application
    from gradviz.ui.main_window import MainWindow

    app = application()
    window = MainWindow()
    found = {}

    def look_and_close() -> None:  # from inside the running event loop, as the app runs
        found["presets"] = sorted(p.name for p in presets_dir().glob("*.gradviz.json"))
        found["lessons"] = sorted(p.name for p in lessons_dir().glob("*.gradviz.json"))
        found["icon"] = not app.windowIcon().isNull() and icon_path().is_file()
        found["size"] = f"{window.width()}×{window.height()}"
        window.close()

    window.show()
    QTimer.singleShot(0, look_and_close)
    status = app.exec()
    print(f"gradviz {__version__}: window {found['size']}, {len(found['presets'])} presets, "
          f"{len(found['lessons'])} lessons, icon {'ok' if found['icon'] else 'missing'}")
    print("presets:", ", ".join(found["presets"]))
    print("lessons:", ", ".join(found["lessons"]))
    return 0 if status == 0 and found["presets"] and found["lessons"] and found["icon"] else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--smoke-test"]:
        sys.exit(smoke_test())
    from gradviz.cli import main

    sys.exit(main())
