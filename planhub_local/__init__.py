"""The docker-free local stack: planhub's template.yaml run in-process on moto.

`template` reads the SAM template; `stack` creates its table, bus, rules and queues in moto
and runs its functions; `gateway` answers HTTP requests the way API Gateway would (routes,
REQUEST authorizer, gateway responses, proxy events); `server` serves it on 127.0.0.1 with
waitress, with `docs` (Swagger UI at /docs) and `schedules` (the template's schedules, fired
at their times); `environ` gives each function its own environment under any concurrency.

Public hooks for tests and benchmarks: `dynamodb_calls.recorded()` (the DynamoDB calls a
request makes), `stack.forget_warm_containers()` and `stack.use_session()` (the session of
the stack's own clients). Nothing outside this package uses its private names.
"""
