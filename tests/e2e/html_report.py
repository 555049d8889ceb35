#!/usr/bin/env python3
"""The HTML report in a real headless Chromium (Debian's `chromium`).

For the seed demo and a generated bundle (10,000 pods by default), `podtrace report` writes the
HTML report and the charts; Chromium then loads `report.html#selftest` (the page sorts its pod
table, opens a pod's timeline, checks that it is no wider than its window and that no label of
the pod's timeline is cut, and writes the outcome into <body data-selftest>) at 1400 px and in a
390 px frame (a phone), its DOM and console are checked (no console errors, no uncaught
exceptions), and screenshots of the page's top and of the opened pod at both widths are written
into WORKDIR/screenshots (printed at the end).
A third bundle, the demo with its pod renamed to `x<!--<script>pod-demo` in every log line
(issue 17), must give a page that works and shows that name as text.
Before that, the harness proves it can see console errors on a page that makes some.

usage: html_report.py PODTRACE_BIN WORKDIR [PODS]
"""

import re
import struct
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
]


def chromium(work, url, extra):
    profile = work / f"profile-{time.time_ns()}"
    r = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True, text=True, timeout=300,
    )
    return r.stdout, r.stderr


def console_errors(stderr):
    """Every console message and uncaught exception. Headless Chromium logs them all at INFO
    (console.error included), so the level cannot be told apart: the report writes nothing to the
    console, and any message counts as a failure."""
    return [l for l in stderr.splitlines() if ":CONSOLE" in l or "Uncaught" in l]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


# Headless Chromium will not make a window narrower than 500 px: the phone width is a 390 px
# frame around the page, which reports its self-test to the frame.
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0;background:#9e9e9e"><iframe src="{src}" style="width:390px;height:{h}px;border:0;background:#fff;display:block"></iframe>
<script>addEventListener('message',function(e){{var m=String(e.data);if(m.indexOf('selftest ')===0)document.body.dataset.selftest=m.slice(9);}});</script>
</body></html>"""


def check_page(work, name, html, shots):
    """The self-test at 1400 px and in a 390 px frame (it fails on a page wider than its window
    or a cut label in the opened pod's timeline), no console errors, and four screenshots into
    `shots`: the top of the page and the opened pod, at each width."""
    failures = []
    results = {}
    for width in (1400, 390):
        for view in ("selftest", "selftest-detail"):
            page = f"file://{html}#{view}"
            if width == 1400:
                url, size = page, f"--window-size=1400,{2400 if view == 'selftest' else 1400}"
            else:
                frame = work / f"{name}.{view}.390.html"
                frame.write_text(FRAME.format(src=page, h=2400))
                url, size = f"file://{frame}", "--window-size=500,2400"
            if view == "selftest":
                dom, err = chromium(work, url, ["--dump-dom", size])
                m = re.search(r'data-selftest="([^"]*)"', dom)
                got = m.group(1) if m else "did not run"
                results[width] = got
                if not got.startswith("ok"):
                    failures.append(f"{name} at {width} px: selftest {got}")
                errs = re.search(r'data-errors="([^"]*)"', dom)
                if errs:
                    failures.append(f"{name} at {width} px: page errors: {errs.group(1)}")
                ce = console_errors(err)
                if ce:
                    failures.append(f"{name} at {width} px: console: {ce[:5]}")
            shot = shots / f"{name}.{width}px.{'top' if view == 'selftest' else 'pod'}.png"
            chromium(work, url, [f"--screenshot={shot}", size, "--hide-scrollbars"])
            if not shot.exists():
                failures.append(f"{name}: no screenshot {shot.name}")
                continue
            w, h = png_size(shot)
            print(f"{name} at {width} px ({view}): screenshot {shot} {w}x{h}, {shot.stat().st_size} bytes")
            if shot.stat().st_size < 20_000:
                failures.append(f"{name}: screenshot {shot.name} {shot.stat().st_size} bytes looks empty")
    for width, got in results.items():
        print(f"{name} at {width} px: selftest {got}")
    return failures


def main():
    podtrace, work = sys.argv[1], Path(sys.argv[2]).resolve()
    pods = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    work.mkdir(parents=True, exist_ok=True)
    shots = work / "screenshots"
    shots.mkdir(exist_ok=True)
    failures = []

    # The harness sees console errors and uncaught exceptions.
    bad = work / "bad.html"
    bad.write_text("<html><body><script>console.error('deliberate console error');"
                   "throw new Error('deliberate exception');</script></body></html>")
    _, err = chromium(work, f"file://{bad}", ["--dump-dom"])
    seen = console_errors(err)
    if not any("deliberate console error" in l for l in seen) or not any("deliberate exception" in l for l in seen):
        failures.append(f"harness: console errors not detected: {seen}")
    else:
        print("harness: console errors and exceptions are detected")

    repo = Path(__file__).resolve().parents[2]
    gen = work / "generated"
    subprocess.run([podtrace, "simulate", str(gen), "--pods", str(pods), "--nodes", "20",
                    "--seed", "6", "--failures", "--init-containers"], check=True)
    # Issue 17: the demo with its pod renamed in every log line to a name that once put the
    # page's script into the double-escaped state (the page stopped working). The page must
    # work, and show the name as text.
    hostile = work / "hostile"
    hostile_name = "x<!--<script>pod-demo"
    for f in (repo / "samples" / "seed-demo").rglob("*"):
        if f.is_file():
            dst = hostile / f.relative_to(repo / "samples" / "seed-demo")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(f.read_bytes().replace(b"pod-demo", hostile_name.encode()))
    for name, bundle in (("demo", repo / "samples" / "seed-demo"), (f"generated-{pods}", gen),
                         ("hostile", hostile)):
        html = work / f"{name}.html"
        charts = work / f"{name}-charts"
        t = time.time()
        r = subprocess.run([podtrace, "report", "-q", str(bundle), "--slo", "upstream",
                            "--html", str(html), "--charts", str(charts)], capture_output=True, text=True)
        took = time.time() - t
        if r.returncode not in (0, 1):
            failures.append(f"{name}: podtrace report exited {r.returncode}: {r.stderr}")
            continue
        sizes = sorted((p.name, p.stat().st_size) for p in charts.iterdir())
        print(f"{name}: report in {took:.2f} s; HTML {html.stat().st_size} bytes; charts: "
              + ", ".join(f"{n} {s}" for n, s in sizes))
        if len(sizes) < 14:
            failures.append(f"{name}: only {len(sizes)} chart files")
        failures += check_page(work, name, html, shots)
        if name == "demo":
            # The harness sees a page too wide for a phone: the demo's page with a 900 px block
            # must fail its self-test in the 390 px frame.
            wide = work / "demo-too-wide.html"
            wide.write_text(html.read_text().replace("<main>", '<main><div style="width:900px">wide</div>', 1))
            frame = work / "demo-too-wide.390.html"
            frame.write_text(FRAME.format(src=f"file://{wide}#selftest", h=1200))
            dom, _ = chromium(work, f"file://{frame}", ["--dump-dom", "--window-size=500,1200"])
            m = re.search(r'data-selftest="([^"]*)"', dom)
            if not m or "wide in a 390 px window" not in m.group(1):
                failures.append(f"harness: a page too wide for 390 px passed: {m.group(1) if m else '-'}")
            else:
                print(f"harness: a page too wide for 390 px fails: {m.group(1)}")
        if name == "hostile":
            dom, _ = chromium(work, f"file://{html}#selftest", ["--dump-dom"])
            shown = "<h3>default/x&lt;!--&lt;script&gt;pod-demo</h3>"
            if shown not in dom:
                failures.append(f"hostile: the opened pod is not shown as {shown}")
            else:
                print(f"hostile: the pod's name is shown as text: {shown}")

    print(f"screenshots (1400 px and a 390 px frame; the page's top and the opened pod): {shots}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
