"""Sphinx configuration of fastmlp's documentation.

Build (from the checkout's root, with ``pip install ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery's examples (``examples/plot_*.py``) run during the build and their figures go
into the pages; ``-W`` makes every warning -- a broken cross-reference, an invalid numpydoc
section, an example that raises -- fail the build.
"""

import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the gallery draws without a display

ROOT = Path(__file__).resolve().parents[1]
# The fastmlp documented is the one Python imports: the checkout's with ``python -m sphinx``
# run from its root (the working directory comes first on sys.path), the installed one with
# ``sphinx-build`` (as .ci/run does, so that the gallery's compiled kernels are cached where
# the tests that follow load them).
import fastmlp  # noqa: E402

# the gallery's examples run in this process, so the Numba kernels compile once per build and
# every example shares them; the first-compile notice is for interactive users, not the pages
warnings.filterwarnings("ignore", category=fastmlp.CompileNotice)

project = "fastmlp"
author = "the fastmlp developers"
copyright = "the fastmlp developers"
version = release = fastmlp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "auto_examples/*.codeobj.json"]
templates_path = ["_templates"]

# every cross-reference must resolve (the build runs with -W)
nitpicky = True
nitpick_ignore_regex = [
    # the compiled kernels and the NumPy oracle are internals without pages of their own;
    # docstrings name them to say where the work happens
    ("py:.*", r"fastmlp\.(kernels|reference|engines|config|layout|state|persistence|checkpoint"
              r"|prefetch|schedules|labels|_files|_child|preprocessing|table_model)(\..*)?"),
    # other projects' pages are not linked (intersphinx would need the network at build time)
    ("py:.*", r"(joblib|numpy|scipy|sklearn|dask|dask_ml)\..*"),
]


def skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods: its metadata routing,
    documented by scikit-learn, not by fastmlp's estimators."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_member)

autosummary_generate = True
# a module's page lists what its __all__ lists, so a new public name gets its page without an
# edit here (tests/test_docs.py checks every one has a page)
autosummary_ignore_module_all = False
autodoc_typehints = "none"  # numpydoc's Parameters sections give the types, with shapes
autodoc_default_options = {"members": True, "member-order": "bysource"}
numpydoc_show_class_members = False  # autodoc's :members: lists them once
numpydoc_class_members_toctree = False
# numpydoc's own docstring validation, on the checks a reader notices: unknown or
# misordered sections, parameters documented that the signature does not have
numpydoc_validation_checks = {"GL06", "GL07", "PR10"}

myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    # "Examples using X" on each API page
    "doc_module": ("fastmlp",),
    "backreferences_dir": "gen_modules/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = f"fastmlp {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
