#!/usr/bin/env bash
# Build the one-folder desktop app with PyInstaller: dist/gradviz/gradviz (about 1-3 minutes).
#   bash packaging/build.sh          # from the repository root, or from anywhere
# A clean virtual environment (build/bundle/venv) holds gradviz and PyInstaller, so the bundle
# carries gradviz's dependencies and nothing else from your Python. GRADVIZ_DIST and
# GRADVIZ_BUILD_DIR move the output and the work folders.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GRADVIZ_BUILD_DIR:-$root/build/bundle}"
dist="${GRADVIZ_DIST:-$root/dist}"
python="${PYTHON:-python3}"

"$python" -m venv "$build/venv"
"$build/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root" "pyinstaller>=6.10"
"$build/venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$dist" --workpath "$build/work" "$root/packaging/gradviz.spec"

# a desktop entry that starts this bundle, wherever it was built
sed -e "s|^Exec=gradviz |Exec=$dist/gradviz/gradviz |" \
    -e "s|^Icon=gradviz$|Icon=$dist/gradviz/_internal/gradviz/resources/icons/gradviz.svg|" \
    "$root/packaging/gradviz.desktop" > "$dist/gradviz/gradviz.desktop"
echo "built $dist/gradviz ($(du -sh "$dist/gradviz" | cut -f1)); try: $dist/gradviz/gradviz"
