"""The long schemathesis run over the whole OpenAPI document (issue #11): at least 10,000 calls.

Builds a throw-away SQLite database under a temporary LINLI_VAR_DIR, loads the sample district,
gives its district administrator a write API token and then, operation by operation, sends cases
generated from the OpenAPI document (valid and invalid ones: schemathesis's generation modes)
through the WSGI application until the number of calls is reached. Prints the calls, the server
errors (5xx) and the answers that do not match the documented schema, with the first examples.
tests/test_api_fuzz.py is the short version that runs in ``make test``.

    .venv/bin/python bench/fuzz.py [--calls 10000] [--seed 1]

Not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(var_dir: str) -> str:
    """Migrate a fresh database, load the sample district; return a write token."""
    os.environ["LINLI_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/fuzz.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_sample", verbosity=0)
    from linli.accounts import services
    from linli.accounts.models import User

    admin = User.objects.get(username="district")
    return services.create_api_token(owner=admin, name="fuzz", read_only=False).plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linli-fuzz-") as var_dir:
        token = _setup(var_dir)
        return _fuzz(token, calls=args.calls, seed=args.seed)


def _runner(
    operation: Any, *, label: str, seed: int, examples: int, headers: dict[str, str], record: Any
) -> Any:
    """A hypothesis test sending ``examples`` generated cases of ``operation``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        record(label, case, case.call(headers=headers))

    return run


def _fuzz(token: str, *, calls: int, seed: int) -> int:
    import schemathesis
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    from linli.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = {"Authorization": f"Bearer {token}"}
    done = Counter[str]()
    statuses = Counter[int]()
    server_errors: list[str] = []
    violations: list[str] = []
    per_operation = max(1, calls // len(operations))

    def record(label: str, case: Any, response: Any) -> None:
        done[label] += 1
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (Exception, BaseExceptionGroup) as err:  # a check fails with a FailureGroup
            server_errors.append(f"{label}: {str(err)[:300]}")
            return
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except (Exception, BaseExceptionGroup) as err:
            violations.append(f"{label} {response.status_code}: {str(err)[:300]}")

    started = time.perf_counter()
    while sum(done.values()) < calls:
        for operation in operations:
            run = _runner(
                operation,
                label=f"{operation.method.upper()} {operation.path}",
                seed=seed + sum(done.values()),
                examples=per_operation,
                headers=headers,
                record=record,
            )
            run()
            if sum(done.values()) >= calls:
                break
    elapsed = time.perf_counter() - started
    total = sum(done.values())
    print(f"operations: {len(operations)}")
    print(f"calls: {total} in {elapsed:.0f} s ({total / elapsed:.0f}/s)")
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(f"server errors (5xx): {len(server_errors)}")
    print(f"schema violations: {len(violations)}")
    for line in (server_errors + violations)[:20]:
        print(f"  {line}")
    return 1 if server_errors or violations else 0


if __name__ == "__main__":
    sys.exit(main())
