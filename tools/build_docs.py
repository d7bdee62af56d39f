"""Build the documentation site, offline: the README, the guides in docs/, the benchmarks' README and every chapter in
nbs/ with its examples' outputs, as a static site in _site/ (`make docs`; open _site/index.html, or serve the folder).

Why MkDocs: nbdev's own renderer needs Quarto, whose installer downloads a binary this machine cannot reach; MkDocs,
its Material theme and mkdocs-jupyter all install from the package registry, and Material's search runs in the
browser with nothing fetched from outside. `nbdev_docs` still works where Quarto is installed.

Chapters are executed as `make test` runs them (cells flagged `slow` or `gpu` skipped) and kept in _site_build/executed/,
keyed by the notebook's and the library's contents, so a chapter runs again only when either changed; the notebook
tests write the same cache, so after `make test` the site builds in seconds. `#| hide` cells, directives and the
closing `nbdev_export()` cell are left out of the pages.
"""
import argparse, hashlib, multiprocessing, os, re, shutil, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE, STAGE, SITE = ROOT / "_site_build" / "executed", ROOT / "_site_build" / "stage", ROOT / "_site"  # (_docs is nbdev_docs')
HIDDEN = {"hide", "exporti", "default_exp"}  # directives whose cells stay out of the pages


def chapters() -> list[Path]:
    "Every chapter notebook (the offline wing's in nbs/, the serving wing's in nbs/serve/), in reading order: by number."
    found = [p for p in (ROOT / "nbs").rglob("*.ipynb") if not p.name.startswith(("_", "index")) and ".ipynb_checkpoints" not in p.parts]
    return sorted(found, key=lambda p: p.name)


def fingerprint(notebook: Path, flags: list[str]) -> str:
    "What an executed chapter depends on: its own text, the library's, and the flags that skip cells."
    digest = hashlib.sha256(notebook.read_bytes())
    for path in sorted((ROOT / "hybrid_recsys").rglob("*.py")): digest.update(path.read_bytes())
    digest.update(" ".join(sorted(flags)).encode())
    return digest.hexdigest()[:16]


def cached(notebook: Path, flags: list[str]) -> Path: return CACHE / f"{notebook.stem}.{fingerprint(notebook, flags)}.ipynb"


def skip_flags() -> list[str]:
    from nbdev.config import get_config
    forced = set(os.environ.get("HRS_TEST_FLAGS", "").split())
    return [flag for flag in get_config(path=ROOT).tst_flags.split() if flag not in forced]


def execute(notebook: Path, flags: list[str], showerr: bool = True) -> tuple[bool, float]:
    """Run a chapter as nbdev_test does (cells flagged in `flags` skipped, from the notebook's folder), and keep the
    executed copy in the cache when every cell ran: (ok, seconds)."""
    from execnb.nbio import write_nb
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    os.environ["IN_TEST"] = "1"

    def skipped(cell) -> bool:
        if cell.cell_type != "code": return True
        if "nbdev_export" + "(" in cell.source: return True
        directives = getattr(cell, "directives_", {}) or {}
        if directives.get("eval:", [""])[0].lower() == "false": return True
        return bool(set(flags) & directives.keys())

    target, start = cached(notebook, flags), time.time()
    nb = NBProcessor(notebook, process=True).nb
    shell = CaptureShell(notebook)
    try:
        with working_directory(notebook.parent): shell.run_all(nb, exc_stop=True, preproc=skipped)
    except Exception:
        if showerr: sys.stderr.write(shell.prettytb(fname=notebook) + "\n")
        return False, time.time() - start
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(f"{notebook.stem}.*.ipynb"): stale.unlink()
    partial = target.with_suffix(".partial")
    write_nb(nb, partial); partial.replace(target)  # never a half-written chapter in the cache
    return True, time.time() - start


def _page(executed: Path, page: Path):
    "A chapter as a page: no hidden cells, no directive lines, no export cell."
    import nbformat
    nb = nbformat.read(executed, as_version=4)
    kept = []
    for cell in nb.cells:
        lines = cell.source.splitlines()
        directives = {line[2:].split()[0] for line in lines if line.startswith("#|") and line[2:].split()}
        if directives & HIDDEN: continue
        if cell.cell_type == "code" and "nbdev_export" + "(" in cell.source: continue
        cell.source = "\n".join(line for line in lines if not line.startswith("#|")).strip("\n")
        if cell.source or cell.get("outputs"): kept.append(cell)
    nb.cells = kept
    nbformat.write(nb, page)


LINKS = [(r"\]\((?:\.\./)?docs/README\.md", "](guide/index.md"), (r"\]\((?:\.\./)?docs/", "](guide/"),
         (r"\]\((?:\.\./)?benchmarks/README\.md", "](benchmarks/index.md"), (r"\]\((?:\.\./)?nbs/", "](chapters/")]


def _stage_markdown(text: str, depth: int) -> str:
    "A repository page's links pointed at the site's pages (`depth`: how many folders below the site's root it lives)."
    up = "../" * depth
    for pattern, replacement in LINKS: text = re.sub(pattern, replacement.replace("](", "](" + up), text)
    return re.sub(r"\]\((?:\.\./)*README\.md", f"]({up}index.md", text)


def _title(notebook: Path) -> str:
    import json
    for cell in json.loads(notebook.read_text())["cells"]:
        match = re.search(r"^# (.+)$", "".join(cell["source"]), re.M) if cell["cell_type"] == "markdown" else None
        if match: return f"{notebook.stem.split('_')[0]} {match.group(1).strip()}"
    return notebook.stem


def stage(notebooks: list[Path], flags: list[str]) -> dict:
    "Write the site's sources into _site_build/stage; the navigation."
    shutil.rmtree(STAGE, ignore_errors=True)
    (STAGE / "guide").mkdir(parents=True); (STAGE / "chapters").mkdir(); (STAGE / "benchmarks").mkdir()
    shutil.copy2(ROOT / "tools" / "docs_extra.css", STAGE / "extra.css")
    (STAGE / "index.md").write_text(_stage_markdown((ROOT / "README.md").read_text(), 0))
    guides = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        name = "index.md" if page.name == "README.md" else page.name
        (STAGE / "guide" / name).write_text(_stage_markdown(page.read_text(), 1).replace("](../guide/", "]("))
        if name != "index.md": guides.append({page.read_text().splitlines()[0].lstrip("# ").strip(): f"guide/{name}"})
    for folder in (ROOT / "docs").iterdir():
        if folder.is_dir(): shutil.copytree(folder, STAGE / "guide" / folder.name)
    (STAGE / "benchmarks" / "index.md").write_text(_stage_markdown((ROOT / "benchmarks" / "README.md").read_text(), 1))
    shutil.copytree(ROOT / "benchmarks" / "results", STAGE / "benchmarks" / "results", ignore=shutil.ignore_patterns("*.json"))
    offline, serving, other = [], [], []
    for notebook in notebooks:
        page = notebook.relative_to(ROOT / "nbs").as_posix()  # serve/20_events.ipynb for the serving wing's
        (STAGE / "chapters" / page).parent.mkdir(parents=True, exist_ok=True)
        _page(cached(notebook, flags), STAGE / "chapters" / page)
        entry = {_title(notebook): f"chapters/{page}"}
        (serving if notebook.parent.name == "serve" else other if "cli" in notebook.stem else offline).append(entry)
    return [{"Home": "index.md"}, {"Guides": [{"Contents": "guide/index.md"}, *guides]},
            {"Offline wing": offline}, {"Serving wing": serving}, {"Command line": other}, {"Benchmarks": "benchmarks/index.md"}]


def build(jobs: int = 2) -> Path:
    "Execute what the cache lacks, stage, and build the site into _site/."
    import yaml
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    flags, notebooks, started = skip_flags(), chapters(), time.time()
    missing = [nb for nb in notebooks if not cached(nb, flags).exists()]
    if missing:
        print(f"executing {len(missing)} of {len(notebooks)} chapters ({jobs} at a time); the rest are cached in {CACHE.relative_to(ROOT)}")
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = dict(zip(missing, pool.map(execute, missing, [flags] * len(missing))))
        failed = [nb.name for nb, (ok, _) in results.items() if not ok]
        if failed: sys.exit(f"error: {', '.join(failed)} failed to run (traceback above): no site built")
    nav = stage(notebooks, flags)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    config.update(nav=nav, docs_dir=str(STAGE), site_dir=str(SITE))
    written = STAGE.parent / "mkdocs.yml"
    written.write_text(yaml.safe_dump(config, sort_keys=False))
    mkdocs_build(load_config(str(written)))
    print(f"site built in {time.time() - started:.0f} s: {SITE.relative_to(ROOT)}/index.html")
    return SITE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at once")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(Path(__file__).parent))
    import build_docs  # the pool's workers find `execute` in a module by name (IPython may replace __main__)
    build_docs.build(args.jobs)


if __name__ == "__main__": main()
