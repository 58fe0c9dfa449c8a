"""Registries of plug-ins (policies, top-k engines, timers, hardware units, report figures), filled on first lookup.

A registry holds what its implementations register with a one-line decorator. On the first lookup
of any name it imports, once, every module of its in-repo package (``pkgutil``) and every module
that an installed distribution declares under its entry-point group (``importlib.metadata``), so
that importing ``accelsim`` imports no implementation (``accelsim --help`` stays fast); a lookup of
a name that is also an in-repo module's (``POLICIES["spatten"]``) imports that module alone, unless
an installed distribution declares plug-ins of that kind. A YAML config
can also name plug-in files or modules of its own (``plugins: [my_policy.py]``, see
:func:`load_plugins`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pkgutil
import sys
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import EntryPoints, distributions
from pathlib import Path
from typing import Generic, TypeVar

from accelsim.errors import InputError

T = TypeVar("T")

GROUPS = {
    "policy": "accelsim.policies",
    "top-k engine": "accelsim.topk",
    "timer": "accelsim.timers",
    "unit": "accelsim.units",
    "figure": "accelsim.figures",
}
"""Entry-point group of each kind of plug-in: a distribution declares ``name = "package.module"``."""


@cache
def _installed() -> EntryPoints:
    """The installed distributions' entry points, read once a process: each read scans every distribution
    (~4 ms), and a run discovers three registries."""
    return EntryPoints(ep for dist in distributions() for ep in dist.entry_points)


class Lazy(Mapping[str, T], Generic[T]):
    """A name -> item mapping filled by :meth:`discover`, which every lookup of a name not yet held,
    every iteration and ``len`` call first."""

    _items: dict[str, T]

    @abstractmethod
    def discover(self) -> None:
        """Fill ``_items`` with what is not held yet."""

    def __getitem__(self, name: str) -> T:
        if name not in self._items:
            self.discover()
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        self.discover()
        return iter(dict(self._items))

    def __len__(self) -> int:
        self.discover()
        return len(self._items)


class Registry(Lazy[T]):
    """Name -> implementation of one kind of plug-in, discovered on first lookup.

    Parameters
    ----------
    kind
        What is registered, for messages ("policy"); its entry-point group is ``GROUPS[kind]``.
    package
        The in-repo package whose every module is imported on first lookup.
    """

    def __init__(self, kind: str, package: str) -> None:
        self.kind = kind
        self.package = package
        self.group = GROUPS[kind]
        self._items: dict[str, T] = {}
        self._origin: dict[str, str] = {}
        self._discovered = False

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.package!r})"

    def add(self, name: str, item: T, origin: str) -> None:
        """Register ``item`` under ``name``; ``origin`` (its module) names it in a clash.

        Raises
        ------
        ValueError
            ``name`` is already taken by an item of another module.
        """
        known = self._origin.get(name)
        if known is not None and known != origin:
            raise ValueError(f"{self.kind} {name!r} of {origin} clashes with the one of {known}")
        self._items[name] = item
        self._origin[name] = origin

    def __getitem__(self, name: str) -> T:
        if name not in self._items and not self._discovered:
            self._own_module(name)
        return super().__getitem__(name)

    def _own_module(self, name: str) -> None:
        """Import the in-repo module named ``name`` alone, so that looking up a shipped plug-in by its name
        imports one module rather than all (15-20 ms for the policies); only where no installed
        distribution declares plug-ins of this kind, one of which could register the same name."""
        module = f"{self.package}.{name}"
        if name.isidentifier() and not _installed().select(group=self.group) and importlib.util.find_spec(module):
            importlib.import_module(module)

    def discover(self) -> None:
        """Import the in-repo modules and the entry points of the group (once).

        Raises
        ------
        InputError
            Importing an entry point's module failed (naming its distribution and entry point).
        """
        if self._discovered:
            return
        self._discovered = True
        pkg = importlib.import_module(self.package)
        for mod in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{self.package}.{mod.name}")
        for ep in _installed().select(group=self.group):
            try:
                ep.load()
            except Exception as err:  # an installed plug-in's failure, reported on one line
                dist = ep.dist.name if ep.dist is not None else "an installed distribution"
                raise InputError(
                    dist,
                    f"entry point {self.group}:{ep.name}",
                    f"importing {ep.value!r} failed: {type(err).__name__}: {err}",
                ) from None

    def origin(self, name: str) -> str:
        """The module that registered ``name``."""
        self[name]
        return self._origin[name]

    def names(self) -> str:
        """The registered names, sorted and comma-separated (for error messages)."""
        return ", ".join(sorted(self))


class Named(Lazy[T]):
    """Name -> what the modules that a registry's plug-ins name register here (a top-k engine's or a
    unit's RTL: their ``rtl`` attribute). On the first lookup of a name not yet held, each named module
    not yet imported is imported; its decorators call :meth:`add`.

    Raises
    ------
    InputError
        Importing a plug-in's module failed (naming the plug-in's own module and ``<name>.<attr>``).
    """

    def __init__(self, registry: Registry, attr: str = "rtl") -> None:
        self.registry, self.attr = registry, attr
        self._items: dict[str, T] = {}
        self._seen: set[str] = set()

    def add(self, name: str, item: T) -> None:
        self._items[name] = item

    def discover(self) -> None:
        for name, plugin in self.registry.items():
            module = getattr(plugin, self.attr)
            if module is not None and name not in self._seen:
                self._seen.add(name)
                try:
                    importlib.import_module(module)
                except Exception as err:  # a plug-in's failure, reported on one line
                    raise InputError(
                        self.registry.origin(name),
                        f"{name}.{self.attr}",
                        f"importing {module!r} failed: {type(err).__name__}: {err}",
                    ) from None


def load_plugins(refs: object, base: Path, source: str | Path | None, field: str = "plugins") -> tuple[str, ...]:
    """Import the plug-ins a YAML config lists under ``plugins``: a ``.py`` file, relative to the
    config's folder ``base`` (or absolute), or an importable module name. Importing one runs its
    ``register`` decorators; a file is imported once however many configs name it. Returns the
    references resolved (a file's absolute path), which load again from any folder.

    Raises
    ------
    InputError
        ``refs`` is not a list of strings, a file is missing, or importing one fails.
    """
    if not isinstance(refs, list | tuple):
        raise InputError(source, field, f"expected a list of plug-in files or modules, got {refs!r}")
    resolved = []
    for i, ref in enumerate(refs):
        where = f"{field}.{i}"
        if not isinstance(ref, str) or not ref:
            raise InputError(source, where, f"expected a .py file or a module name, got {ref!r}")
        try:
            if ref.endswith(".py"):
                path = (base / ref).resolve()
                import_file(path, source, where)
                resolved.append(str(path))
            else:
                importlib.import_module(ref)
                resolved.append(ref)
        except InputError:
            raise
        except ModuleNotFoundError as err:
            raise InputError(source, where, f"no module named {err.name!r}") from None
        except Exception as err:  # a plug-in's own failure, reported on one line
            raise InputError(source, where, f"importing {ref!r} failed: {type(err).__name__}: {err}") from None
    return tuple(resolved)


def import_file(path: Path, source: str | Path | None = None, field: str = "plugins") -> None:
    """Import the plug-in file ``path``. A file inside a package (its folder has ``__init__.py``)
    imports as that package's module (the package imported from its folder, ``sys.path`` untouched),
    so that the modules it names (a unit's ``rtl`` module) and its own package imports resolve as if
    the package were installed; any other file, or one whose package name is taken by another
    folder's, as a module named after its path. Either way a second import (e.g. by another config of
    the same sweep) finds it in ``sys.modules``."""
    if not path.is_file():
        raise InputError(source, field, f"plug-in file {str(path)!r} does not exist")
    packaged = _package_module(path)
    if packaged is not None:
        name, root = packaged
        top = root / name.split(".")[0]
        loaded = sys.modules.get(top.name)
        if loaded is None:
            _exec(top.name, top / "__init__.py", [str(top)])
        if loaded is None or any(Path(p).resolve() == top.resolve() for p in getattr(loaded, "__path__", ())):
            importlib.import_module(name)
            return
    name = f"accelsim_plugin_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    if name not in sys.modules:
        _exec(name, path)


def _exec(name: str, path: Path, search: list[str] | None = None) -> None:
    """Import the file ``path`` as module ``name`` (a package searching ``search`` for its modules)."""
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=search)
    assert spec is not None and spec.loader is not None  # a .py file always has a source loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def _package_module(path: Path) -> tuple[str, Path] | None:
    """The dotted name of ``path`` in the packages that hold it (folders with ``__init__.py``) and
    the folder above the outermost one; None for a file in no package."""
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if folder == path.parent or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts), folder
