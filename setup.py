"""Package list for setuptools (everything else is in pyproject.toml).

The Hydra configs live in the top-level ``conf/`` and ship as the package ``reasoner.conf``.
pyproject's ``packages.find`` cannot add a package that lives outside its parent's folder,
so the list is computed here: the code packages plus ``reasoner.conf`` mapped to ``conf/``.
"""

from setuptools import find_packages, setup

CODE = find_packages(include=["reasoner", "reasoner.*", "verifiers", "verifiers.*", "sandbox", "sandbox.*",
                              "evals", "evals.*"])

setup(packages=[*CODE, "reasoner.conf"], package_dir={"reasoner.conf": "conf"})
