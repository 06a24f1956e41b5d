"""The C extension is optional: without a compiler (or on another Python than CPython) the
package installs without it and scopetel's profiler walks stacks in Python instead."""

import platform

from setuptools import Extension, setup

extensions = []
if platform.python_implementation() == "CPython":
    extensions.append(
        Extension(
            "scopetel_stackwalk._stackwalk",
            sources=[
                "src/scopetel_stackwalk/_stackwalk.c",
                "src/scopetel_stackwalk/_threadlock.c",
                "src/scopetel_stackwalk/_detached.c",
                "src/scopetel_stackwalk/_detached_type.c",
                "src/scopetel_stackwalk/_detached_teach.c",
                "src/scopetel_stackwalk/_detached_roots.c",
                "src/scopetel_stackwalk/_samples.c",
                "src/scopetel_stackwalk/_untracked.c",
            ],
            depends=[
                "src/scopetel_stackwalk/_threadlock.h",
                "src/scopetel_stackwalk/_stackkey.h",
                "src/scopetel_stackwalk/_detached.h",
                "src/scopetel_stackwalk/_detached_tables.h",
                "src/scopetel_stackwalk/_samples.h",
                "src/scopetel_stackwalk/_untracked.h",
                "src/scopetel_stackwalk/_hidden.h",
            ],
            optional=True,
        )
    )

setup(ext_modules=extensions)
