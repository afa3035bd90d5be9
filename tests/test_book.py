"""The course website and the slides, built by scripts/book.py and read in a real browser.

Builds the book once (into a temp folder, from notebooks/ as committed), serves it on
127.0.0.1 and opens every page in Debian's headless Chromium (the harness of
tests/browser.py): no console error or failed request; the lesson's title and learning goals;
every figure loaded with a non-zero size; a static-twin animation advances when played;
every link to another page or file of the site answers; widgets that need a kernel carry the
note; solutions start folded.  Then one slide deck: reveal.js starts and moves on.
Screenshots: artifacts/screenshots/book-*.png, slides-*.png.  Last, axe-core scans every page
(accessibility, issue 32): results in artifacts/accessibility/.

Needs the ``book`` extra (Sphinx, myst-nb, reveal.js), playwright and /usr/bin/chromium
(bash scripts/test.sh installs all three).  Without them it is skipped, unless CI is set:
then it fails.
"""

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import browser
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
DEADLINE_S = float(os.environ.get("VULIB_BOOK_DEADLINE", "240"))
AXE_DEADLINE_S = float(os.environ.get("VULIB_AXE_DEADLINE", "480"))  # ~10 s a page on a busy 2-core machine

_spec = importlib.util.spec_from_file_location("vulib_book", ROOT / "scripts" / "book.py")
book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book)

LESSONS = book.lessons()


def require_book():
    missing = browser.missing_requirements()
    for module, what in (("sphinx", "Sphinx"), ("myst_nb", "myst-nb"), ("sphinx_revealjs", "reveal.js")):
        if importlib.util.find_spec(module) is None:
            missing.append(f"{what} is missing (pip install -e '.[book]')")
    if missing:
        why = "book test cannot run: " + "; ".join(missing)
        if browser.in_ci():
            pytest.fail(why + " (CI is set, so this fails instead of skipping)", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_book()
    out = tmp_path_factory.mktemp("book")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "book.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print(f"book built in {time.perf_counter() - t0:.1f} s: {proc.stdout.strip()}")
    warnings = [l for l in proc.stderr.splitlines() if "WARNING" in l or "ERROR" in l]
    assert not warnings, "sphinx warned:\n" + "\n".join(warnings[:20])
    return out / "html"


def _expectations(path: Path) -> dict:
    nb = nbformat.read(path, 4)
    saved = book.SavedWidgets(nb)
    controls = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(book.WIDGET_VIEW)
            if view and view.get("model_id") in saved.models and saved.has_controls(view["model_id"]):
                controls += 1
    return {
        "widgets": controls,
        "solutions": any("# BEGIN SOLUTION" in c.source for c in nb.cells if c.cell_type == "code"),
        "animation": any(
            "anim-slider" in "".join(o.get("data", {}).get("text/html", ""))
            for c in nb.cells
            for o in c.get("outputs", [])
        ),
        "title": nb.cells[0].source.splitlines()[0].lstrip("# ").strip(),
    }


def test_book_pages_and_one_slide_deck_in_a_browser(site, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    deadline = browser.Deadline(DEADLINE_S)
    failures = []
    with browser.static_server(site) as base, browser.chromium_page(deadline, tmp_path) as page:
        index = browser.check_site_page(page, f"{base}/index.html", deadline, SHOTS / "book-index.png")
        failures += [f"index: {p}" for p in index.problems]
        linked = {u.rsplit("/", 1)[-1] for u, _ in index.links}
        for path in LESSONS:
            if f"{path.stem}.html" not in linked:
                failures.append(f"index: no link to {path.stem}.html")
        failures += [f"index: link {u} -> {s}" for u, s in index.links if s != 200]

        for path in LESSONS:
            want = _expectations(path)
            url = f"{base}/{path.stem}.html"
            rep = browser.check_site_page(page, url, deadline, SHOTS / f"book-{path.stem}.png")
            where = path.stem
            failures += [f"{where}: {p}" for p in rep.problems]
            if want["title"] not in rep.title.replace("\u00b7", "·"):
                failures.append(f"{where}: page title {rep.title!r} lacks {want['title']!r}")
            if "Learning goals" not in rep.text:
                failures.append(f"{where}: no learning goals on the page")
            for img in rep.images:
                if not img["complete"] or not img["natural"] or (img["shown"] and not img["box"]):
                    failures.append(f"{where}: image not drawn: {img}")
            if not rep.images:
                failures.append(f"{where}: no figure at all")
            if want["animation"] and not (rep.animation and rep.animation["changed"]):
                failures.append(f"{where}: the animation did not advance when played: {rep.animation}")
            failures += [f"{where}: link {u} -> {s}" for u, s in rep.links if s != 200]
            notes = page.locator(".vulib-kernel-note").count()
            if notes != want["widgets"]:
                failures.append(f"{where}: {notes} kernel notes for {want['widgets']} widgets with controls")
            if want["solutions"]:
                if page.get_by_text("Show solution").count() == 0:
                    failures.append(f"{where}: no folded solution")
                elif page.get_by_text("BEGIN SOLUTION").first.is_visible():
                    failures.append(f"{where}: a solution is visible before 'show solution'")
            print(
                f"{where}: {len(rep.images)} images, {len(rep.links)} links, animation {rep.animation}, "
                f"{notes} kernel notes"
            )

        deck = LESSONS[0].stem
        slides = browser.check_slides(page, f"{base}/slides/{deck}.slides.html", deadline, SHOTS)
        print(f"slides {deck}: {slides}")
        failures += [f"slides: {p}" for p in slides["problems"]]
        if not (slides["first"] and slides["first"]["slides"] >= 5):
            failures.append(f"slides: reveal.js did not start with >= 5 slides: {slides['first']}")
        elif not (slides["later"] and slides["later"]["index"] > slides["first"]["index"]):
            failures.append(f"slides: pressing -> did not move on: {slides}")
    print(f"browser part: {deadline.elapsed():.1f} s")
    assert not failures, "\n".join(failures)


def test_rise_slideshow_runs_the_setup_cells_live(tmp_path):
    """The live path: jupyterlab-rise in our JupyterLab shows a lesson as slides whose cells run.
    First, the same notebook opened in JupyterLab before anything ran: its widgets read as a sentence
    (vulib.widgets.Explorer's text form), not as ``Explorer(children=(HBox(...``."""
    require_book()  # the same requirements (RISE is in the lab extra; playwright, chromium)
    notebook = LESSONS[0].name
    res = browser.check_rise(ROOT / "notebooks", notebook, SHOTS, browser.Deadline(300), expect="| seed")
    print(
        f"RISE {notebook}: {res.slides} slides; output: {res.output[:300]!r}; timings (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items())
        + f"\nconsole errors (RISE / widget manager, not asserted): {len(res.console_errors)}, "
        + f"e.g. {sorted(set(res.console_errors))[:3]}"
    )
    print(f"first view in JupyterLab, before any cell ran: {res.first_view}")
    assert not [t for t in res.first_view if "children=" in t], (
        f"a widget shows as its widget tree before the cells run: {res.first_view}"
    )
    assert res.slides >= 5, f"RISE showed {res.slides} slides"
    assert "| seed" in res.output, res.output
    assert not res.offsite, f"the slideshow asked other hosts: {sorted(set(res.offsite))[:5]}"


# --------------------------------------------------------------------------- accessibility (axe-core)

AXE_OUT = ROOT / "artifacts" / "accessibility"
# Rules about the document's structure and text alternatives: none may fail, whatever axe's impact says.
STRUCTURE_RULES = {
    "page-has-heading-one",
    "heading-order",
    "empty-heading",
    "link-name",
    "image-alt",
    "label",
    "document-title",
    "html-has-lang",
    "landmark-one-main",
}


def test_every_page_passes_axe_core(site, tmp_path):
    """axe-core (bundled with axe-playwright-python: no network) on the landing page, every lesson and
    one slide deck, all rules: no violation of impact "serious" or "critical", none of the structure
    rules above.  Counts by impact per page, and every violation, in artifacts/accessibility/."""
    require_book()
    missing = browser.axe_missing()
    if missing:
        if browser.in_ci():
            pytest.fail("; ".join(missing) + " (CI is set, so this fails instead of skipping)", pytrace=False)
        pytest.skip("; ".join(missing))
    import json

    pages = ["index.html"] + [f"{p.stem}.html" for p in LESSONS] + [f"slides/{LESSONS[0].stem}.slides.html"]
    deadline = browser.Deadline(AXE_DEADLINE_S)
    results, failures = {}, []
    for name in pages:  # myst-nb would give a picture without a text alternative its file name as alt
        html_text = (site / name).read_text(encoding="utf-8")
        named = re.findall(r'<img\b[^>]*\balt="[^"]*\.(?:png|jpe?g|gif|svg)"', html_text)
        bare = [t for t in re.findall(r"<img\b[^>]*>", html_text) if not re.search(r"\salt=", t)]
        if named or bare:
            failures.append(
                f"{name}: {len(named)} pictures with a file name as alt, {len(bare)} without alt "
                "(add them to notebooks/alt_text.toml)"
            )
    with browser.static_server(site) as base, browser.chromium_page(deadline, tmp_path) as page:
        for name in pages:
            res = browser.axe_scan(page, f"{base}/{name}", deadline)
            res["url"] = name
            results[name] = res
            for v in res["violations"]:
                if v["impact"] in ("serious", "critical") or v["id"] in STRUCTURE_RULES:
                    failures.append(
                        f"{name}: {v['id']} ({v['impact']}, {v['nodes']} elements: {v['help']}) e.g. {v['targets'][:2]}"
                    )
    AXE_OUT.mkdir(parents=True, exist_ok=True)
    tmp = AXE_OUT / "axe-results.json.tmp"
    tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    tmp.replace(AXE_OUT / "axe-results.json")  # never half-written
    lines = [
        f"# axe-core {next(iter(results.values()))['axe']}: violations by impact (elements), per page",
        "",
        "| page | " + " | ".join(browser.IMPACTS) + " | rules |",
        "|---" * (len(browser.IMPACTS) + 2) + "|",
    ]
    for name, res in results.items():
        rules = ", ".join(f"{v['id']} ({v['nodes']})" for v in res["violations"]) or "-"
        lines.append(f"| {name} | " + " | ".join(str(res["counts"][i]) for i in browser.IMPACTS) + f" | {rules} |")
    (AXE_OUT / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"axe part: {deadline.elapsed():.1f} s")
    assert not failures, "accessibility violations (see docs/accessibility.md):\n" + "\n".join(failures)
