"""Open HTML pages in a real headless browser (Debian's ``chromium``) and report what a
reader would meet: images that did not load, maths left untypeset, and elements wider
than the window outside any scrolling box.

Pages are served over HTTP on 127.0.0.1 (so that one checking page may look inside the
others, which file URLs forbid) and loaded one after another in a frame of the given
width; the report comes back through ``--dump-dom``.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")

_CHECKER = """<!doctype html>
<html><body><pre id="browser-check"></pre>
<script>
const pages = %(pages)s;
// what a reader would meet on one loaded page
function inspect(doc, win) {
  const broken = [...doc.images]
    .filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.getAttribute("src"));
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const overflow = win.getComputedStyle(p).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") return true;
    }
    return false;
  };
  const hidden = (el) => el.getClientRects().length === 0;
  const wide = [...doc.body.querySelectorAll("*")]
    .filter((el) => !hidden(el) && el.getBoundingClientRect().right > win.innerWidth + 0.5
      && !scrolls(el))
    .map((el) => el.tagName + (el.id ? "#" + el.id : "")
      + (el.className ? "." + el.className : ""));
  const maths = [...doc.querySelectorAll(".math")];
  const untypeset = maths.filter((el) => !el.querySelector("mjx-container")).length;
  return {images: doc.images.length, broken, wide: wide.slice(0, 10), maths: maths.length,
          untypeset, scrollWidth: doc.documentElement.scrollWidth, innerWidth: win.innerWidth};
}
async function run() {
  const report = {};
  for (const page of pages) {
    const frame = document.createElement("iframe");
    frame.style.width = "%(width)dpx"; frame.style.height = "900px"; frame.style.border = "0";
    const loaded = new Promise((resolve) => frame.addEventListener("load", resolve));
    frame.src = page;
    document.body.appendChild(frame);
    await loaded;
    const win = frame.contentWindow;
    if (win.MathJax && win.MathJax.startup && win.MathJax.startup.promise) {
      await win.MathJax.startup.promise;
    }
    report[page] = inspect(frame.contentDocument, win);
    frame.remove();
  }
  document.getElementById("browser-check").textContent = JSON.stringify(report);
}
run().catch((e) => {
  document.getElementById("browser-check").textContent = JSON.stringify({error: String(e)});
});
</script></body></html>
"""


@contextmanager
def _served(root: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def check_pages(root: Path, pages: Sequence[str], *, width: int = 700) -> dict[str, Any]:
    """Load each page (a path relative to ``root``) at ``width`` px; a report per page.

    Each report holds ``images`` (how many), ``broken`` (their ``src``), ``wide`` (up to
    ten elements reaching past the window outside a scrolling box), ``maths`` and
    ``untypeset`` (MathJax elements, and those left as source), ``scrollWidth`` and
    ``innerWidth``.
    """
    assert BROWSER is not None, "chromium is not installed"
    checker = root / "_browser-check.html"
    checker.write_text(_CHECKER % {"pages": json.dumps(list(pages)), "width": width})
    try:
        with _served(root) as url:
            done = subprocess.run(
                [
                    BROWSER,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--window-size={width + 100},1000",
                    f"--virtual-time-budget={20000 + 3000 * len(pages)}",
                    "--dump-dom",
                    url + checker.name,
                ],
                capture_output=True,
                text=True,
                timeout=120 + 10 * len(pages),
                check=False,
            )
    finally:
        checker.unlink()
    start = done.stdout.find('<pre id="browser-check">')
    assert start >= 0, f"the pages did not load in chromium: {done.stderr[-500:]}"
    text = html.unescape(done.stdout[start:].split(">", 1)[1].split("</pre>", 1)[0])
    assert text, f"the check did not finish in chromium: {done.stderr[-500:]}"
    report: dict[str, Any] = json.loads(text)
    assert "error" not in report, report
    return report
