"""The documentation's checks that do not need a build: every public name has a docstring
whose numpydoc sections are valid; and, when the HTML has been built (``.ci/run`` builds it
first and sets FASTMLP_DOCS_HTML), that it has a page for every public name and command and a
figure for every gallery example."""

import argparse
import importlib
import inspect
import os
import re
import types
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")
from numpydoc.docscrape import ClassDoc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# the modules whose public names the API reference documents (docs/api/*.rst)
MODULES = ["fastmlp", "fastmlp.sklearn", "fastmlp.metrics", "fastmlp.model_selection",
           "fastmlp.classic", "fastmlp.optimize"]
# numpydoc's checks that a reader notices: GL06 unknown section, GL07 sections out of order,
# PR02 a documented parameter the signature does not have (often a paragraph that fell into
# the Parameters section), PR10 "name: type" without the space, which numpydoc misreads
CHECKS = {"GL06", "GL07", "PR02", "PR10"}


def public_names() -> list[tuple[str, object]]:
    """(qualified name, object) of every public name of MODULES, other than submodules."""
    found = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not name.startswith("__") and not isinstance(obj, types.ModuleType):
                found.append((f"{module_name}.{name}", obj))
    return found


def public_members(cls) -> list[tuple[str, object]]:
    """The public methods and properties that fastmlp defines on ``cls`` (or on a fastmlp
    base class), not those inherited from scikit-learn or object."""
    members = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is None or not owner.__module__.startswith("fastmlp"):
            continue
        raw = vars(owner)[name]
        if isinstance(raw, (staticmethod, classmethod)):
            raw = raw.__func__
        if inspect.isfunction(raw) or isinstance(raw, property):
            members.append((name, raw))
    return members


NAMES = public_names()
IDS = [name for name, _ in NAMES]


def test_every_module_lists_public_names():
    assert len(NAMES) > 50
    for module_name in MODULES:
        assert importlib.import_module(module_name).__doc__, f"{module_name} has no docstring"


@pytest.mark.parametrize("name, obj", NAMES, ids=IDS)
def test_public_name_is_documented(name, obj):
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if not inspect.isclass(obj):
        return
    # a member may be documented in the class's Attributes section instead of its own
    # docstring (numpydoc's convention for data attributes written as properties)
    listed = {item.name.split(":")[0].strip() for item in ClassDoc(obj)["Attributes"]}
    listed = {part.strip() for entry in listed for part in entry.split(",")}
    undocumented = [member for member, raw in public_members(obj)
                    if not (raw.__doc__ or "").strip() and member not in listed]
    assert not undocumented, f"{name}: members without a docstring: {undocumented}"


@pytest.mark.parametrize("name, obj", NAMES, ids=IDS)
def test_numpydoc_sections_are_valid(name, obj):
    targets = [name] + ([f"{name}.{member}" for member, raw in public_members(obj)
                         if (raw.__doc__ or "").strip()] if inspect.isclass(obj) else [])
    problems = [f"{target}: {code} {message}" for target in targets
                for code, message in numpydoc_validate.validate(target)["errors"]
                if code in CHECKS]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------- the built HTML

HTML = os.environ.get("FASTMLP_DOCS_HTML")
needs_html = pytest.mark.skipif(
    not HTML, reason="set FASTMLP_DOCS_HTML to the built docs (.ci/run does) to check them")


@pytest.fixture(scope="module")
def html() -> Path:
    path = Path(HTML)
    # set but missing is a failure, not a skip: CI asked for the check
    assert (path / "index.html").is_file(), f"no built documentation at {path}"
    return path


@needs_html
@pytest.mark.parametrize("name", IDS)
def test_api_page_exists(html, name):
    page = html / "api" / "generated" / f"{name}.html"
    assert page.is_file(), f"no API page for {name}"
    assert f'id="{name}"' in page.read_text(encoding="utf-8"), f"{page} does not document {name}"


@needs_html
def test_command_line_page_lists_every_command(html):
    from fastmlp.cli import build_parser

    parser = build_parser()
    (commands,) = [action for action in parser._actions
                   if isinstance(action, argparse._SubParsersAction)]
    assert len(commands.choices) >= 5
    text = (html / "api" / "cli.html").read_text(encoding="utf-8")
    for command in commands.choices:
        # sphinx-argparse gives each sub-command a section headed by its name
        assert re.search(rf"<h3[^>]*>{command}<", text), f"the CLI page lacks '{command}'"


EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))


def test_gallery_has_the_examples():
    assert len(EXAMPLES) >= 10


@needs_html
@pytest.mark.parametrize("example", EXAMPLES)
def test_gallery_example_drew_its_figure(html, example):
    page = html / "auto_examples" / f"{example}.html"
    assert page.is_file(), f"no gallery page for {example}"
    figures = re.findall(rf'src="([./]*_images/sphx_glr_{example}_\d+\.png)"',
                         page.read_text(encoding="utf-8"))
    assert figures, f"{example}'s page shows no figure"
    for figure in figures:
        image = (page.parent / figure).resolve()
        assert image.is_file() and image.stat().st_size > 5_000, f"{image} missing or empty"
