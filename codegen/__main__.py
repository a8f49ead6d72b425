"""``python -m codegen --spec PATH_OR_URL --spec-v2 PATH_OR_URL [--out DIR] [--check]``."""

from __future__ import annotations

import argparse
import difflib
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from . import lock, overrides
from .emit import Emitter
from .errors import SpecError
from .operations import Reader
from .table import MODULES
from .v2 import read_v2

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "taskade" / "openapi-v1.json"
DEFAULT_SPEC_V2 = ROOT.parent / "shared" / "taskade" / "openapi-v2-excerpt.json"
GENERATED = ("taskade_async/models", "taskade_async/api")
#: The page that lists every operation (between the markers below), in the docs' reference.
README = "docs/reference/operations.rst"
BEGIN, END = ".. begin-api-list", ".. end-api-list"


def default_spec() -> str:
    return os.environ.get("TASKADE_OPENAPI", str(DEFAULT_SPEC))


def default_spec_v2() -> str:
    return os.environ.get("TASKADE_OPENAPI_V2", str(DEFAULT_SPEC_V2))


def read_spec(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as response:
            data: bytes = response.read()
            return data
    return Path(source).read_bytes()


def render(raw: bytes, raw_v2: bytes, digests: dict[str, str] | None = None) -> dict[str, str]:
    """Every generated file (path relative to the repo root -> text), README block included.

    ``digests`` (the lock's, when checking) name the specs in the headers; by
    default the specs' own SHA-256.
    """
    doc = overrides.patch(json.loads(raw))
    reader = Reader(doc)
    ops = reader.operations()
    ops += read_v2(json.loads(raw_v2), reader)
    if digests is None:
        digests = {"v1": lock.sha256(raw), "v2": lock.sha256(raw_v2)}
    emitter = Emitter(reader, ops, {"v1": digests["v1"], "v2": digests["v2"]})
    files: dict[str, str] = {}
    modules = {}
    for module in MODULES:
        modules[module] = emitter.module_source(module)[0]
    files["taskade_async/models/__init__.py"] = emitter.models_init()
    files["taskade_async/models/_models.py"] = emitter.models_source()
    for module, text in modules.items():
        files[f"taskade_async/api/{module}.py"] = text
    files["taskade_async/api/__init__.py"] = emitter.api_init()
    files[README] = emitter.readme_block()
    return files


def _format(root: Path) -> None:
    """ruff's import sort and formatter, isolated from any config so output is byte-stable."""
    paths = [str(root / p) for p in GENERATED]
    base = ["ruff", "--isolated"]
    opts = [
        "--line-length=100",
        "--target-version=py311",
        "--config=lint.isort.known-first-party=['taskade_async']",
    ]
    ruff = shutil.which("ruff")
    if ruff is None:
        raise SystemExit("codegen: ruff is needed to format the output (pip install ruff)")
    subprocess.run(
        [ruff, "check", *base[1:], *opts, "--select", "I", "--fix", "--quiet", *paths],
        check=True,
        cwd=root,
    )
    subprocess.run([ruff, "format", *base[1:], *opts, "--quiet", *paths], check=True, cwd=root)


def _splice(readme: str, block: str) -> str:
    try:
        head, rest = readme.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"codegen: {README} lacks the {BEGIN} / {END} markers") from None
    return f"{head}{BEGIN}\n\n{block}\n{END}{tail}"


def write(files: dict[str, str], out: Path, readme_source: Path) -> None:
    for folder in GENERATED:
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True)
    for rel, text in files.items():
        if rel == README:
            continue
        (out / rel).write_text(text, encoding="utf-8")
    _format(out)
    if not readme_source.is_file():
        print(f"codegen: no {readme_source}; the operation list was not written", file=sys.stderr)
        return
    readme = readme_source.read_text(encoding="utf-8")
    (out / README).parent.mkdir(parents=True, exist_ok=True)
    (out / README).write_text(_splice(readme, files[README]), encoding="utf-8")


def _tree(root: Path) -> dict[str, Path]:
    found = {}
    for folder in GENERATED:
        for path in sorted((root / folder).rglob("*.py")):
            found[str(path.relative_to(root))] = path
    found[README] = root / README
    return found


def check(files: dict[str, str], out: Path) -> list[str]:
    """The files under ``out`` that differ from a fresh generation."""
    with tempfile.TemporaryDirectory(prefix="codegen-") as tmp:
        fresh = Path(tmp)
        write(files, fresh, out / README)
        want, have = _tree(fresh), _tree(out)
        differ = []
        for rel in sorted(set(want) | set(have)):
            if rel not in want or rel not in have:
                differ.append(rel)
            elif not filecmp.cmp(want[rel], have[rel], shallow=False):
                differ.append(rel)
                diff = difflib.unified_diff(
                    have[rel].read_text().splitlines(),
                    want[rel].read_text().splitlines(),
                    f"committed/{rel}",
                    f"generated/{rel}",
                    lineterm="",
                    n=1,
                )
                sys.stderr.write("\n".join(list(diff)[:40]) + "\n")
        return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--spec", default=default_spec(), help="path or URL of openapi-v1.json")
    parser.add_argument(
        "--spec-v2", default=default_spec_v2(), help="path or URL of openapi-v2-excerpt.json"
    )
    parser.add_argument("--out", type=Path, default=ROOT, help="repository root to write into")
    parser.add_argument("--check", action="store_true", help="diff instead of writing")
    args = parser.parse_args(argv)
    raws: list[bytes] = []
    for source in (args.spec, args.spec_v2):
        try:
            raws.append(read_spec(source))
        except (OSError, ValueError) as exc:  # urllib's URLError is an OSError
            print(f"codegen: cannot read the spec {source}: {exc}", file=sys.stderr)
            return 2
    specs = {"v1": (args.spec, raws[0]), "v2": (args.spec_v2, raws[1])}
    digests = None
    if args.check:
        locked = lock.read_lock()
        wrong = lock.problems(specs, locked)
        if wrong:
            print("codegen: not as locked in codegen/spec.lock.json:", file=sys.stderr)
            print("".join(f"  - {line}\n" for line in wrong), end="", file=sys.stderr)
            return 1
        digests = {name: spec["sha256"] for name, spec in locked["specs"].items()}
    try:
        files = render(raws[0], raws[1], digests)
    except json.JSONDecodeError as exc:
        print(f"codegen: a spec is not JSON: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print(f"codegen: {exc}", file=sys.stderr)
        return 2
    if args.check:
        differ = check(files, args.out)
        if differ:
            print("codegen: out of date:\n  " + "\n  ".join(differ), file=sys.stderr)
            return 1
        print("codegen: generated code is up to date")
        return 0
    write(files, args.out, args.out / README)
    (args.out / "codegen" / "spec.lock.json").write_text(lock.lock_text(specs), encoding="utf-8")
    print(f"codegen: wrote {len(files)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
