"""`gluegen demo`: the paper's claims, measured on the shapes world.

settings.py what it trains and draws    corpora.py  the parallel corpora
workers.py  processes that train/draw    cells.py    table cells, drawn once and reused
stages.py   WorldDemo, the run in order  tables.py   the tables as text
report.py   the HTML report
"""

from gluegen_world.demo.settings import DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.tables import format_tables

__all__ = ["DemoSettings", "WorldDemo", "format_tables"]
