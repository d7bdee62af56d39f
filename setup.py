"""Packaging for hybrid_recsys; metadata comes from nbdev's settings.ini (one source of truth)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

requirements = [
    line.strip()
    for line in (here / "requirements.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#") and not line.startswith("pytest")
]

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
    entry_points={"console_scripts": cfg.get("console_scripts", "").split()},
    zip_safe=False,
)
