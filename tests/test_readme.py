"""The README's Python examples run as written (each in a fresh namespace that has
``import fastmlp`` done, as the API section assumes)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_readme_example_runs(code, capsys):
    if "sklearn" in code:
        pytest.importorskip("sklearn")
    if "dask" in code:
        pytest.importorskip("dask_ml")
    namespace = {}
    exec("import fastmlp", namespace)
    exec(compile(code, str(README), "exec"), namespace)
