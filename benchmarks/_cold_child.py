"""One cold start, in the fresh interpreter the cold-start benchmark starts (not run directly).

    python -I _cold_child.py <code dir> <module> <handler> <event.json> <repo>

Phase 1 imports the handler module with only the code folder and the layer on sys.path, as
Lambda does, before anything else is loaded: its time and the peak RSS at that point are the
import figures. Phase 2 serves the sample event once: the first request, which pays for what
the function builds lazily (clients, models, schemas). Its AWS calls go over HTTP to the moto
server the benchmark runs (`AWS_ENDPOINT_URL`, as the function's SDK reads it), holding the
template's resources; nothing of moto is loaded here, so a child costs its own cold start only.
Prints one JSON line.
"""

import importlib
import json
import resource
import sys
import time


def peak_rss_kb() -> int:
    """This interpreter's peak RSS. Linux keeps `ru_maxrss` across exec, so a child of a big
    process (`make bench` runs every benchmark in one) would report its parent's peak; VmHWM
    belongs to the address space, which exec makes new."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


code_dir, module_name, handler_name, event_path, repo = sys.argv[1:6]
sys.path[:0] = [code_dir, f"{repo}/layers/planhub"]

started = time.perf_counter()
module = importlib.import_module(module_name)
imported = time.perf_counter()
rss_after_import_kb = peak_rss_kb()
modules_after_import = sorted(sys.modules)

# --- not timed: the invocation's context, as the local stack builds it ---------------------
sys.path.append(repo)
from planhub_local.stack import LambdaContext  # noqa: E402 - after the timed import, on purpose

with open(event_path) as handle:
    event = json.load(handle)
context = LambdaContext(function_name="cold-start", timeout_seconds=10)

first_started = time.perf_counter()
outcome = "ok"
try:
    answer = getattr(module, handler_name)(event, context)
    if isinstance(answer, dict) and "statusCode" in answer:
        outcome = str(answer["statusCode"])
except Exception as error:  # noqa: BLE001 - an authorizer refusal is an exception; report what happened
    outcome = type(error).__name__
first_done = time.perf_counter()
print(
    json.dumps(
        {
            "import_s": imported - started,
            "first_request_s": first_done - first_started,
            "rss_import_kb": rss_after_import_kb,
            "outcome": outcome,
            "modules": len(modules_after_import),
            "planhub_packages": sorted({m.split(".")[1] for m in modules_after_import if m.startswith("planhub.")}),
            "xray_loaded": "aws_xray_sdk" in modules_after_import,
        }
    )
)
