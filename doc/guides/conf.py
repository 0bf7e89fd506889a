# Sphinx configuration of the ena-ng guides (doc/guides), laid out as DPDK's: nics/ for the
# driver guides and feature matrix, tools/ for the applications, prog_guide/ for the design.
# Built with Debian's python3-sphinx and its default theme only (no PyPI packages):
#     sphinx-build -W -b html doc/guides build/doc/html     (or: ninja -C build docs)
from pathlib import Path

project = "ena-ng"
author = "the ena-ng developers"
copyright = "the ena-ng developers"

# The version meson's project() declares, so the guides name the release they describe.
_meson = (Path(__file__).resolve().parents[2] / "meson.build").read_text()
_at = _meson.find("version:")
version = release = _meson[_at:].split("'")[1] if _at >= 0 else ""

master_doc = "index"
exclude_patterns = []
# Console blocks and plain-text listings are not highlighted as any language by default.
highlight_language = "none"

html_theme = "alabaster"
html_title = f"ena-ng {version} guides"
html_show_sourcelink = False
html_theme_options = {"page_width": "1100px", "body_max_width": "auto"}
html_copy_source = False
