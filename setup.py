"""The wheel carries the shipped presets: the checkout keeps them in the top-level presets/
(the project's layout), the installed package reads them from overfit_tui/presets/. Everything
else about the build is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PRESETS = Path(__file__).parent / "presets"


class BuildPy(build_py):
    """build_py, then presets/*.toml into the built package's presets/ folder."""

    def run(self):
        super().run()
        dest = Path(self.build_lib, "overfit_tui", "presets")
        self.mkpath(str(dest))
        for f in sorted(PRESETS.glob("*.toml")):
            self.copy_file(str(f), str(dest / f.name))


setup(cmdclass={"build_py": BuildPy})
