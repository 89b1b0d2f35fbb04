"""Apps use each other only through their public modules (docs/architecture.md).

Every import in an app's code (migrations aside) that names another app must name one of
that app's public modules: services (writes), selectors (reads), errors (what its services
raise) and signals (what it announces), or one of the few framework adapters listed in
ADAPTERS. Models and every other module stay the owning app's business. `kasamonitor/` is
the project's shared plumbing: any app may use it, and it keeps the same rule towards apps.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "backups", "billing", "devices", "exports", "monitoring", "security",
        "system", "web", "integrations", "insights", "kasamonitor")  # fmt: skip
PUBLIC = {"services", "selectors", "errors", "signals"}
ADAPTERS = {
    # DRF permission classes, role names, the token authentication and the socket middleware
    # that the other apps' views and the ASGI router plug in; the token authentication's
    # description in the API schema, which the URL map loads with the schema views.
    "accounts": {"permissions", "roles", "authentication", "ws_auth", "schema"},
    # The socket routes kasamonitor/asgi.py mounts.
    "devices": {"routing", "socketio_server"},
    # Signed download links (mail from exports) and the certificate check the server runs.
    "security": {"signed_urls", "pem"},
    # The insights parts of the daily summary and the monthly report, which monitoring sends.
    "insights": {"digest"},
}


def _imported(node: ast.AST, app_dir: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        parts = node.module.split(".")
        if len(parts) == 1:  # `from devices import selectors`: the names are modules
            return [f"{node.module}.{alias.name}" for alias in node.names]
        return [node.module]
    return []


# web/ is the server-rendered face of every app, as each app's api.py is of its own: its
# views call the owning app's plain-function modules and validate forms with the app's
# input serializers (so a form and the API refuse the same input), but never touch models.
PRESENTATION = {"web"}
NEVER = {"models", "admin", "api", "tasks", "migrations"}


def violations(source: str, app: str, filename: str = "<source>") -> list[str]:
    """Return "file:line: module" for each import of another app's non-public module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        for module in _imported(node, ROOT / app):
            owner, _, rest = module.partition(".")
            if owner == app or owner not in APPS or owner == "kasamonitor":
                continue
            first = rest.split(".")[0]
            if app in PRESENTATION and first not in NEVER:
                continue
            if first not in PUBLIC | ADAPTERS.get(owner, set()):
                found.append(f"{filename}:{node.lineno}: {module}")
    return found


def _app_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def test_apps_import_each_other_only_through_public_modules():
    found = [
        v
        for app, path in _app_files()
        for v in violations(path.read_text(), app, str(path.relative_to(ROOT)))
    ]
    assert found == [], "imports of another app's internals:\n" + "\n".join(found)


def test_the_check_catches_a_reach_into_another_apps_models():
    source = (
        "from devices.models import Device\nfrom devices import rollups\nimport billing.plans\n"
    )
    assert violations(source, "exports") == [
        "<source>:1: devices.models",
        "<source>:2: devices.rollups",
        "<source>:3: billing.plans",
    ]
    allowed = (
        "from devices import selectors\nfrom billing.services import x\nfrom .models import A\n"
    )
    assert violations(allowed, "exports") == []


# -- no import circles inside an app ---------------------------------------------------------
#
# The one allowed loop is the task-enqueue pattern: a service queues its Celery task, whose
# module imports the service back. Such an import of `tasks` sits inside the function that
# enqueues (so loading either module never needs the other half-loaded); every other import
# inside an app must not lead back to the module that makes it.


def _module_edges(app: str) -> dict[str, set[str]]:
    modules = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" not in path.parts:
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text())
        in_function = {
            id(inner)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(fn)
        }
        for node in ast.walk(tree):
            for target in _targets(node, package, modules):
                enqueue = target.endswith(".tasks") and id(node) in in_function
                if target != name and not enqueue:
                    edges[name].add(target)
    return edges


def _targets(node: ast.AST, package: str, modules: dict) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in modules]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
    return submodules or ([base] if base in modules else [])


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in path:
                cycle = path[path.index(nxt) :]
                if frozenset(cycle) not in done:
                    done.add(frozenset(cycle))
                    found.append([*cycle, nxt])
            elif len(path) < 8:
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    return found


def test_no_app_imports_itself_in_a_circle():
    found = [" -> ".join(c) for app in APPS for c in _cycles(_module_edges(app))]
    assert found == [], "import circles:\n" + "\n".join(found)


def test_the_circle_check_finds_a_loop_and_ignores_a_branch():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
