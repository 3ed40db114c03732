"""Architecture rules, checked on the source: pure domains, no cross-service imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = [
    ROOT / "services" / "correlator" / "domain",
    ROOT / "services" / "router" / "domain",
    ROOT / "services" / "ingest" / "normalizers",
    ROOT / "shared" / "alertmanager",
]
FORBIDDEN_IN_DOMAIN = {
    "aiokafka",
    "fastapi",
    "starlette",
    "httpx",
    "prometheus_client",
    "asyncio",
    "sqlite3",
    "socket",
    "random",
    "time",
    "os",
    "subprocess",
    "aiosmtplib",
    "uvicorn",
    "logging",
    "threading",
    "shared.log",
    "shared.runtime",
    "shared.health",
    "shared.metrics",
}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
    ("uuid", "uuid1"),
    ("uuid", "uuid4"),
    ("time", "time"),
    ("time", "monotonic"),
}
SERVICES = ("ingest", "correlator", "router")


def _modules(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_domain_packages_import_no_io_clock_or_randomness() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for folder in PURE_PACKAGES
        for path in _modules(folder)
        for module in _imports(path)
        if any(_is_under(module, banned) for banned in FORBIDDEN_IN_DOMAIN)
    ]
    assert offences == []


def test_domain_packages_read_no_clock_and_make_no_random_ids() -> None:
    offences = []
    for folder in PURE_PACKAGES:
        for path in _modules(folder):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                called = node.func if isinstance(node, ast.Call) else None
                if not isinstance(called, ast.Attribute) or not isinstance(called.value, ast.Name):
                    continue
                if (called.value.id, called.attr) in FORBIDDEN_CALLS:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    offences.append(f"{where} {called.value.id}.{called.attr}()")
    assert offences == []


def test_domain_code_is_not_async() -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for folder in PURE_PACKAGES
        for path in _modules(folder)
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.AsyncFunctionDef | ast.Await)
    ]
    assert offences == []


def test_shared_never_imports_services() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules(ROOT / "shared")
        for module in _imports(path)
        if _is_under(module, "services")
    ]
    assert offences == []


def test_services_never_import_each_other() -> None:
    offences = []
    for service in SERVICES:
        others = [s for s in SERVICES if s != service]
        for path in _modules(ROOT / "services" / service):
            for module in _imports(path):
                if any(_is_under(module, f"services.{other}") for other in others):
                    offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []
