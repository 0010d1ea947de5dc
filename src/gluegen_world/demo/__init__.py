"""`gluegen demo`: the paper's claims, measured on the shapes world.

settings.py what it trains and draws    corpora.py  the parallel corpora
workers.py  processes that train/draw    cells.py    table cells, drawn once and reused
stages.py   WorldDemo, the run in order  tables.py   the tables as text
report.py   the HTML report
"""

from gluegen.lazy import lazy_exports

_EXPORTS = {
    "DemoSettings": "gluegen_world.demo.settings",
    "DrawSettings": "gluegen_world.demo.settings",
    "WorldDemo": "gluegen_world.demo.stages",
    "format_tables": "gluegen_world.demo.tables",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)  # the settings load without the models
__all__ = list(_EXPORTS)
