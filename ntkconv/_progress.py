"""The progress bar every long run uses: ``tqdm.auto``, imported quietly."""

import warnings

from tqdm import TqdmWarning

with warnings.catch_warnings():
    # in Jupyter without ipywidgets tqdm.auto warns at import and falls back to a text bar,
    # which is what a notebook rendered to HTML wants anyway
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.auto import tqdm

__all__ = ["tqdm"]
