"""Packaging for hybrid_recsys; metadata comes from nbdev's settings.ini (one source of truth)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]



def pinned(name: str) -> list[str]:
    "The requirements a requirements file pins itself (no comments, no included files, no test runner)."
    lines = (here / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r", "pytest"))]


# `pip install .` is the serving install (no torch: bundles run their ONNX graphs); `.[train]` adds what trains, evaluates
# and reports (torch, open_clip, MLflow, Spark); `.[train,dev]` the tools that build, test and document it.
requirements = pinned("requirements-serve.txt")
extras = {"train": pinned("requirements-train.txt"), "dev": pinned("requirements.txt")}

setuptools.setup(
    name="hybrid-recsys",
    version=cfg["version"],
    description=cfg["description"],
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    packages=setuptools.find_packages(include=["hybrid_recsys", "hybrid_recsys.*"]),
    include_package_data=True,
    package_data={"hybrid_recsys": ["models.yaml"], "hybrid_recsys.serve": ["static/*", "templates/dashboard/*.html"]},  # the model registry, and the dashboard's templates, scripts and styles (Chart.js), travel with the package
    python_requires=f">={cfg['min_python']}",
    install_requires=requirements,
    extras_require=extras,
    entry_points={"console_scripts": cfg.get("console_scripts", "").split()},
    zip_safe=False,
)
