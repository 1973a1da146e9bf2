"""Model files: the versioned on-disk schema that :meth:`fastmlp.MLP.save` writes and
:meth:`fastmlp.MLP.load` reads.

A model file is an ``.npz`` archive (NumPy's zip of ``.npy`` arrays, read without unpickling
anything) holding these arrays:

================ ====== ===================================================================
array            since  content
================ ====== ===================================================================
format_version   1      int: the format the file follows (:data:`FORMAT_VERSION` on write)
config           1      JSON object: the constructor arguments (:meth:`MLP.config`), whose
                        fields :data:`CONFIG_FIELDS` lists
params           1      the flat parameter vector, in the network's dtype
classes          1      optional: :attr:`MLP.classes_` (numbers or strings)
metadata         1      optional: JSON object, :attr:`MLP.metadata`
fastmlp_version  2      the fastmlp version that wrote the file (named when a newer file
                        is refused)
================ ====== ===================================================================

Format 3 adds the config field ``dropout`` (``MLP(dropout=)``; files before it train and
predict as ``dropout=0.0``). Format 1 is what fastmlp 0.1.0 wrote; ``tests/data/v0_1_0``
holds such files, and ``tests/test_model_files.py`` checks that they load and predict the
same bits for good.

The rules, for every later version too:

* a file of any format from 1 to :data:`FORMAT_VERSION` loads; a newer format is refused
  (upgrade fastmlp), as is any array or configuration field the file's format does not
  define: a value that cannot be understood is never dropped silently;
* a field missing from a file takes its default, which is the value that reproduces what
  the versions before the field did (not necessarily the constructor's default of the day);
  a field without a default is required;
* a network is rebuilt by calling the class with the stored fields, so a new constructor
  argument with a default never makes older files unloadable.

Adding a constructor argument (as ``dropout=`` was in format 3): add it to :meth:`MLP.config`, add a
:class:`Field` with ``since=FORMAT_VERSION + 1`` and the default that means "as before" to
:data:`CONFIG_FIELDS`, and raise :data:`FORMAT_VERSION` by one (``tests/test_persistence.py``
holds :meth:`MLP.config` and :data:`CONFIG_FIELDS` to each other).
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._files import write_atomically

#: The format :func:`save` writes; :func:`load` reads every format from 1 to this one.
FORMAT_VERSION = 3

#: Marks a :class:`Field` that has no default: files must hold it.
REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()


@dataclass(frozen=True)
class Field:
    """One named value of the schema: an array of the file or a field of its config.

    Attributes
    ----------
    name : str
    since : int
        The first format that has it; files of earlier formats must not hold it.
    default : object
        The value of a file that lacks it, or :data:`REQUIRED`.
    """

    name: str
    since: int
    default: Any = REQUIRED


#: The arrays of a model file.
ARRAYS = (
    Field("format_version", 1),
    Field("config", 1),
    Field("params", 1),
    Field("classes", 1, None),
    Field("metadata", 1, None),
    Field("fastmlp_version", 2, None),
)

#: The fields of the ``config`` array: the constructor arguments of :class:`fastmlp.MLP`
#: that rebuild the network (its seed does not matter: the parameters are stored).
CONFIG_FIELDS = (
    Field("layer_sizes", 1),
    Field("activation", 1),
    Field("output_activation", 1),
    Field("loss", 1),
    Field("dtype", 1),
    Field("init", 1),
    Field("init_scale", 1),
    Field("bias_init", 1),
    Field("leaky_relu_slope", 1),
    Field("elu_alpha", 1),
    Field("dropout", 3, 0.0),
)


# ------------------------------------------------------------------------------ writing
def save(net, path) -> None:
    """Write ``net`` to ``path`` in format :data:`FORMAT_VERSION` (see :meth:`MLP.save`).

    The file is written under a temporary name in the target's directory and renamed over
    ``path``, so an interrupted save never leaves a half-written file; it gets the
    permissions of any new file (or those of the file it replaces).

    Raises
    ------
    ValueError
        When ``path`` does not name a file, the parameters hold NaN or inf, the metadata is
        not JSON-serializable, or ``net.config()`` has fields the schema does not define --
        each before anything is written.
    PermissionError
        When ``path`` exists and is read-only.
    OSError
        When the file cannot be written (naming ``path``); no file is left behind.
    """
    if hasattr(path, "write"):  # a binary file object: the caller owns the stream
        np.savez(path, **_encode(net))
        return
    path = os.fspath(path)
    if not path or os.path.isdir(path):
        raise ValueError(f"path must name a file, got {path!r}")
    arrays = _encode(net)
    write_atomically(path, lambda fh: np.savez(fh, **arrays))


def _encode(net) -> dict[str, Any]:
    """The arrays of ``net``'s model file, after the checks that would make it unloadable."""
    from . import __version__  # here: the package imports this module while it initializes

    if not np.isfinite(net.params).all():
        raise ValueError("the network's parameters hold NaN or inf; a saved file could "
                         "not be loaded again, so nothing was written")
    config = net.config()
    known = {field.name for field in CONFIG_FIELDS}
    unknown = sorted(set(config) - known)
    missing = sorted(field.name for field in CONFIG_FIELDS
                     if field.default is REQUIRED and field.name not in config)
    if unknown or missing:
        raise ValueError(
            f"{type(net).__name__}.config() has the fields {sorted(config)}, which model "
            f"format {FORMAT_VERSION} cannot describe (unknown: {unknown}, missing: {missing}); "
            "a field is added to fastmlp.persistence.CONFIG_FIELDS with a new format version")
    if not isinstance(net.metadata, dict):
        raise ValueError(f"metadata must be a dict (a JSON object), got "
                         f"{type(net.metadata).__name__}: load could not read it back")
    try:
        metadata = json.dumps(net.metadata)
    except (TypeError, ValueError) as error:
        raise ValueError(f"metadata must be JSON-serializable: {error}") from None
    arrays: dict[str, Any] = dict(format_version=FORMAT_VERSION, config=json.dumps(config),
                                  params=net.params, fastmlp_version=__version__)
    if net.classes_ is not None:
        arrays["classes"] = net.classes_
    if net.metadata:
        arrays["metadata"] = metadata
    return arrays


# ------------------------------------------------------------------------------ reading
def load(path, cls):
    """The network stored in ``path``, built by ``cls`` (see :meth:`MLP.load`).

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    ValueError
        For anything that is not a model file this fastmlp reads -- empty, truncated, another
        format, a newer model format, an array or config field the file's format does not
        define, a config that does not describe the stored parameters -- naming the path and
        the reason. The sizes are checked against the stored parameters before any network
        is built, and nothing in the file is unpickled.
    """
    stream = hasattr(path, "read")  # a binary file object (seekable), as np.load takes
    name = str(getattr(path, "name", "<stream>")) if stream else os.fspath(path)
    refuse = _refusal(name)
    try:
        data = np.load(path if stream else name, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as error:  # not a zip/npz, truncated, pickled data, ...
        raise refuse(f"{type(error).__name__} while reading it as .npz") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise refuse("it holds a single array (.npy), not a saved network")
    with data:
        version = _format_version(data, refuse, name)
        stored = _read_arrays(data, version, refuse)
    writer = stored["fastmlp_version"]
    if writer is not None and (writer.shape != () or writer.dtype.kind != "U"):
        raise refuse(f"its fastmlp_version ({writer.dtype} of shape {writer.shape}) is not a "
                     "version string")
    config = _config(stored["config"], version, refuse)
    params = stored["params"]
    if params.ndim != 1 or params.dtype.kind != "f":
        raise refuse(f"its params are {params.dtype} of shape {params.shape}, not a float "
                     "vector")
    sizes = _declared_sizes(config["layer_sizes"], refuse)
    # Python ints: a hostile file's sizes must not overflow int64 on their way to a refusal
    declared = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if declared != params.shape[0]:
        raise refuse(f"its config declares layers {sizes} ({declared} parameters) but it "
                     f"stores {params.shape[0]}")
    try:
        net = cls(**config, seed=0)
        net.params = params  # finiteness, after the cast to the network's dtype
        net.classes_ = stored["classes"]
        if stored["metadata"] is not None:
            try:
                metadata = json.loads(str(stored["metadata"]))
            except (ValueError, RecursionError) as error:
                raise ValueError(f"its metadata is not valid JSON ({error})") from None
            if not isinstance(metadata, dict):
                raise ValueError("its metadata is not a JSON object")
            net.metadata = metadata
    except (ValueError, TypeError, RecursionError) as error:
        raise refuse(str(error)) from None
    return net


def _refusal(name: str) -> Callable[[str], ValueError]:
    def refuse(reason: str) -> ValueError:
        return ValueError(f"{name!r} is not a file written by MLP.save: {reason}")
    return refuse


def _format_version(data, refuse, name: str) -> int:
    """The file's format, refusing files without one and formats this fastmlp does not
    read (naming the fastmlp that wrote a newer one, when the file says)."""
    from . import __version__

    if "format_version" not in data.files:
        raise refuse(f"it holds the arrays {sorted(data.files)}, and no format_version")
    try:
        version = data["format_version"]
    except Exception as error:
        raise refuse(f"{type(error).__name__} while reading its format_version") from None
    if version.shape != () or version.dtype.kind not in "iu" or int(version) < 1:
        raise refuse(f"its format_version {version!r} is not a format number")
    version = int(version)
    if version > FORMAT_VERSION:
        writer = _writer(data)
        raise ValueError(
            f"{name!r} is not a file written by MLP.save of fastmlp {__version__} or earlier: "
            f"its model format {version} is newer than the formats 1 to {FORMAT_VERSION} "
            f"that this fastmlp reads{f' (it was written by fastmlp {writer})' if writer else ''}"
            "; upgrade fastmlp to load it")
    return version


def _writer(data) -> str | None:
    """The fastmlp version a (newer) file names as its writer, if it is a short string."""
    try:
        writer = data["fastmlp_version"]
    except Exception:
        return None
    if writer.shape == () and writer.dtype.kind == "U" and writer.dtype.itemsize <= 4 * 40:
        return str(writer)
    return None


def _read_arrays(data, version: int, refuse) -> dict[str, Any]:
    """Every array of format ``version`` (its default where the file lacks it), refusing
    arrays the format does not define before reading any."""
    fields = [field for field in ARRAYS if field.since <= version]
    known = {field.name for field in fields}
    missing = [field.name for field in fields
               if field.default is REQUIRED and field.name not in data.files]
    if set(data.files) - known or missing:
        required = sorted(field.name for field in fields if field.default is REQUIRED)
        raise refuse(f"it holds the arrays {sorted(data.files)}; model format {version} has "
                     f"{sorted(known)}, of which {required} are required")
    stored = {}
    for field in ARRAYS:
        try:
            stored[field.name] = data[field.name] if field.name in data.files else field.default
        except Exception as error:
            raise refuse(f"{type(error).__name__} while reading its {field.name}") from None
    return stored


def _config(text, version: int, refuse) -> dict[str, Any]:
    """The constructor arguments stored as JSON: the fields of format ``version``, with the
    default of each one the file lacks."""
    try:
        config = json.loads(str(text))
    except (ValueError, RecursionError) as error:
        raise refuse(f"its config is not valid JSON ({type(error).__name__})") from None
    if not isinstance(config, dict):
        raise refuse(f"its config is a JSON {type(config).__name__}, not an object")
    defined = {field.name for field in CONFIG_FIELDS if field.since <= version}
    unknown = sorted(set(config) - defined)
    missing = sorted(field.name for field in CONFIG_FIELDS
                     if field.default is REQUIRED and field.name not in config)
    if unknown:
        raise refuse(f"its config has the fields {unknown}, which model format {version} "
                     "does not define")
    if missing:
        raise refuse(f"its config lacks the fields {missing}, which model format {version} "
                     "requires")
    # fields newer than the file take the value that reproduces what its version did
    return {field.name: config.get(field.name, field.default) for field in CONFIG_FIELDS}


def _declared_sizes(sizes, refuse) -> list[int]:
    """The stored ``layer_sizes``, checked before they size anything: a list of at least two
    positive ints."""
    if (not isinstance(sizes, list) or len(sizes) < 2
            or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1
                   for s in sizes)):
        raise refuse(f"its config's layer_sizes {sizes!r} is not a list of at least two "
                     "positive ints")
    return sizes
