"""Running the teaching notebooks (docs/notebooks): shared by the test that executes them and
the documentation build that renders them. Needs the ``test`` extra (nbclient, ipykernel)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

#: the notebooks of a source checkout: jupytext percent scripts, each paired with an .ipynb
NOTEBOOKS = Path(__file__).resolve().parents[1] / "docs" / "notebooks"
#: seconds one cell may run before the kernel is taken for hung. A hang guard, not a speed
#: test: the notebooks take 5–15 s each on two idle cores, and ten times that on a loaded machine
#: (a timed test would fail there for no fault of the notebook); each executed copy records its
#: wall time in its metadata (``ntkconv.wall_time_s``)
TIMEOUT_S = 600


def cells(nb: Any) -> list[tuple[str, str]]:
    """A notebook's content for comparing two of its forms (the jupytext script and the
    .ipynb, or the .ipynb and an executed copy): each cell's type and source, outputs left out."""
    return [(c.cell_type, c.source) for c in nb.cells]


def execute(notebook: Path, out: Path, timeout: int = TIMEOUT_S) -> Path:
    """Run ``notebook`` top to bottom in a fresh Python kernel, in its own folder, and write
    the executed copy (outputs included) to ``out/<name>.ipynb``.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised (the message names it).
        nbclient.exceptions.CellTimeoutError: a cell ran past ``timeout`` seconds.
    """
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    nb = nbformat.read(notebook, as_version=4)
    start = time.monotonic()
    # the kernel talks over Unix sockets in a private folder: over TCP (the default) ipykernel
    # warns that code and outputs travel unencrypted, on every run
    with tempfile.TemporaryDirectory() as sockets:
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/kernel"}})
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", config=ipc,
                                resources={"metadata": {"path": str(notebook.parent)}})  # fmt: skip
        client.execute()
    nb.metadata["ntkconv"] = {"wall_time_s": round(time.monotonic() - start, 1)}
    out.mkdir(parents=True, exist_ok=True)
    target = out / notebook.name
    nbformat.write(nb, target)
    return target
