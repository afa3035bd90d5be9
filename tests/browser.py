"""Drive a real JupyterLab in headless Chromium: run a notebook, move a widget's control,
and check that the widget's picture is redrawn.  Used by tests/test_browser.py.

One case = (notebook, control, image): the control is found by its description label
(``"seconds"``) or by its index among the notebook's sliders; the picture is the
``image``-th ``<img>`` of the smallest widget box around that control (for a
``vulib.widgets.Explorer``: its ``ipywidgets.Image``).

What it does, per case:

1. starts ``python -m jupyter lab`` on 127.0.0.1 (random free port, a token) with its
   config, data, runtime, settings and workspaces dirs in a temp folder, serving a
   temp copy of ``notebooks/`` (the repository's notebooks are never touched);
2. opens the notebook in Debian's ``/usr/bin/chromium`` through Playwright (never a
   downloaded browser), waits until the kernel is *connected* and idle (the toolbar
   says "idle" before that, and "run all" would then silently do nothing);
3. runs all cells through ``window.jupyterapp`` and waits for them;
4. waits for the picture to settle, screenshots it, moves the control with the keyboard
   alone (focus goes to the widget, then Tab until the control has it; ArrowRight on a
   slider's handle, ArrowDown on a dropdown), waits again, screenshots; records the
   control's accessible name (what a screen reader announces) and the Explorer's text
   line (``vulib.widgets.Explorer``'s description) before and after;
5. shuts the kernel down through the REST API (from the page, a confirm dialog would
   hang), stops the server and the browser.  A watchdog kills them all at the deadline,
   so nothing can hang past it.

Also :func:`check_folded_hints`: a student version's hint cells, closed and then opened.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
START_SCRIPT = Path(__file__).resolve().parent.parent / "binder" / "start"
# Measured on the machines this suite is developed on: without the networking flags, headless
# Chromium keeps dialling Google's hosts on a closed network, many connections at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
MARK = "data-vulib-test"  # attribute set on the control / widget box / picture found


@dataclass(frozen=True)
class WidgetCase:
    """A widget to drive: ``control`` is a description label (str) or a slider index (int)."""

    notebook: str
    control: str | int
    image: int = 0
    audio: bool = False  # also check that the page's <audio> players load their sound (lesson 10)

    def __str__(self) -> str:
        return f"{Path(self.notebook).stem}-{self.control}"


@dataclass
class WidgetResult:
    control_before: str = ""
    control_after: str = ""
    src_before: str = ""
    src_after: str = ""
    digest_before: str = ""
    digest_after: str = ""
    screenshots: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)  # the page's console errors while it ran
    audio_durations: list[float] = field(default_factory=list)  # seconds of each <audio> player (case.audio)
    tabs: int = 0  # Tab presses from the widget's start to the control
    accessible_name: str = ""  # the focused control's accessible name (Chromium's accessibility tree)
    visible_label: str = ""  # the control's label as shown
    text_before: str = ""  # the Explorer's description line before / after the move
    text_after: str = ""
    focused: str = ""  # the focused control: its accessibility snapshot and HTML


# --------------------------------------------------------------------------- requirements


def missing_requirements() -> list[str]:
    """Why the browser test cannot run here (empty when it can)."""
    why = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        why.append("the Python package playwright is missing (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        why.append(
            f"{CHROMIUM} is missing (Debian: apt-get install -y chromium; "
            "bash scripts/test.sh installs it when run as root)"
        )
    return why


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# --------------------------------------------------------------------------- deadline


class DeadlineExceeded(AssertionError):
    pass


class Deadline:
    """An overall time budget: ``ms()`` is what a Playwright call may still wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.t0 = seconds, time.monotonic()
        self.step = "starting"

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.t0)

    def ms(self, cap: float | None = None) -> float:
        left = self.left()
        if left <= 0:
            raise DeadlineExceeded(f"browser test ran past its {self.seconds:.0f} s deadline while {self.step}")
        return 1000 * (min(left, cap) if cap else left)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0


class Watchdog:
    """At the deadline (plus grace), kill what the test started, so no call can hang on."""

    def __init__(self, deadline: Deadline, grace: float = 10) -> None:
        self.pgids: list[int] = []
        self.fired = False
        self._timer = threading.Timer(max(deadline.left(), 0) + grace, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        for pgid in self.pgids:
            _killpg(pgid)
        try:  # the Playwright driver and the Chromium it started are this process's children
            import psutil

            for child in psutil.Process().children(recursive=True):
                child.kill()
        except Exception:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


def _killpg(pgid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A private JupyterLab server on a temp copy of ``notebooks``."""

    def __init__(self, notebooks: Path, tmp: Path) -> None:
        self.tmp = tmp
        self.root = tmp / "notebooks"
        shutil.copytree(notebooks, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "jupyter.log"
        self.proc: subprocess.Popen | None = None

    def start(self, deadline: Deadline) -> None:
        t = self.tmp
        settings = t / "settings"
        # Every cell kept in the page (no windowing), so that widgets below the fold are in the
        # DOM.  Everything else comes from the course's own Jupyter settings (binder/jupyter:
        # no news pop-up, a kernel ends when its tab closes), added by binder/start exactly as
        # scripts/lab.sh and Binder do.
        name = "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps({"windowingMode": "none"}))
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(t / "config"),
            JUPYTER_DATA_DIR=str(t / "data"),
            JUPYTER_RUNTIME_DIR=str(t / "runtime"),
            IPYTHONDIR=str(t / "ipython"),
        )
        env.pop("JUPYTER_CONFIG_PATH", None)
        cmd = [
            "bash",
            str(START_SCRIPT),
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={t / 'workspaces'}",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline.step = "waiting for the JupyterLab server to answer"
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                deadline.ms()
                time.sleep(0.2)

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Through the REST API: from the page, JupyterLab would ask in a dialog and hang."""
        for kernel in self.api("GET", "/api/kernels", timeout=5):
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.shutdown_kernels()
        except Exception:
            pass
        try:
            self.api("POST", "/api/shutdown", timeout=5)
            self.proc.wait(timeout=10)
        except Exception:
            _killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _killpg(self.proc.pid)  # anything left in its process group (kernels)
        self.proc.wait(timeout=5)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


# --------------------------------------------------------------------------- page helpers

_KERNEL_READY = """() => {
  const app = window.jupyterapp, w = app && app.shell.currentWidget;
  if (!w || !w.sessionContext || !w.context || !w.context.isReady) return false;
  const sc = w.sessionContext, k = sc.session && sc.session.kernel;
  return !!k && sc.isReady && k.connectionStatus === 'connected' && k.status === 'idle';
}"""

_KERNEL_STATUS = """() => {
  const w = window.jupyterapp.shell.currentWidget, k = w.sessionContext.session?.kernel;
  return k ? k.connectionStatus + '/' + k.status : 'no kernel';
}"""

_RUN_ALL = """() => {
  window.__vulibRun = {done: false};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => { window.__vulibRun = {done: true, ok: ok !== false}; },
    err => { window.__vulibRun = {done: true, ok: false, error: String(err)}; });
}"""

_ERRORS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
  )].map(e => e.innerText.slice(0, 1500))"""

# Finds the control, the smallest widget box around it holding an <img>, and that box's
# image-th <img>; marks the three with data-vulib-test so Python can use locators.
_FIND = """([control, imageIndex, mark]) => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return {error: 'no notebook on the page'};
  document.querySelectorAll('[' + mark + ']').forEach(e => e.removeAttribute(mark));
  const controls = [...nb.querySelectorAll('.jp-OutputArea-output .widget-inline-hbox')];
  const label = c => (c.querySelector(':scope > .widget-label')?.textContent || '').trim();
  const sliders = controls.filter(c => c.querySelector('.noUi-handle'));
  const el = typeof control === 'number' ? sliders[control]
                                         : controls.find(c => label(c) === control);
  const seen = controls.map(label).filter(Boolean);
  if (!el) return {error: 'no control ' + JSON.stringify(control) + ' (sliders: ' + sliders.length
                          + ', labels seen: ' + JSON.stringify(seen) + ')'};
  let box = el.parentElement;
  while (box && !box.querySelector('img') && !box.classList.contains('jp-OutputArea-output'))
    box = box.parentElement;
  const imgs = box ? [...box.querySelectorAll('img')] : [];
  if (!imgs[imageIndex]) return {error: 'no picture #' + imageIndex + ' next to control '
                                        + JSON.stringify(control) + ' (found ' + imgs.length + ')'};
  el.setAttribute(mark, 'control');
  box.setAttribute(mark, 'widget');
  imgs[imageIndex].setAttribute(mark, 'image');
  return {ok: true, kind: el.querySelector('.noUi-handle') ? 'slider'
                          : el.querySelector('select') ? 'dropdown' : 'other'};
}"""

# The picture's src and a digest of its bytes (ipywidgets gives each value a new blob: URL,
# so comparing src alone would pass even if the bytes stayed the same).
_PICTURE = """async (mark) => {
  const img = document.querySelector('[' + mark + '="image"]');
  if (!img || !img.src || !img.complete || !img.naturalWidth) return null;
  const src = img.src;
  const bytes = new Uint8Array(await (await fetch(src)).arrayBuffer());
  let h = 0x811c9dc5;
  for (const b of bytes) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  const w = window.jupyterapp.shell.currentWidget, k = w.sessionContext.session?.kernel;
  return {src, digest: bytes.length + ':' + h.toString(16), idle: !!k && k.status === 'idle'};
}"""

_READOUT = """(mark) => {
  const c = document.querySelector('[' + mark + '="control"]');
  const r = c && (c.querySelector('.widget-readout') || c.querySelector('select'));
  return r ? (r.value !== undefined && r.tagName === 'SELECT' ? r.value : r.textContent.trim()) : '';
}"""


def wait_picture_settled(page, deadline: Deadline, quiet: float = 1.0, poll: float = 0.1) -> dict:
    """Wait until the picture has the same bytes for ``quiet`` seconds with the kernel idle
    (a control move can queue several redraws)."""
    last, since = None, time.monotonic()
    while True:
        pic = page.evaluate(_PICTURE, MARK)
        key = pic and (pic["src"], pic["digest"])
        if key != last:
            last, since = key, time.monotonic()
        elif pic and pic["idle"] and time.monotonic() - since >= quiet:
            return pic
        deadline.ms()
        time.sleep(poll)


_FOCUS_WIDGET = """(mark) => { const box = document.querySelector('[' + mark + '="widget"]');
  box.setAttribute('tabindex', '-1'); box.focus(); return document.activeElement === box; }"""

_FOCUS_IN_CONTROL = """(mark) => { const c = document.querySelector('[' + mark + '="control"]');
  const a = document.activeElement; return !!c && a !== document.body && c.contains(a); }"""

_LABEL = """(mark) => (document.querySelector('[' + mark + '="control"] .widget-label')?.textContent || '').trim()"""

_DESCRIPTION = """(mark) => (document.querySelector('[' + mark + '="widget"] .vulib-explorer-description')?.innerText
  || '').trim()"""


def keyboard_move(page, deadline: Deadline, kind: str, res=None, max_tabs: int = 12) -> None:
    """Move the marked control with key presses only: focus the widget (as a reader who reached it),
    press Tab until the control has the focus, then ArrowRight (slider) or ArrowDown (dropdown).
    Records the Tab count and the focused control's accessible name in ``res``."""
    assert page.evaluate(_FOCUS_WIDGET, MARK), "could not put the focus on the widget"
    for tabs in range(1, max_tabs + 1):
        page.keyboard.press("Tab")
        if page.evaluate(_FOCUS_IN_CONTROL, MARK):
            break
    else:
        raise AssertionError(f"{max_tabs} presses of Tab never reached the control")
    if res is not None:
        res.tabs = tabs
        snap = page.locator("*:focus").aria_snapshot(timeout=deadline.ms(10))
        m = re.search(r'^- \w+ "([^"]*)"', snap, re.M)
        res.accessible_name = m.group(1) if m else ""
        res.focused = snap[:200] + " | " + page.evaluate("() => document.activeElement.outerHTML.slice(0, 300)")
        res.visible_label = page.evaluate(_LABEL, MARK)
    page.keyboard.press("ArrowRight" if kind == "slider" else "ArrowDown")


def move_control(page, deadline: Deadline, kind: str) -> None:
    control = page.locator(f'[{MARK}="control"]')
    if kind == "slider":
        handle = control.locator(".noUi-handle").first
        handle.focus(timeout=deadline.ms(10))
        page.keyboard.press("ArrowRight")
    elif kind == "dropdown":
        select = control.locator("select")
        n = select.locator("option").count()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % n, timeout=deadline.ms(10))
    else:
        raise AssertionError(f"do not know how to move a control of kind {kind!r}")


# --------------------------------------------------------------------------- the driver


def _launch_chromium(stack: ExitStack, deadline: Deadline, tmp: Path):
    """Start Debian's headless Chromium with a profile under ``tmp``; closed by ``stack``. Returns its page."""
    from playwright.sync_api import sync_playwright

    pw = stack.enter_context(sync_playwright())
    context = pw.chromium.launch_persistent_context(
        str(tmp / "chromium-profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
        timeout=deadline.ms(30),
    )
    stack.callback(context.close)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(deadline.ms())
    return page


@contextmanager
def lab_page(notebooks: Path, deadline: Deadline):
    """A JupyterLab server on a temp copy of ``notebooks`` and a Chromium page; yields (server, page)."""
    watchdog = Watchdog(deadline)
    with ExitStack() as stack:
        stack.callback(watchdog.cancel)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vulib-browser-")))
        server = LabServer(notebooks, tmp)
        stack.callback(server.stop)
        server.start(deadline)
        watchdog.pgids.append(server.proc.pid)
        deadline.step = "starting Chromium"
        page = _launch_chromium(stack, deadline, tmp)
        try:
            yield server, page
        except DeadlineExceeded:
            raise
        except Exception as e:
            if watchdog.fired or deadline.left() < 1:
                how = "; the watchdog killed it" if watchdog.fired else ""
                raise DeadlineExceeded(
                    f"browser test ran past its {deadline.seconds:.0f} s deadline while {deadline.step}"
                    f"{how} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})\n"
                    f"--- server log (end) ---\n{server.log_tail(1500)}"
                ) from e
            raise


def check_widget(case: WidgetCase, notebooks: Path, shots: Path, deadline: Deadline) -> WidgetResult:
    """Run ``case.notebook`` in JupyterLab, move ``case.control``, return what the picture did."""
    res = WidgetResult()
    shots.mkdir(parents=True, exist_ok=True)
    for old in ("before", "after", "failure"):  # no stale pictures from an earlier run
        (shots / f"{case}-{old}.png").unlink(missing_ok=True)
    with lab_page(notebooks, deadline) as (server, page):
        page.on("console", lambda m: res.console_errors.append(m.text[:300]) if m.type == "error" else None)
        try:
            _drive(case, server, page, shots, deadline, res)
        except Exception:
            fail = shots / f"{case}-failure.png"
            try:
                page.screenshot(path=str(fail), full_page=False, timeout=5000)
                res.screenshots.append(fail)
            except Exception:
                pass
            raise
        finally:
            failed_step = deadline.step  # the error message names the step that failed, not this one
            deadline.step = "shutting the kernel down"
            try:
                server.shutdown_kernels()
            except Exception:
                pass
            deadline.step = failed_step
    res.timings["total"] = deadline.elapsed()
    return res


def _drive(case, server, page, shots, deadline, res) -> None:
    t = deadline.elapsed
    res.timings["server up"] = t()
    deadline.step = f"opening {case.notebook}"
    page.goto(f"{server.url}/lab/tree/{case.notebook}?token={server.token}", timeout=deadline.ms(60))
    deadline.step = "waiting for the kernel to be connected and idle"
    page.wait_for_function(_KERNEL_READY, timeout=deadline.ms())
    res.timings["kernel ready"] = t()

    deadline.step = f"running all cells of {case.notebook}"
    page.evaluate(_RUN_ALL)
    page.wait_for_function("() => window.__vulibRun.done", timeout=deadline.ms(), polling=250)
    run = page.evaluate("() => window.__vulibRun")
    errors = page.evaluate(_ERRORS)
    assert run["ok"] and not errors, (
        f"running {case.notebook} failed ({run.get('error', '')}):\n"
        + "\n---\n".join(errors)
        + f"\n--- server log (end) ---\n{server.log_tail()}"
    )
    page.wait_for_function(_KERNEL_READY, timeout=deadline.ms())
    res.timings["cells run"] = t()

    if case.audio:
        deadline.step = "waiting for the sound players to load their sound"
        page.wait_for_function(
            """() => { const a = [...document.querySelectorAll('audio')];
            return a.length > 0 && a.every(e => e.readyState >= 1 || e.error); }""",
            timeout=deadline.ms(),
            polling=250,
        )
        res.audio_durations = page.evaluate(
            "() => [...document.querySelectorAll('audio')].map(e => e.error ? -1 : e.duration)"
        )
        res.timings["sound loaded"] = t()

    deadline.step = f"finding the picture next to control {case.control!r}"
    found = None
    while not (found and found.get("ok")):  # widget views render after the cells finish
        found = page.evaluate(_FIND, [case.control, case.image, MARK])
        if not found.get("ok"):
            if deadline.left() < 0:
                raise AssertionError(found["error"])
            time.sleep(0.2)
    widget = page.locator(f'[{MARK}="widget"]')
    widget.scroll_into_view_if_needed(timeout=deadline.ms())

    def snapshot(label):
        """Wait until the picture stops changing; screenshot the widget; return picture and control readout."""
        deadline.step = f"waiting for the {label} picture to settle"
        pic = wait_picture_settled(page, deadline)
        res.screenshots.append(shots / f"{case}-{label}.png")
        widget.screenshot(path=str(res.screenshots[-1]), timeout=deadline.ms())
        return pic["src"], pic["digest"], page.evaluate(_READOUT, MARK)

    res.src_before, res.digest_before, res.control_before = snapshot("before")
    res.text_before = page.evaluate(_DESCRIPTION, MARK)

    deadline.step = f"moving control {case.control!r} with the keyboard"
    keyboard_move(page, deadline, found["kind"], res)
    t_move = t()
    deadline.step = "waiting for the picture to change"
    page.wait_for_function(
        f"""(src) => document.querySelector('[{MARK}="image"]')?.src !== src""",
        arg=res.src_before,
        timeout=deadline.ms(30),
        polling=50,
    )
    res.timings["first redraw after move"] = t() - t_move
    res.src_after, res.digest_after, res.control_after = snapshot("after")
    deadline.step = "waiting for the description to follow the picture"
    if res.text_before:
        try:
            page.wait_for_function(
                f"(t) => ({_DESCRIPTION})({json.dumps(MARK)}) !== t",
                arg=res.text_before,
                timeout=deadline.ms(10),
                polling=100,
            )
        except Exception:
            pass  # asserted by the test, with both texts in the message
    res.text_after = page.evaluate(_DESCRIPTION, MARK)
    res.timings["done"] = t()


# --------------------------------------------------------------------------- closing a tab

_OPEN = """(path) => window.jupyterapp.commands.execute('docmanager:open', {path})"""

_CURRENT_PATH = """() => window.jupyterapp.shell.currentWidget?.context?.path || ''"""

_OUTPUT_TEXT = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')].map(e => e.innerText).join('\\n')"""

# Save the notebook open at `path` (running it made it "dirty", and closing a dirty notebook asks
# in a dialog whether to save), then close its tab as a learner does.
_CLOSE = """async (path) => {
  const w = [...window.jupyterapp.shell.widgets('main')].find(w => w.context?.path === path);
  if (!w) return 'no tab for ' + path;
  await w.context.save();
  w.close();
  return 'closed';
}"""


@dataclass
class CloseTabResult:
    kernels_with_both_open: list = field(default_factory=list)
    kernels_after_close: list = field(default_factory=list)
    second_kernel: str = ""
    report: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def _tiny_notebook(path: Path, source: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)  # with a kernel named: no "select a kernel" dialog


def _open_and_run(page, server, path: str, deadline: Deadline) -> str:
    """Open ``path`` (a new tab), wait for its kernel, run every cell; return the id of its kernel."""
    deadline.step = f"opening {path}"
    page.evaluate(_OPEN, path)
    page.wait_for_function(f"() => ({_CURRENT_PATH})() === {json.dumps(path)}", timeout=deadline.ms(30))
    deadline.step = f"waiting for the kernel of {path}"
    page.wait_for_function(_KERNEL_READY, timeout=deadline.ms())
    deadline.step = f"running {path}"
    page.evaluate(_RUN_ALL)
    page.wait_for_function("() => window.__vulibRun.done", timeout=deadline.ms(), polling=250)
    assert page.evaluate("() => window.__vulibRun.ok"), f"running {path} failed"
    page.wait_for_function(_KERNEL_READY, timeout=deadline.ms())
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")


def check_close_tab(notebooks: Path, deadline: Deadline) -> CloseTabResult:
    """Two notebooks open (two kernels); the second reports memory and names the first; closing
    the first's tab must end its kernel.  Uses the course's Jupyter settings (binder/start)."""
    res = CloseTabResult()
    with lab_page(notebooks, deadline) as (server, page):
        t = deadline.elapsed
        _tiny_notebook(server.root / "first_lesson.ipynb", "import vulib\nx = bytearray(200 * 2**20)  # hold 200 MB")
        _tiny_notebook(server.root / "second_lesson.ipynb", "import vulib\nprint(vulib.environment_summary())")
        deadline.step = "opening JupyterLab"
        page.goto(f"{server.url}/lab?token={server.token}", timeout=deadline.ms(60))
        page.wait_for_function(
            "() => window.jupyterapp?.commands.hasCommand('docmanager:open')", timeout=deadline.ms(60)
        )
        page.evaluate("() => window.jupyterapp.restored")
        _open_and_run(page, server, "first_lesson.ipynb", deadline)
        res.second_kernel = _open_and_run(page, server, "second_lesson.ipynb", deadline)
        res.report = page.evaluate(_OUTPUT_TEXT)
        res.kernels_with_both_open = [k["id"] for k in server.api("GET", "/api/kernels")]
        res.timings["both open"] = t()
        deadline.step = "closing the first notebook's tab"
        assert page.evaluate(_CLOSE, "first_lesson.ipynb") == "closed"
        while True:  # the shutdown request goes out when the tab is disposed
            res.kernels_after_close = [k["id"] for k in server.api("GET", "/api/kernels")]
            if len(res.kernels_after_close) < len(res.kernels_with_both_open) or deadline.left() < 5:
                break
            time.sleep(0.2)
        res.timings["first closed"] = t()
        deadline.step = "shutting the kernels down"
        server.shutdown_kernels()
    return res


# --------------------------------------------------------------------------- folded exercise hints
@dataclass
class HintResult:
    """What JupyterLab showed of each ``<details>`` hint cell, in notebook order."""

    folded: list = field(default_factory=list)  # per hint cell: closed, its text hidden, no typeset math
    opened: list = field(default_factory=list)  # per hint cell: the text shown once its summary was clicked
    summaries: list = field(default_factory=list)
    raw: list = field(default_factory=list)  # what the page reported before the clicks
    timings: dict[str, float] = field(default_factory=dict)


_HINT_STATE = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown details')].map(d => {
  const body = [...d.children].filter(e => e.tagName !== 'SUMMARY');
  const shown = body.some(e => e.checkVisibility({contentVisibilityAuto: true}) && e.getClientRects().length > 0);
  return {open: d.open, shown, math: d.querySelectorAll('mjx-container, .MathJax, .katex').length,
          summary: d.querySelector('summary')?.innerText || '',
          text: body.map(e => e.textContent).join('\\n').trim()};
})"""


def check_folded_hints(notebook, deadline: Deadline, shots: Path | None = None) -> HintResult:
    """Open ``notebook`` (an nbformat notebook: a generated student version) in JupyterLab; for
    each ``<details>`` hint, record whether it is closed with its text hidden, then click its
    summary and record the text it shows."""
    import nbformat

    res = HintResult()
    with lab_page(Path(__file__).resolve().parent / "fixtures", deadline) as (server, page):
        t = deadline.elapsed
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, server.root / "hints_student.ipynb")
        deadline.step = "opening JupyterLab"
        page.goto(f"{server.url}/lab?token={server.token}", timeout=deadline.ms(60))
        page.wait_for_function(
            "() => window.jupyterapp?.commands.hasCommand('docmanager:open')", timeout=deadline.ms(60)
        )
        page.evaluate("() => window.jupyterapp.restored")
        deadline.step = "opening the student notebook"
        page.evaluate(_OPEN, "hints_student.ipynb")
        page.wait_for_function(f"() => ({_CURRENT_PATH})() === 'hints_student.ipynb'", timeout=deadline.ms(30))
        want = sum("exercise-hint" in c.metadata.get("tags", []) for c in notebook.cells)
        deadline.step = "waiting for the hint cells to render"
        page.wait_for_function(f"() => ({_HINT_STATE})().length >= {want}", timeout=deadline.ms(30))
        page.wait_for_timeout(1000)  # let MathJax typeset whatever it would
        before = page.evaluate(_HINT_STATE)
        res.raw = before
        res.folded = [not h["open"] and not h["shown"] and not h["math"] for h in before]
        res.summaries = [h["summary"] for h in before]
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "hints_folded.png"))
        deadline.step = "opening each hint"
        summaries = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown details > summary")
        for k in range(summaries.count()):
            summaries.nth(k).scroll_into_view_if_needed()
            summaries.nth(k).click()
        page.wait_for_timeout(500)
        after = page.evaluate(_HINT_STATE)
        res.opened = [h["text"] if h["open"] and h["shown"] and not h["math"] else None for h in after]
        if shots:
            page.screenshot(path=str(shots / "hints_opened.png"))
        res.timings["total"] = t()
        server.shutdown_kernels()
    return res


# --------------------------------------------------------------------------- the course website


@contextmanager
def static_server(folder: Path):
    """Serve ``folder`` over HTTP on 127.0.0.1 (a thread); yields the base URL."""
    import functools
    import http.server

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium_page(deadline: Deadline, tmp: Path):
    """A page of Debian's headless Chromium that records console errors, page errors and failed
    requests in ``page.vulib_problems``."""
    watchdog = Watchdog(deadline)
    with ExitStack() as stack:
        stack.callback(watchdog.cancel)
        page = _launch_chromium(stack, deadline, tmp)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        # net::ERR_ABORTED: a request the page itself dropped (a prefetch cut short by navigation)
        page.on(
            "requestfailed",
            lambda r: (
                problems.append(f"request failed: {r.url} ({r.failure})")
                if "ERR_ABORTED" not in (r.failure or "")
                else None
            ),
        )
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.vulib_problems = problems
        yield page


# Every <img> of the article: loaded, and with a non-zero size where it is displayed.
_IMAGES = """() => [...document.querySelectorAll('article img, .bd-article img')].map(i => ({
  src: i.src.slice(0, 80), complete: i.complete, natural: i.naturalWidth * i.naturalHeight,
  shown: !!i.offsetParent, box: i.getBoundingClientRect().width * i.getBoundingClientRect().height}))"""

# Links of the page to other pages or files of the site (not anchors within it, not other hosts).
_LOCAL_LINKS = """() => [...new Set([...document.querySelectorAll('a[href]')]
  .map(a => a.href.split('#')[0]).filter(h => h.startsWith(location.origin) && h !== location.href.split('#')[0]))]"""

_STATUS = """async (urls) => Promise.all(urls.map(async u => {
  try { const r = await fetch(u, {method: 'HEAD'}); return [u, r.status]; } catch (e) { return [u, String(e)]; } }))"""

# Press Play on the first to_jshtml animation; report its frame source before and after.
_PLAY = """async () => {
  const anim = document.querySelector('.animation');
  if (!anim) return null;
  anim.scrollIntoView();
  const img = anim.querySelector('img'), slider = anim.querySelector('input.anim-slider');
  const before = img.src, frames = Number(slider.max) + 1;
  anim.querySelector('button[title="Play"]').click();
  const t0 = performance.now();
  while (img.src === before && performance.now() - t0 < 5000) await new Promise(r => setTimeout(r, 50));
  anim.querySelector('button[title="Pause"]').click();
  return {frames, changed: img.src !== before, slider: slider.value};
}"""


@dataclass
class PageReport:
    url: str
    title: str = ""
    problems: list = field(default_factory=list)
    images: list = field(default_factory=list)
    links: list = field(default_factory=list)
    animation: dict | None = None
    text: str = ""


def check_site_page(page, url: str, deadline: Deadline, shot: Path | None = None) -> PageReport:
    """Open one page of the website; collect what the book test asserts."""
    rep = PageReport(url)
    start = len(page.vulib_problems)
    deadline.step = f"opening {url}"
    page.goto(url, wait_until="load", timeout=deadline.ms(60))
    rep.title = page.title()
    rep.text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    rep.images = page.evaluate(_IMAGES)
    rep.links = page.evaluate(_STATUS, page.evaluate(_LOCAL_LINKS))
    if shot is not None:  # the top of the page; the first static widget, if any
        page.screenshot(path=str(shot), full_page=False, timeout=deadline.ms(20))
        widget = page.locator(".vulib-static-widget").first
        if widget.count():
            widget.scroll_into_view_if_needed(timeout=deadline.ms(10))
            widget.screenshot(path=str(shot.with_name(shot.stem + "-widget.png")), timeout=deadline.ms(20))
    deadline.step = f"playing an animation on {url}"
    rep.animation = page.evaluate(_PLAY)
    if shot is not None and rep.animation:
        page.screenshot(path=str(shot.with_name(shot.stem + "-animation.png")), timeout=deadline.ms(20))
    rep.problems = page.vulib_problems[start:]
    return rep


_REVEAL = """() => window.Reveal && Reveal.isReady() ? {slides: Reveal.getTotalSlides(),
  index: Reveal.getIndices().h, images: [...document.querySelectorAll('.reveal img')].filter(
    i => i.complete && i.naturalWidth > 0).length} : null"""


def check_slides(page, url: str, deadline: Deadline, shots: Path) -> dict:
    """Open a reveal.js deck, step through its first slides; screenshot the title and a later slide."""
    start = len(page.vulib_problems)
    deadline.step = f"opening slides {url}"
    page.goto(url, wait_until="load", timeout=deadline.ms(60))
    page.wait_for_function(_REVEAL, timeout=deadline.ms(30))
    first = page.evaluate(_REVEAL)
    page.screenshot(path=str(shots / "slides-title.png"), timeout=deadline.ms(20))
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(800)  # the slide transition
    later = page.evaluate(_REVEAL)
    page.screenshot(path=str(shots / "slides-later.png"), timeout=deadline.ms(20))
    return {"first": first, "later": later, "problems": page.vulib_problems[start:]}


# --------------------------------------------------------------------------- live slides (RISE)

_ACTIVE_OUTPUT = """() => document.querySelector('.jp-Cell.jp-mod-active')?.innerText || ''"""


@dataclass
class RiseResult:
    first_view: list = field(default_factory=list)
    slides: int = 0
    output: str = ""
    offsite: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def check_rise(notebooks: Path, notebook: str, shots: Path, deadline: Deadline, expect: str) -> RiseResult:
    """Open ``notebook`` in JupyterLab without running anything (``first_view``: the texts of its
    widget outputs), then a copy of it without outputs as a RISE slideshow (``/rise/<path>``): step
    from the title slide to the set-up slide, run its cells with Shift+Enter as a teacher does, and
    wait for ``expect`` in an output.  Screenshots: ``rise-title.png``, ``rise-output.png``."""
    res = RiseResult()
    shots.mkdir(parents=True, exist_ok=True)
    with lab_page(notebooks, deadline) as (server, page):
        t = deadline.elapsed
        page.on("console", lambda m: res.console_errors.append(m.text[:200]) if m.type == "error" else None)
        page.on(
            "request",
            lambda r: (
                res.offsite.append(r.url)
                if not r.url.startswith((server.url, "data:", "blob:", "ws://127.0.0.1"))
                else None
            ),
        )
        deadline.step = f"opening {notebook} in JupyterLab, nothing run"
        page.goto(f"{server.url}/lab/tree/{notebook}?token={server.token}", timeout=deadline.ms(60))
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-OutputArea-output').length > 0", timeout=deadline.ms(60)
        )
        res.first_view = [t for t in page.locator(".jp-OutputArea-output").all_inner_texts() if "Explorer" in t]
        res.timings["first view"] = t()
        # The slideshow runs a copy without stored outputs, so that an output seen was made live.
        import nbformat

        live = f"live_{notebook}"
        nb = nbformat.read(server.root / notebook, 4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, server.root / live)
        server.shutdown_kernels()
        deadline.step = f"opening the RISE slideshow of {live}"
        page.goto(f"{server.url}/rise/{live}?token={server.token}", timeout=deadline.ms(60))
        page.wait_for_selector(".reveal .slides section", timeout=deadline.ms(60))
        deadline.step = "waiting for the slideshow's kernel"
        # The slideshow's own kernel: the session of the live copy.  (The first view's page may still start a
        # kernel for the original after it was shut down; that one stays "starting", since no page connects.)
        while True:
            sessions = server.api("GET", "/api/sessions")
            mine = [s["kernel"] for s in sessions if s["path"].endswith(live)]
            if mine and all(k["execution_state"] == "idle" for k in mine):
                break
            deadline.step = (
                f"waiting for the slideshow's kernel (sessions now: "
                f"{[(s['path'], s['kernel']['execution_state']) for s in sessions]})"
            )
            deadline.ms()
            time.sleep(0.3)
        res.timings["kernel idle"] = t()
        res.slides = page.locator(".reveal .slides > section").count()
        page.screenshot(path=str(shots / "rise-title.png"), timeout=deadline.ms(20))
        deadline.step = "moving to the set-up slide and running its cells"
        page.keyboard.press("Space")  # the next slide or subslide, in order
        page.wait_for_timeout(1000)  # the transition
        page.locator(".jp-Cell.jp-mod-active .jp-InputPrompt").first.click(timeout=deadline.ms(20))
        want = json.dumps(expect)
        seen = f"() => [...document.querySelectorAll('.jp-OutputArea-output')].some(e => e.innerText.includes({want}))"
        # Shift+Enter runs the active cell and moves on: the imports, then the cell that prints.  The first
        # wait is long (a loaded machine imports torch slowly); the further presses are for a press the
        # page missed.
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(300)
        for press in range(5):
            page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_function(seen, timeout=deadline.ms(150 if press == 0 else 20), polling=250)
                break
            except Exception:
                if deadline.left() < 5 or press == 4:
                    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
                    raise AssertionError(
                        f"no output with {expect!r} after {press + 2} presses of Shift+Enter; "
                        f"kernels: {server.api('GET', '/api/kernels')}; outputs: "
                        f"{[o[:120] for o in outputs][:8]}"
                    ) from None
        outputs = page.locator(".jp-OutputArea-output")
        res.output = "\n".join(outputs.nth(i).inner_text() for i in range(outputs.count()))
        res.timings["output seen"] = t()
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / "rise-output.png"), timeout=deadline.ms(20))
        deadline.step = "shutting the kernel down"
        server.shutdown_kernels()
    return res


# --------------------------------------------------------------------------- accessibility (axe-core)

IMPACTS = ("critical", "serious", "moderate", "minor")


def axe_missing() -> list[str]:
    """Why the axe-core scan cannot run here (empty when it can)."""
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        return ["axe-playwright-python is missing (pip install -e '.[test]'; it bundles axe-core)"]
    return []


def axe_scan(page, url: str, deadline: Deadline) -> dict:
    """Open ``url`` and run axe-core (bundled with axe-playwright-python: nothing from the network)
    over the whole page, all its rules.  Returns ``{"url", "axe", "counts": {impact: n},
    "violations": [{"id", "impact", "help", "nodes": n, "targets": [...]}]}``, where a count is the
    number of elements that fail (one rule failing on 12 images counts 12)."""
    from axe_playwright_python.sync_playwright import Axe

    deadline.step = f"scanning {url} with axe-core"
    page.goto(url, wait_until="load", timeout=deadline.ms(60))
    results = Axe().run(page, options={"resultTypes": ["violations"]}).response
    counts = {impact: 0 for impact in IMPACTS}
    violations = []
    for v in results.get("violations", []):
        impact = v.get("impact") or "minor"
        counts[impact] = counts.get(impact, 0) + len(v["nodes"])
        violations.append(
            {
                "id": v["id"],
                "impact": impact,
                "help": v["help"],
                "nodes": len(v["nodes"]),
                "targets": [" ".join(map(str, n["target"])) for n in v["nodes"][:5]],
                "summary": (v["nodes"][0].get("failureSummary") or "")[:400],
            }
        )
    return {
        "url": url,
        "axe": results.get("testEngine", {}).get("version", ""),
        "counts": counts,
        "violations": violations,
    }
