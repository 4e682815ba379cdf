"""``python -m linli.sample.district --out DIR [--seed 7] [--size sample|large]``: write the
sample district's street network (``district.osm.pbf``), ``compounds.csv``, ``facilities.csv``
and ``district.json`` for the engine's command line and the benchmarks (no database needed)."""

import argparse
import sys
from pathlib import Path

from . import generate_district


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linli.sample.district",
        description="Write the fictional sample district 示例区 for demos, tests and benchmarks.",
    )
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", choices=["sample", "large"], default="sample")
    args = parser.parse_args(argv)
    d = generate_district(Path(args.out), seed=args.seed, size=args.size)
    print(f"wrote {d.pbf_path}, {d.compounds_csv}, {d.facilities_csv}")
    return 0


sys.exit(main())
