"""Draw the benchmarks' results: a chart of the ratios to raw aiohttp, and a table.

Reads ``benchmarks/results/latest.json`` (written by the bench scripts through
``_results.record``) and writes ``docs/_static/bench.png`` and
``docs/_generated/figures_table.rst`` (included by ``docs/figures.rst``).
Figures not measured yet are shown as pending. Run: ``nox -s bench`` (after the
scripts), or ``python benchmarks/chart.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _results import RESULTS, load

ROOT = Path(__file__).resolve().parent.parent
PNG = ROOT / "docs" / "_static" / "bench.png"
TABLE = ROOT / "docs" / "_generated" / "figures_table.rst"

#: The figures of the chart, in order, and what each compares.
CHARTED: dict[str, str] = {
    "W1": "W1  client CPU per GET",
    "W2": "W2  goodput at the server's rate limit",
    "W3": "W3  streaming tasks into models, items/s",
    "W3j": "W3  the same with stdlib json (no speedups extra)",
    "W4": "W4  export time vs a raw replay",
    "soak": "soak  long run under faults",
}


def _meets(fig: dict[str, Any]) -> bool | None:
    target, ratio = fig.get("target"), fig.get("ratio")
    if target is None or ratio is None:
        return None
    return bool(ratio <= target if fig["better"] == "lower" else ratio >= target)


def others(fig: dict[str, Any]) -> dict[str, float]:
    """The other clients' ratios to raw aiohttp for this figure, by client."""
    raw = fig.get("raw")
    if not raw:
        return {}
    return {name: value / raw for name, value in (fig.get("others") or {}).items()}


def draw(figures: dict[str, Any], out: Path) -> None:
    """The ratio chart: one bar per figure, the target marked, raw aiohttp at 1.0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(CHARTED)
    fig, ax = plt.subplots(figsize=(9, 4.6), dpi=120)
    ys = list(range(len(keys)))[::-1]
    labels = []
    top = 1.3
    other_rows: list[tuple[float, str, float]] = []
    for y, key in zip(ys, keys, strict=True):
        f = figures.get(key)
        if f is None or f.get("ratio") is None:
            labels.append(CHARTED[key])
            ax.text(0.03, y, "pending: measured after the merge", va="center", color="0.45")
            continue
        ratio = f["ratio"]
        labels.append(f"{CHARTED[key]}\n({f['better']} is better)")
        color = {True: "#2e7d32", False: "#c62828", None: "#546e7a"}[_meets(f)]
        rest = others(f)
        ours_y, height = (y + 0.2, 0.3) if rest else (y, 0.55)
        ax.barh(ours_y, ratio, color=color, height=height)
        label_at = max(ratio, f.get("target") or 0) + 0.03
        ax.text(label_at, ours_y, f"{ratio:.2f}x  taskade_async", va="center", fontsize=9)
        if f.get("target") is not None:
            ax.plot([f["target"]] * 2, [y - 0.38, y + 0.38], color="black", lw=2)
        top = max(top, label_at + 0.9)
        for n, (name, other) in enumerate(rest.items()):
            other_rows.append((y - 0.08 - 0.22 * n, name, other))
    # The other clients last: their ratios may run far past ours, so they are cut at the
    # axis' end and marked with their figure.
    for row_y, name, other in other_rows:
        shown = min(other, top - 0.05)
        ax.barh(row_y, shown, color="#b0bec5", height=0.18)
        cut = "  (cut)" if shown < other else ""
        ax.text(0.02, row_y, f"{other:.2f}x  {name}{cut}", va="center", fontsize=7.5)
    ax.axvline(1.0, color="0.3", ls="--", lw=1)
    ax.text(1.0, len(keys) - 0.45, " raw aiohttp = 1.0", fontsize=8, color="0.3")
    ax.set_yticks(ys, labels, fontsize=9)
    ax.set_xlim(0, top)
    ax.set_ylim(-0.6, len(keys) - 0.3)
    ax.set_xlabel(
        "taskade_async / raw aiohttp, medians side by side in one run\n"
        "(grey: other clients in the same rounds, httpx and openapi-python-client);\n"
        "(W2: goodput / the allowed rate; soak: invariants passed / checked);\n"
        "black mark = target; green = met, red = missed",
        fontsize=9,
    )
    any_fig = next(iter(figures.values()), None)
    if any_fig is not None:
        m = any_fig["machine"]
        ax.set_title(
            f"{any_fig['date'][:10]}: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}",
            fontsize=10,
        )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}" if value < 10 else f"{value:.1f}"


def table(figures: dict[str, Any]) -> str:
    """The figures as an rst list-table, with the machine and the commands."""
    rows = [
        "   * - Figure\n     - taskade_async\n     - raw aiohttp\n     - Ratio\n"
        "     - Target\n     - How it was measured"
    ]
    keys = [*CHARTED, *sorted(k for k in figures if k not in CHARTED)]
    for key in keys:
        f = figures.get(key)
        if f is None:
            rows.append(
                f"   * - {key}\n     - pending\n     -\n     -\n     -\n     - after the merge"
            )
            continue
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.3f}"
        sign = "<=" if f["better"] == "lower" else ">="
        target = "" if f["target"] is None else f"{sign} {f['target']}"
        met = _meets(f)
        if met is not None:
            target += " (met)" if met else " (missed)"
        rows.append(
            f"   * - {key}: {f['title']}\n"
            f"     - {_number(f['ours'])} {f['unit']}\n"
            f"     - {_number(f['raw'])} {f['unit']}\n"
            f"     - {ratio}\n"
            f"     - {target}\n"
            f"     - {f['detail']}; ``{f['command']}``"
        )
    rows_other = []
    for key in keys:
        f = figures.get(key)
        if f is None:
            continue
        for name, other_ratio in others(f).items():
            rows_other.append(
                f"   * - {key}: {f['title']}\n"
                f"     - {name}\n"
                f"     - {_number(f['others'][name])} {f['unit']}\n"
                f"     - {other_ratio:.3f}\n"
                f"     - {f['ratio']:.3f}"
            )
    machines = {
        (f["machine"]["nproc"], f["machine"]["cpu"], f["machine"]["python"], f["machine"]["system"])
        for f in figures.values()
    }
    loads = [f["machine"]["load"] for f in figures.values() if "load" in f["machine"]]
    dates = sorted(f["date"] for f in figures.values())
    lines = [
        ".. This file is written by benchmarks/chart.py from benchmarks/results/latest.json.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 18 12 12 8 12 38",
        "",
        *rows,
        "",
    ]
    if rows_other:
        lines += [
            "The other clients a user chooses between, measured in the same rounds"
            " (``benchmarks/_competitors.py``):",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 24 30 16 15 15",
            "",
            "   * - Figure\n     - Client\n     - Median\n     - Ratio to raw aiohttp\n"
            "     - taskade_async's ratio",
            *rows_other,
            "",
        ]
    if dates:
        lines.append(f"Measured from {dates[0]} to {dates[-1]} on:")
        lines.append("")
        for nproc, cpu, python, system in sorted(machines):
            lines.append(f"- {nproc} CPUs ({cpu}), Python {python}, {system}")
        if loads:
            lines.append(f"- load average {min(loads)} to {max(loads)} while measuring")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    figures = load(args.results)["figures"]
    draw(figures, PNG)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(table(figures), encoding="utf-8")
    print(f"wrote {PNG.relative_to(ROOT)} and {TABLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
