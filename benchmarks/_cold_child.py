"""One cold start, in the fresh interpreter the cold-start benchmark starts (not run directly).

    python -I _cold_child.py <code dir> <module> <handler> <event.json> <repo>

Phase 1 imports the handler module with only the code folder and the layer on sys.path, as
Lambda does, before anything else is loaded: its time and the peak RSS at that point are the
import figures. Phase 2 starts moto (not timed) and serves the sample event once: the first
request, which pays for what the function builds lazily (clients, models, schemas).
Prints one JSON line.
"""

import importlib
import json
import resource
import sys
import time

code_dir, module_name, handler_name, event_path, repo = sys.argv[1:6]
sys.path[:0] = [code_dir, f"{repo}/layers/planhub"]

started = time.perf_counter()
module = importlib.import_module(module_name)
imported = time.perf_counter()
rss_after_import_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
modules_after_import = sorted(sys.modules)

# --- not timed: the AWS stand-in -----------------------------------------------------------
sys.path.append(repo)
import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from planhub_local import moto_patches  # noqa: E402
from planhub_local import stack as local_stack  # noqa: E402

moto_patches.apply()
# The stack's own clients come from a separate session, so the function's first client pays
# for loading its service model exactly as on Lambda (the default session stays cold).
local_stack.use_session(boto3.session.Session())
mock = mock_aws()
mock.start()
# moto hooks clients created after it is imported; a client made at import (the floors) is
# given the same hook, so it is answered by moto too.
from botocore.client import BaseClient  # noqa: E402
from moto.core.models import botocore_stubber  # noqa: E402

for value in vars(module).values():
    if isinstance(value, BaseClient):
        value.meta.events.register("before-send", botocore_stubber)  # type: ignore[arg-type]  # it answers, by design
local_stack.LocalStack().create()
with open(event_path) as handle:
    event = json.load(handle)
context = local_stack.LambdaContext(function_name="cold-start", timeout_seconds=10)

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
mock.stop()
