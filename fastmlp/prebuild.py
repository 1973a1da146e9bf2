"""``python -m fastmlp.prebuild``: compile the kernels ``fastmlp warmup`` compiles, once per
x86-64 level, into the package, so that a wheel built next ships them
(:mod:`fastmlp.kernels.prebuilt`)."""

from pathlib import Path

from .kernels import prebuilt, target


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m fastmlp.prebuild",
        description="Compile the kernels fastmlp warmup compiles, once per x86-64 level, "
                    "into the package (fastmlp/_prebuilt), so a wheel built next ships them.")
    parser.add_argument("--levels", nargs="+", default=None, choices=target.LEVELS,
                        help="levels to build (default: the host's level and x86-64-v3)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where the sets go (default: {prebuilt.PREBUILT_DIR})")
    options = parser.parse_args(argv)
    levels = options.levels
    if levels is None:
        host = target.host_level()
        if host is None:
            parser.error("this machine is not x86-64 (v2 or later): nothing to build")
        levels = sorted({host, "x86-64-v3"} if host == "x86-64-v4" else {host})
    prebuilt.build(levels, options.out)


if __name__ == "__main__":
    main()
