"""Fail on a read of another module's private member: `from .x import _name`, `module._name`, or `obj._name` where
`_name` is defined nowhere in the reading module (its own classes' attributes are its business).

A private name (one leading underscore, not a dunder) is a module's own: another module that needs it needs a public
name instead. Run by `make test`; `.venv/bin/python tools/check_private.py [--list]`.
"""
import ast, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hybrid_recsys"


def private(name: str) -> bool: return name.startswith("_") and not name.startswith("__")


def own_names(tree: ast.AST) -> set[str]:
    "Every private name the module itself defines: functions, classes, assignments, attributes set on any object, arguments."
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store): names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)): names.add(node.attr)
        elif isinstance(node, ast.arg): names.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name): names.add(node.target.id)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str): names.add(node.args[1].value)
    return {n for n in names if private(n)}


def reads(path: Path) -> list[str]:
    "Each read of another module's private member in one file, as 'file:line: what'."
    tree = ast.parse(path.read_text(), str(path))
    own, found = own_names(tree), []
    where = lambda node: f"{path.relative_to(ROOT)}:{node.lineno}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [f"{where(node)}: imports {alias.name} from {'.' * node.level}{node.module or ''}"
                      for alias in node.names if private(alias.name)]
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and private(node.attr) and node.attr not in own:
            found.append(f"{where(node)}: reads .{node.attr} ({ast.unparse(node)[:60]})")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "hasattr") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str) \
                and private(node.args[1].value) and node.args[1].value not in own:
            found.append(f"{where(node)}: reads {node.args[1].value} through {node.func.id}")
    return found


def main():
    files = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "_modidx.py")
    found = [line for path in files for line in reads(path)]
    if "--list" in sys.argv or found: print("\n".join(found))
    if found: sys.exit(f"{len(found)} reads of another module's private members: give each a public name (tools/check_private.py)")
    print(f"no module reads another's private members ({len(files)} modules)")


if __name__ == "__main__": main()
