"""Error of the fixed-point softmax (accelsim.hw.softmax, bit-exact with its RTL) against fp32.

Covers: the number format's accuracy. Scenario: 10,000 rows of 1 to 1024 logits, normal with a spread of
0.5 to 8 nats around an offset in [-4, 4] nats, quantized to the unit's input format; the reference is the
fp32 softmax of the same quantized logits, so the error is the unit's alone. Prints the max absolute error,
the max relative error over probabilities of at least 2**-6 (where the Q0.12 output keeps 6 significant
bits) and the mean absolute error.

Run: ``python benchmarks/softmax_error.py [--rows 10000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from accelsim.hw.softmax import SoftmaxParams, measure_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    params = SoftmaxParams()
    print(
        json.dumps(
            {
                "params": params.as_dict(),
                "rows": args.rows,
                **measure_error(params, args.rows, np.random.default_rng(args.seed)),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
