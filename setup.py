"""Build capsim, compiling the per-job path of a run with mypyc where the machine can.

The modules in ``COMPILED`` are what a run does for every job: the event loop, the local
schedulers, the dispatchers and their candidate search, the links. mypyc compiles them to C
from the same type-annotated sources; a year of the national network then runs faster with the
same results, bit for bit (``tests/test_compiled.py`` compares the installed package with the
sources). The package is plain Python as well, and stays so when

- it is installed editable (``pip install -e .``): edits to the sources take effect at once;
- ``CAPSIM_PURE_PYTHON=1`` is set when installing;
- mypyc or a C compiler is missing: the build only warns and installs the sources.

``python -c "import sim; print(sim.compiled())"`` tells which one is installed.
"""

from __future__ import annotations

import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "sim/engine.py",
    "sim/event_heap.py",
    "sim/policies/base.py",
    "sim/policies/easy_backfill.py",
    "sim/policies/fifo.py",
    "sim/policies/siloed.py",
    "sim/policies/on_demand.py",
    "sim/policies/candidates.py",
    "sim/policies/cheapest.py",
    "sim/policies/search.py",
    "sim/resources/transfers.py",
]

BUILDS = {"bdist_wheel", "build", "build_ext", "install"}
"""The setup.py commands that build the package (pip's build_wheel hook runs bdist_wheel)."""


class CompileWithMypyc(build_ext):
    """Compile ``COMPILED`` when the wheel is built, not each time setup.py is asked for its
    metadata (mypyc type-checks and generates C as soon as it is called: a minute or more)."""

    def finalize_options(self) -> None:
        self.distribution.ext_modules = self.compiled_modules()  # build_ext reads them there
        super().finalize_options()

    def compiled_modules(self) -> list[Extension]:
        if not BUILDS & set(self.distribution.commands):
            return []  # only asked for metadata (egg_info, dist_info) or an editable wheel
        if getattr(self, "editable_mode", False) or self.inplace:
            return []  # compiled modules in the source tree would shadow edits to the sources
        if os.environ.get("CAPSIM_PURE_PYTHON"):
            return []
        try:
            from mypyc.build import mypycify
        except ImportError:
            print("capsim: mypyc is not available; installing the pure-Python package")
            return []
        # Our own mypy options, not pyproject's (its pydantic plugin is not in the build
        # environment). Only the compiled modules are read: what they import from elsewhere
        # (numpy, simpy, the scenario schema) is typed Any, as it is at run time to them.
        options = ["--config-file=", "--ignore-missing-imports", "--follow-imports=skip"]
        try:
            modules = mypycify([*options, *COMPILED], group_name="sim")
        except (Exception, SystemExit) as error:  # mypyc exits on a type error
            print(f"capsim: mypyc could not compile ({error}); installing the pure-Python package")
            return []
        for module in modules:
            module.optional = True  # a C compiler failing only warns: the sources remain
        return modules


# A placeholder, so the wheel is built as platform-specific; the build replaces it.
setup(
    ext_modules=[Extension("sim._compiled", sources=[])],
    cmdclass={"build_ext": CompileWithMypyc},
)
